// Cluster definitions (a list of node pools) and their validation.
#include <algorithm>
#include <cctype>
#include <set>

#include "catalog/engine.h"
#include "catalog/yaml_reader.h"

namespace hull::catalog {
namespace {

// AKS node pool names: lowercase letters and digits, starting with a letter,
// at most 12 characters (https://learn.microsoft.com/azure/aks/create-node-pools).
bool ValidPoolName(const std::string& n) {
  return !n.empty() && n.size() <= 12 && std::islower(static_cast<unsigned char>(n[0])) &&
         std::all_of(n.begin(), n.end(), [](char c) {
           return std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c));
         });
}

Result<PoolSpec> ParsePool(const YamlReader& y, const YAML::Node& n, const std::string& kube) {
  HULL_TRY(y.Map(n, "node pool",
                 {"name", "osType", "osSKU", "osVersion", "vmSize", "orchestratorVersion",
                  "nodeOSUpgradeChannel", "containerRuntime", "features"},
                 {"name", "vmSize"}));
  PoolSpec p;
  HULL_ASSIGN_OR_RETURN(p.name, y.Str(n, "name"));
  if (!ValidPoolName(p.name)) {
    return y.At(n["name"], fmt::format("pool name '{}' is not 1-12 lowercase letters and digits "
                                       "starting with a letter",
                                       p.name));
  }
  Request& r = p.request;
  HULL_ASSIGN_OR_RETURN(r.os_type, y.Str(n, "osType"));
  HULL_ASSIGN_OR_RETURN(r.os_sku, y.Str(n, "osSKU"));
  HULL_ASSIGN_OR_RETURN(r.os_version, y.Str(n, "osVersion"));
  HULL_ASSIGN_OR_RETURN(r.vm_size, y.Str(n, "vmSize"));
  HULL_ASSIGN_OR_RETURN(r.kubernetes_version, y.Str(n, "orchestratorVersion", kube));
  HULL_ASSIGN_OR_RETURN(r.upgrade_channel, y.Str(n, "nodeOSUpgradeChannel"));
  HULL_ASSIGN_OR_RETURN(r.container_runtime, y.Str(n, "containerRuntime"));
  HULL_ASSIGN_OR_RETURN(auto feats, y.StrList(n, "features"));
  for (const auto& f : feats) {
    if (std::none_of(std::begin(kFeatureNames), std::end(kFeatureNames),
                     [&](const char* k) { return IEquals(f, k); })) {
      return y.At(n["features"], fmt::format("unknown feature '{}' (known: fips, trusted_launch, "
                                             "pod_sandboxing, artifact_streaming, gpu, os_guard)",
                                             f));
    }
    std::string lower = f;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.features.insert(lower);
  }
  return p;
}

}  // namespace

Result<ClusterSpec> ParseClusterSpec(const std::string& file, std::string_view text) {
  YamlReader y(file);
  HULL_ASSIGN_OR_RETURN(YAML::Node root, y.Load(text));
  ClusterSpec spec;
  try {
    HULL_TRY(y.Map(root, "cluster", {"catalog", "kubernetesVersion", "pools"}, {"pools"}));
    HULL_ASSIGN_OR_RETURN(spec.catalog, y.Str(root, "catalog", "aks"));
    HULL_ASSIGN_OR_RETURN(std::string kube, y.Str(root, "kubernetesVersion"));
    YAML::Node pools = root["pools"];
    HULL_TRY(y.List(pools, "pools"));
    if (pools.size() == 0) return y.At(pools, "a cluster needs at least one node pool");
    if (pools.size() > kMaxPools) return y.At(pools, fmt::format("more than {} pools", kMaxPools));
    std::set<std::string> names;
    for (const auto& n : pools) {
      HULL_ASSIGN_OR_RETURN(PoolSpec p, ParsePool(y, n, kube));
      if (!names.insert(p.name).second) {
        return y.At(n, fmt::format("duplicate pool name '{}'", p.name));
      }
      spec.pools.push_back(std::move(p));
    }
  } catch (const YAML::Exception& e) {
    return Errorf(ErrorCode::kInvalidArgument, "{}:{}:{}: {}", file, e.mark.line + 1,
                  e.mark.column + 1, e.msg);
  }
  return spec;
}

Result<std::vector<PoolResult>> ValidateCluster(const Catalog& catalog, const ClusterSpec& spec) {
  std::vector<PoolResult> out;
  for (size_t i = 0; i < spec.pools.size(); ++i) {
    Request r = spec.pools[i].request;
    r.first_pool = i == 0;
    HULL_ASSIGN_OR_RETURN(Decision d,
                          Resolve(catalog, r).Context(fmt::format("pool {}", spec.pools[i].name)));
    out.push_back({spec.pools[i].name, std::move(d)});
  }
  return out;
}

}  // namespace hull::catalog

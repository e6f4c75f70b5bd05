// In-place OS SKU migration: the target is resolved with the pool's current
// size, features, channel and Kubernetes version; the plan reimages the pool
// and names the way back. Modelled on `az aks nodepool update --os-sku`
// (https://learn.microsoft.com/azure/aks/upgrade-os-version).
#include <algorithm>

#include "catalog/engine.h"

namespace hull::catalog {
namespace {

bool TypeAllowed(const Catalog& cat, const std::string& os_type) {
  return std::any_of(cat.migration_os_types.begin(), cat.migration_os_types.end(),
                     [&](const std::string& t) { return IEquals(t, os_type); });
}

std::string PoolText(const Decision& d) {
  std::vector<std::string> on;
  for (const char* f : kFeatureNames) {
    auto it = d.facts.find(f);
    if (it != d.facts.end() && it->second == "true") on.push_back(f);
  }
  std::string feats;
  for (const auto& f : on) feats += (feats.empty() ? "" : "+") + f;
  return fmt::format("size {}, features {}, channel {}, Kubernetes {}", d.facts.at("vm_size"),
                     feats.empty() ? "none" : feats, d.facts.at("upgrade_channel"),
                     d.facts.at("kubernetes_version"));
}

}  // namespace

Result<MigrationPlan> PlanMigration(const Catalog& cat, const Request& pool,
                                    std::string_view to_sku) {
  if (pool.os_sku.empty())
    return Error(ErrorCode::kInvalidArgument, "the source OS SKU is required");
  std::vector<std::string> names;
  for (const auto& s : cat.os_skus) names.push_back(s.name);
  HULL_ASSIGN_OR_RETURN(std::string to_name, Canonical("OS SKU", to_sku, names));
  MigrationPlan plan;
  HULL_ASSIGN_OR_RETURN(plan.from, Resolve(cat, pool).Context("current pool"));
  Request target = pool;
  target.os_sku = to_name;
  target.os_type.clear();
  target.os_version.clear();
  HULL_ASSIGN_OR_RETURN(plan.to, Resolve(cat, target).Context("target pool"));
  const OsSku& from = *plan.from.sku;
  const OsSku& to = *plan.to.sku;
  if (from.name == to.name) {
    plan.violations.push_back({"migration-same-sku",
                               fmt::format("the pool already runs {}", to.name),
                               "pick a different --to-sku", cat.migration_source});
  }
  if (!TypeAllowed(cat, from.os_type) || !TypeAllowed(cat, to.os_type)) {
    plan.violations.push_back(
        {"migration-os-type",
         fmt::format("in-place OS SKU migration is between Linux SKUs only: {} ({}) -> {} ({})",
                     from.name, from.os_type, to.name, to.os_type),
         "create a new node pool with the target OS SKU and move the workloads",
         cat.migration_source});
    return plan;  // the target's own rules add nothing to this refusal
  }
  for (const auto& v : plan.to.violations) {
    plan.violations.push_back({v.rule, "target " + to.name + ": " + v.message, v.fix, v.source});
  }
  if (!plan.ok()) return plan;
  plan.steps = {
      fmt::format("check: {} accepts the pool as it is ({}) -> {}", to.name, PoolText(plan.to),
                  plan.to.image_name),
      fmt::format("update the pool's OS SKU: az aks nodepool update --os-sku {} (nodes are "
                  "reimaged in surge batches, cordoned and drained first)",
                  to.name),
      fmt::format("verify: every node is Ready and reports nodeImageVersion {}",
                  plan.to.image_name)};
  if (plan.from.ok()) {
    plan.rollback = {
        fmt::format("az aks nodepool update --os-sku {} (reimages back onto {})", from.name,
                    plan.from.image_name),
        fmt::format("verify: every node reports nodeImageVersion {}", plan.from.image_name)};
  } else {
    plan.rollback = {fmt::format(
        "no rollback image: the catalog refuses the current {} pool ({}); recreate the pool "
        "instead",
        from.name, plan.from.violations.empty() ? "" : plan.from.violations[0].message)};
  }
  return plan;
}

}  // namespace hull::catalog

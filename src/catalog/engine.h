// The catalog engine: picks the default node image for a node-pool request,
// or refuses it with every violated rule.
//
// Resolve() derives facts from the request (defaults for OS type, SKU,
// Kubernetes version, channel, runtime; features implied by the SKU) and from
// the VM size (name parser + size family table), evaluates every rule and
// conflict of the catalog, then picks the OS version (the SKU's default for
// the Kubernetes version unless one is asked for), checks its lifecycle
// against the policy, and matches exactly one image variant: same SKU, OS
// version, arch, generation, confidential flag and embedded feature set.
//
// Errors (Result) are for inputs that cannot be evaluated: an unknown OS
// type/SKU/channel/runtime/feature (the message lists the known values), an
// unparseable size or version. A refusal is not an error: the Decision holds
// the violations.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "catalog/catalog.h"
#include "catalog/vm_size.h"

namespace hull::catalog {

// What happens when the chosen OS version is not GA.
enum class LifecyclePolicy {
  kWarn,       // warn on preview, deprecated and end of life
  kRefuseEol,  // warn on preview and deprecated, refuse end of life (default)
  kStrict,     // refuse all three
};
Result<LifecyclePolicy> ParseLifecyclePolicy(std::string_view text);  // warn|refuse-eol|strict

struct Request {
  std::string os_type, os_sku, os_version;  // empty: the default
  std::string vm_size;
  std::string kubernetes_version;  // empty: the catalog's default
  std::string upgrade_channel;     // empty: the catalog's default
  std::string container_runtime;   // empty: the catalog's default
  std::set<std::string> features;  // kFeatureNames
  bool first_pool = false;
  LifecyclePolicy policy = LifecyclePolicy::kRefuseEol;
};

struct Violation {
  std::string rule, message, fix, source;
};

// What the VM size tells, from the name and the family table.
struct SizeInfo {
  VmSizeName name;
  const SizeFamily* family = nullptr;  // null: not in the table
  std::string arch, cpu, trusted_launch, gpu_vendor, gpu_model;
  bool confidential = false, gpu = false;
  std::vector<int> generations;
  std::vector<std::string> notes;  // how each fact was found
};
Result<SizeInfo> DescribeSize(const Catalog& catalog, std::string_view size);

struct Decision {
  std::vector<Violation> violations;  // empty: accepted
  const Image* image = nullptr;       // set when accepted
  std::string image_name;             // "<id>-<latest version>" or the id
  std::string version;                // latest node image version, if listed
  const OsSku* sku = nullptr;
  const OsVersion* os_version = nullptr;
  std::vector<std::string> why;       // the chain of rules and defaults that chose it
  std::vector<std::string> warnings;  // lifecycle, unknown size facts
  std::map<std::string, std::string> facts;
  bool ok() const { return violations.empty() && image != nullptr; }
};

Result<Decision> Resolve(const Catalog& catalog, const Request& request);

// True when `facts` satisfy condition `c` (values compare case-insensitively).
bool Holds(const Condition& c, const std::map<std::string, std::string>& facts);

// In-place OS SKU migration of a pool (az aks nodepool update --os-sku).
struct MigrationPlan {
  Decision from, to;
  std::vector<Violation> violations;  // migration-level refusals plus the target's
  std::vector<std::string> steps, rollback;
  bool ok() const { return violations.empty(); }
};
// `pool` describes the current pool (its os_sku is the source SKU).
Result<MigrationPlan> PlanMigration(const Catalog& catalog, const Request& pool,
                                    std::string_view to_sku);

// A cluster definition: node pools in creation order (the first is the
// cluster's first pool). Format in docs/catalog.md.
struct PoolSpec {
  std::string name;
  Request request;
};
struct ClusterSpec {
  std::string catalog;  // "aks" unless given
  std::vector<PoolSpec> pools;
};
inline constexpr size_t kMaxPools = 1000;
Result<ClusterSpec> ParseClusterSpec(const std::string& file, std::string_view text);

struct PoolResult {
  std::string name;
  Decision decision;
};
Result<std::vector<PoolResult>> ValidateCluster(const Catalog& catalog, const ClusterSpec& spec);

}  // namespace hull::catalog

// Facts of a VM size (name rules + family table) and condition matching.
#include <algorithm>

#include "catalog/engine.h"

namespace hull::catalog {
namespace {

// The naming convention's confidential marker: the C sub-family of the D and
// E families (DC, EC) and the second C of NCC.
bool NameSaysConfidential(const VmSizeName& n) {
  if (n.family == "D" || n.family == "E") return n.subfamily.find('C') != std::string::npos;
  if (n.family == "N") return n.subfamily.rfind("CC", 0) == 0;
  return false;
}

}  // namespace

Result<LifecyclePolicy> ParseLifecyclePolicy(std::string_view text) {
  if (IEquals(text, "warn")) return LifecyclePolicy::kWarn;
  if (IEquals(text, "refuse-eol")) return LifecyclePolicy::kRefuseEol;
  if (IEquals(text, "strict")) return LifecyclePolicy::kStrict;
  return Errorf(ErrorCode::kInvalidArgument,
                "unknown lifecycle policy '{}' (known: warn, refuse-eol, strict)", text);
}

Result<SizeInfo> DescribeSize(const Catalog& catalog, std::string_view size) {
  SizeInfo info;
  HULL_ASSIGN_OR_RETURN(info.name, ParseVmSizeName(size));
  const VmSizeName& n = info.name;
  info.family = catalog.FindSizeFamily(n.series);
  const SizeFamily* fam = info.family;
  info.arch = n.HasFeature('p') ? "arm64" : "amd64";
  info.confidential = NameSaysConfidential(n);
  info.gpu = n.family == "N";
  info.cpu = n.HasFeature('a') ? "amd" : "unknown";
  info.trusted_launch = "unknown";
  info.gpu_vendor = info.gpu ? "unknown" : "none";
  info.gpu_model = info.gpu ? "unknown" : "none";
  if (!fam) {
    info.generations = {2};
    info.notes.push_back(fmt::format(
        "size series {} is not in the size table: arch {}, confidential {} from the name; "
        "generation support unknown, Generation 2 assumed; Trusted Launch support unknown",
        n.series, info.arch, info.confidential ? "yes" : "no"));
    return info;
  }
  if (!fam->arch.empty()) info.arch = fam->arch;
  if (fam->cpu != "unknown") info.cpu = fam->cpu;
  if (fam->confidential) info.confidential = *fam->confidential;
  if (!fam->gpu_vendor.empty()) info.gpu_vendor = fam->gpu_vendor, info.gpu = true;
  if (!fam->gpu_model.empty()) info.gpu_model = fam->gpu_model;
  info.trusted_launch = fam->trusted_launch;
  info.generations = fam->generations;
  std::string gens;
  for (int g : info.generations) gens += (gens.empty() ? "" : ",") + std::to_string(g);
  info.notes.push_back(
      fmt::format("size {}: series {} ({}): arch {}, cpu {}, generations {}, Trusted Launch {}{}{}",
                  n.canonical, n.series, fam->source, info.arch, info.cpu, gens,
                  fam->trusted_launch, info.confidential ? ", confidential VM" : "",
                  info.gpu ? fmt::format(", GPU {} {}", info.gpu_vendor, info.gpu_model) : ""));
  return info;
}

bool Holds(const Condition& c, const std::map<std::string, std::string>& facts) {
  auto it = facts.find(c.fact);
  std::string value = it == facts.end() ? "" : it->second;
  switch (c.op) {
    case Condition::Op::kOneOf:
    case Condition::Op::kNotOneOf: {
      bool in = std::any_of(c.values.begin(), c.values.end(),
                            [&](const std::string& v) { return IEquals(v, value); });
      return c.op == Condition::Op::kOneOf ? in : !in;
    }
    case Condition::Op::kMin:
    case Condition::Op::kBelow: {
      auto v = ParseKubernetesVersion(value);
      if (!v.ok() || !c.version) return false;
      return c.op == Condition::Op::kMin ? *v >= *c.version : *v < *c.version;
    }
  }
  return false;
}

}  // namespace hull::catalog

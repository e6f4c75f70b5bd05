#include "catalog/engine.h"

#include <algorithm>

namespace hull::catalog {
namespace {

std::string Bool(bool b) { return b ? "true" : "false"; }

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Replaces each {fact} of a rule message with the fact's value.
std::string Fill(const std::string& text, const std::map<std::string, std::string>& facts) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
    auto it =
        close == std::string::npos ? facts.end() : facts.find(text.substr(i + 1, close - i - 1));
    if (it == facts.end()) {
      out += text[i];
      continue;
    }
    out += it->second;
    i = close;
  }
  return out;
}

std::string DescribeConditions(const std::vector<Condition>& conds) {
  std::vector<std::string> parts;
  for (const auto& c : conds) {
    switch (c.op) {
      case Condition::Op::kOneOf:
        parts.push_back(c.fact + "=" + Join(c.values, "|"));
        break;
      case Condition::Op::kNotOneOf:
        parts.push_back(c.fact + "!=" + Join(c.values, "|"));
        break;
      case Condition::Op::kMin:
        parts.push_back(c.fact + ">=" + c.version->ToString());
        break;
      case Condition::Op::kBelow:
        parts.push_back(c.fact + "<" + c.version->ToString());
        break;
    }
  }
  return Join(parts, " and ");
}

std::vector<std::string> Names(const std::vector<OsSku>& skus) {
  std::vector<std::string> out;
  for (const auto& s : skus) out.push_back(s.name);
  return out;
}

// OS type and SKU: given, derived from each other, or defaults.
Result<const OsSku*> PickSku(const Catalog& cat, const Request& req, Decision& d) {
  std::vector<std::string> types;
  for (const auto& t : cat.os_types) types.push_back(t.name);
  std::string os_type;
  if (!req.os_type.empty()) {
    HULL_ASSIGN_OR_RETURN(os_type, Canonical("OS type", req.os_type, types));
  }
  const OsSku* sku = nullptr;
  if (!req.os_sku.empty()) {
    HULL_ASSIGN_OR_RETURN(std::string name, Canonical("OS SKU", req.os_sku, Names(cat.os_skus)));
    sku = cat.FindSku(name);
    if (!os_type.empty() && sku->os_type != os_type) {
      d.violations.push_back({"os-sku-os-type",
                              fmt::format("OS SKU {} is a {} SKU, but the OS type is {}", sku->name,
                                          sku->os_type, os_type),
                              "drop --os-type or pick an OS SKU of that type", ""});
    }
  }
  if (os_type.empty()) {
    os_type = sku ? sku->os_type : cat.default_os_type;
    d.why.push_back(sku ? fmt::format("OS type {}: from OS SKU {}", os_type, sku->name)
                        : fmt::format("OS type unspecified: {} (the default)", os_type));
  }
  if (!sku) {
    for (const auto& t : cat.os_types) {
      if (t.name == os_type) sku = cat.FindSku(t.default_sku);
    }
    d.why.push_back(fmt::format("OS SKU unspecified: {} ({}), the default for {}", sku->name,
                                sku->title, os_type));
  }
  d.facts["os_type"] = os_type;
  d.facts["os_sku"] = sku->name;
  return sku;
}

Status SizeFacts(const Catalog& cat, const Request& req, Decision& d) {
  HULL_ASSIGN_OR_RETURN(SizeInfo size, DescribeSize(cat, req.vm_size));
  auto& f = d.facts;
  f["vm_size"] = size.name.canonical;
  f["size_series"] = size.name.series;
  f["size_family"] = size.name.family + size.name.subfamily;
  f["size_version"] = size.name.version ? std::to_string(*size.name.version) : "1";
  f["size_cpu"] = size.cpu;
  f["size_trusted_launch"] = size.trusted_launch;
  f["size_gpu"] = Bool(size.gpu);
  f["size_in_table"] = Bool(size.family != nullptr);
  f["confidential"] = Bool(size.confidential);
  f["gpu_vendor"] = size.gpu_vendor;
  f["gpu_model"] = size.gpu_model;
  f["arch"] = size.arch;
  for (const auto& n : size.notes) (size.family ? d.why : d.warnings).push_back(n);
  bool gen2 =
      std::find(size.generations.begin(), size.generations.end(), 2) != size.generations.end();
  f["generation"] = gen2 ? "2" : "1";
  d.why.push_back(gen2 ? "size supports Generation 2: the Gen2 image is the default"
                       : "size supports Generation 1 only: the Gen1 image");
  if (size.gpu && !req.features.count("gpu")) {
    d.why.push_back(fmt::format("GPU size: GPU drivers are part of the pool ({} {})",
                                size.gpu_vendor, size.gpu_model));
  }
  f["gpu"] = Bool(size.gpu || req.features.count("gpu"));
  return Ok();
}

Status RequestFacts(const Catalog& cat, const Request& req, const OsSku& sku, Decision& d) {
  auto& f = d.facts;
  if (req.kubernetes_version.empty()) {
    f["kubernetes_version"] = cat.default_kubernetes.ToString();
    d.why.push_back(fmt::format("Kubernetes version unspecified: {} (the catalog default)",
                                f["kubernetes_version"]));
  } else {
    HULL_ASSIGN_OR_RETURN(auto k, ParseKubernetesVersion(req.kubernetes_version));
    f["kubernetes_version"] = k.ToString();
  }
  const NamedValues& ch = cat.upgrade_channels;
  HULL_ASSIGN_OR_RETURN(f["upgrade_channel"],
                        req.upgrade_channel.empty()
                            ? Result<std::string>(ch.default_value)
                            : Canonical("upgrade channel", req.upgrade_channel, ch.known));
  const NamedValues& rt = cat.container_runtimes;
  HULL_ASSIGN_OR_RETURN(f["container_runtime"],
                        req.container_runtime.empty()
                            ? Result<std::string>(rt.default_value)
                            : Canonical("container runtime", req.container_runtime, rt.known));
  std::vector<std::string> known;
  for (const auto& feat : cat.features) known.push_back(feat.name);
  for (const auto& want : req.features) HULL_TRY(Canonical("feature", want, known));
  for (const auto& feat : cat.features) {
    if (feat.name == "gpu") continue;  // from the size too, see SizeFacts
    bool on = req.features.count(feat.name) > 0;
    if (!on && sku.implies.count(feat.name)) {
      on = true;
      d.why.push_back(fmt::format("{} implied by OS SKU {}", feat.name, sku.name));
    }
    f[feat.name] = Bool(on);
  }
  for (const char* name : kFeatureNames) f.try_emplace(name, "false");
  f["first_pool"] = Bool(req.first_pool);
  return Ok();
}

void EvaluateRules(const Catalog& cat, Decision& d) {
  auto all = [&](const std::vector<Condition>& cs) {
    return std::all_of(cs.begin(), cs.end(), [&](const Condition& c) { return Holds(c, d.facts); });
  };
  for (const Rule& r : cat.rules) {
    if (!all(r.when)) continue;
    bool violated = (!r.require.empty() && !all(r.require)) || (!r.forbid.empty() && all(r.forbid));
    if (violated) {
      d.violations.push_back({r.id, Fill(r.message, d.facts), Fill(r.fix, d.facts), r.source});
    } else if (!r.when.empty() || !r.conflict) {
      std::string scope = r.when.empty() ? "always" : DescribeConditions(r.when);
      std::string check =
          r.require.empty() ? "not " + DescribeConditions(r.forbid) : DescribeConditions(r.require);
      d.why.push_back(fmt::format("rule {} ({} -> {}): satisfied", r.id, scope, check));
    }
  }
}

}  // namespace

// Defined in select.cc: OS version, lifecycle and image variant.
void SelectImage(const Catalog& cat, const Request& req, const OsSku& sku, Decision& d);

Result<Decision> Resolve(const Catalog& cat, const Request& req) {
  Decision d;
  if (req.vm_size.empty()) return Error(ErrorCode::kInvalidArgument, "a VM size is required");
  HULL_ASSIGN_OR_RETURN(const OsSku* sku, PickSku(cat, req, d));
  d.sku = sku;
  HULL_TRY(SizeFacts(cat, req, d));
  HULL_TRY(RequestFacts(cat, req, *sku, d));
  EvaluateRules(cat, d);
  if (d.violations.empty()) SelectImage(cat, req, *sku, d);
  return d;
}

}  // namespace hull::catalog

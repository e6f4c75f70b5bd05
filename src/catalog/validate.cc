// Cross-reference checks of a parsed catalog: every name a section uses must
// be declared, every rule value must be a value its fact can take.
#include <algorithm>
#include <set>

#include "catalog/catalog.h"
#include "catalog/yaml_reader.h"

namespace hull::catalog {
namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return IEquals(x, s); });
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The values a fact can take, or empty when free-form (size_series, vm_size...).
std::vector<std::string> FactDomain(const Catalog& cat, const std::string& fact) {
  static const std::set<std::string> kBool = {
      "first_pool",     "confidential",   "size_gpu",           "size_in_table", "fips",
      "trusted_launch", "pod_sandboxing", "artifact_streaming", "gpu",           "os_guard"};
  if (kBool.count(fact)) return {"true", "false"};
  if (fact == "size_trusted_launch") return {"true", "false", "unknown"};
  if (fact == "arch") return {"amd64", "arm64"};
  if (fact == "generation") return {"1", "2"};
  if (fact == "upgrade_channel") return cat.upgrade_channels.known;
  if (fact == "container_runtime") return cat.container_runtimes.known;
  std::vector<std::string> out;
  if (fact == "os_type") {
    for (const auto& t : cat.os_types) out.push_back(t.name);
  } else if (fact == "os_sku") {
    for (const auto& s : cat.os_skus) out.push_back(s.name);
  }
  return out;
}

Status CheckRules(const YamlReader& y, const YAML::Node& root, const Catalog& cat) {
  std::set<std::string> ids;
  size_t rule_index = 0, conflict_index = 0;
  for (const auto& r : cat.rules) {
    YAML::Node n = r.conflict ? root["conflicts"][conflict_index++] : root["rules"][rule_index++];
    if (!ids.insert(r.id).second) return y.At(n, fmt::format("duplicate rule id '{}'", r.id));
    for (const auto* list : {&r.when, &r.require, &r.forbid}) {
      for (const auto& c : *list) {
        auto domain = FactDomain(cat, c.fact);
        if (domain.empty()) continue;
        for (const auto& v : c.values) {
          if (!Contains(domain, v)) {
            return y.At(n, fmt::format("rule {}: {} cannot be '{}' (known: {})", r.id, c.fact, v,
                                       Join(domain)));
          }
        }
      }
    }
  }
  return Ok();
}

Status CheckSkus(const YamlReader& y, const YAML::Node& root, const Catalog& cat) {
  std::vector<std::string> types, skus;
  for (const auto& t : cat.os_types) types.push_back(t.name);
  if (!Contains(types, cat.default_os_type)) {
    return y.At(root["os_types"],
                fmt::format("default os type '{}' is not declared", cat.default_os_type));
  }
  for (size_t i = 0; i < cat.os_skus.size(); ++i) {
    const OsSku& s = cat.os_skus[i];
    YAML::Node n = root["os_skus"][i];
    if (Contains(skus, s.name)) return y.At(n, fmt::format("duplicate OS SKU '{}'", s.name));
    skus.push_back(s.name);
    if (!Contains(types, s.os_type)) {
      return y.At(n, fmt::format("OS SKU {}: unknown os_type '{}' (known: {})", s.name, s.os_type,
                                 Join(types)));
    }
    for (const auto& [f, v] : s.implies) {
      if (!cat.FindFeature(f)) return y.At(n, fmt::format("implies undeclared feature '{}'", f));
    }
    std::set<std::string> versions;
    for (const auto& v : s.os_versions) {
      if (!versions.insert(v.version).second) {
        return y.At(n, fmt::format("OS SKU {}: duplicate version '{}'", s.name, v.version));
      }
    }
  }
  for (size_t i = 0; i < cat.os_types.size(); ++i) {
    const OsSku* sku = cat.FindSku(cat.os_types[i].default_sku);
    if (!sku || sku->os_type != cat.os_types[i].name) {
      return y.At(root["os_types"]["types"][i],
                  fmt::format("default_sku '{}' is not an OS SKU of {}",
                              cat.os_types[i].default_sku, cat.os_types[i].name));
    }
  }
  return Ok();
}

// Two images with the same variant would make the choice arbitrary.
std::string VariantKey(const Image& img) {
  std::string key = fmt::format("{}/{}/{}/gen{}/{}", img.os_sku, img.os_version, img.arch,
                                img.generation, img.confidential ? "cvm" : "-");
  for (const auto& f : img.features) key += "/" + f;
  return key;
}

Status CheckImages(const YamlReader& y, const YAML::Node& root, const Catalog& cat) {
  std::set<std::string> ids, variants;
  for (size_t i = 0; i < cat.images.size(); ++i) {
    const Image& img = cat.images[i];
    YAML::Node n = root["images"][i];
    if (!ids.insert(img.id).second) return y.At(n, fmt::format("duplicate image id '{}'", img.id));
    if (!variants.insert(VariantKey(img)).second) {
      return y.At(n, fmt::format("image {} repeats the variant {} of an earlier image", img.id,
                                 VariantKey(img)));
    }
    const OsSku* sku = cat.FindSku(img.os_sku);
    if (!sku) return y.At(n, fmt::format("image {}: unknown os_sku '{}'", img.id, img.os_sku));
    if (std::none_of(sku->os_versions.begin(), sku->os_versions.end(),
                     [&](const OsVersion& v) { return v.version == img.os_version; })) {
      return y.At(
          n, fmt::format("image {}: {} has no OS version '{}'", img.id, sku->name, img.os_version));
    }
    for (const auto& f : img.features) {
      const Feature* feat = cat.FindFeature(f);
      if (!feat || !feat->embedded) {
        return y.At(n, fmt::format("image {}: '{}' is not a declared embedded feature", img.id, f));
      }
    }
  }
  if (cat.images.empty()) return y.At(root["images"], "a catalog needs at least one image");
  return Ok();
}

}  // namespace

Status ValidateCatalog(const YamlReader& y, const YAML::Node& root, const Catalog& cat) {
  HULL_TRY(CheckSkus(y, root, cat));
  HULL_TRY(CheckImages(y, root, cat));
  HULL_TRY(CheckRules(y, root, cat));
  std::vector<std::string> types;
  for (const auto& t : cat.os_types) types.push_back(t.name);
  for (const auto& t : cat.migration_os_types) {
    if (!Contains(types, t)) return y.At(root["migration"], fmt::format("unknown os type '{}'", t));
  }
  std::set<std::string> series;
  for (const auto& fam : cat.vm_sizes) {
    for (const auto& s : fam.series) {
      if (!series.insert(s).second) {
        return Errorf(ErrorCode::kInvalidArgument, "vm sizes: series '{}' listed twice", s);
      }
    }
  }
  return Ok();
}

}  // namespace hull::catalog

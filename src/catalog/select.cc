// The last step of Resolve(): OS version, lifecycle policy, image variant and
// node image version.
#include <fmt/ranges.h>

#include <algorithm>

#include "catalog/engine.h"

namespace hull::catalog {
namespace {

// The requested OS version, or the SKU's default for the Kubernetes version.
// A preview version is a default only when the SKU has nothing else
// (WindowsAnnual); Azure Linux 4.0 (preview) is never picked by default.
const OsVersion* PickOsVersion(const Request& req, const OsSku& sku, Decision& d) {
  std::vector<std::string> known;
  for (const auto& v : sku.os_versions) known.push_back(v.version);
  if (!req.os_version.empty()) {
    for (const auto& v : sku.os_versions) {
      if (IEquals(v.version, req.os_version)) {
        d.why.push_back(fmt::format("OS version {} {}: asked for", sku.name, v.version));
        return &v;
      }
    }
    d.violations.push_back(
        {"os-version", fmt::format("OS SKU {} has no OS version '{}'", sku.name, req.os_version),
         fmt::format("use one of: {}", fmt::join(known, ", ")), sku.source});
    return nullptr;
  }
  auto k = ParseKubernetesVersion(d.facts["kubernetes_version"]);
  const OsVersion* preview = nullptr;
  for (const auto& v : sku.os_versions) {
    if (!v.default_for_kubernetes || !k.ok() || !v.default_for_kubernetes->Contains(*k)) continue;
    if (v.stage == Stage::kPreview) {
      preview = preview ? preview : &v;
      continue;
    }
    d.why.push_back(fmt::format("OS version unspecified: {} {}, the default for Kubernetes {}",
                                sku.name, v.version, d.facts["kubernetes_version"]));
    return &v;
  }
  if (preview && std::all_of(sku.os_versions.begin(), sku.os_versions.end(),
                             [](const OsVersion& v) { return v.stage == Stage::kPreview; })) {
    d.why.push_back(fmt::format("OS version unspecified: {} {}, the only version of this SKU",
                                sku.name, preview->version));
    return preview;
  }
  d.violations.push_back(
      {"default-os-version",
       fmt::format("OS SKU {} has no default OS version for Kubernetes {}", sku.name,
                   d.facts["kubernetes_version"]),
       fmt::format("pass --os-version (one of: {}) or another Kubernetes version",
                   fmt::join(known, ", ")),
       sku.source});
  return nullptr;
}

void CheckLifecycle(const Request& req, const OsSku& sku, const OsVersion& v, Decision& d) {
  if (v.stage == Stage::kGa) return;
  bool refuse = req.policy == LifecyclePolicy::kStrict ||
                (req.policy == LifecyclePolicy::kRefuseEol && v.stage == Stage::kEol);
  std::string what =
      fmt::format("{} {} is {}{}{}", sku.name, v.version,
                  v.stage == Stage::kPreview      ? "in preview (evaluation only)"
                  : v.stage == Stage::kDeprecated ? "deprecated"
                                                  : "past end of life",
                  v.end_of_support.empty() ? "" : " (end of support " + v.end_of_support + ")",
                  v.note.empty() ? "" : ": " + v.note);
  if (refuse) {
    d.violations.push_back(
        {"lifecycle", what + fmt::format(" (lifecycle policy refuses {})", StageName(v.stage)),
         "pick a GA OS version, or pass --lifecycle-policy warn", sku.source});
  } else {
    d.warnings.push_back(what);
  }
}

std::string VariantText(const std::string& arch, const std::string& gen, bool confidential,
                        const std::set<std::string>& features) {
  std::vector<std::string> f(features.begin(), features.end());
  if (confidential) f.insert(f.begin(), "confidential");
  return fmt::format("{}, Gen{}, {}", arch, gen,
                     f.empty() ? "no embedded features" : fmt::format("{}", fmt::join(f, "+")));
}

}  // namespace

void SelectImage(const Catalog& cat, const Request& req, const OsSku& sku, Decision& d) {
  const OsVersion* v = PickOsVersion(req, sku, d);
  if (!v) return;
  d.os_version = v;
  CheckLifecycle(req, sku, *v, d);
  std::set<std::string> embedded;
  for (const auto& feat : cat.features) {
    if (feat.embedded && d.facts[feat.name] == "true") embedded.insert(feat.name);
  }
  bool confidential = d.facts["confidential"] == "true";
  int gen = d.facts["generation"] == "2" ? 2 : 1;
  std::vector<std::string> available;
  for (const Image& img : cat.images) {
    if (img.os_sku != sku.name || img.os_version != v->version) continue;
    available.push_back(
        img.id + " (" +
        VariantText(img.arch, std::to_string(img.generation), img.confidential, img.features) +
        ")");
    if (img.arch != d.facts["arch"] || img.generation != gen || img.confidential != confidential ||
        img.features != embedded) {
      continue;
    }
    d.image = &img;
  }
  std::string want = VariantText(d.facts["arch"], d.facts["generation"], confidential, embedded);
  if (!d.image) {
    d.violations.push_back({"image-variant",
                            fmt::format("{} {} has no image for {} (available: {})", sku.name,
                                        v->version, want, fmt::join(available, "; ")),
                            "change the size or features to match an available variant",
                            sku.source});
    return;
  }
  d.why.push_back(fmt::format("variant {} -> image {}", want, d.image->id));
  auto latest = LatestVersion(d.image->versions);
  if (latest.ok()) {
    d.version = latest->ToString();
    d.image_name = d.image->id + "-" + d.version;
    d.why.push_back(fmt::format("node image version {}: the latest of {} listed", d.version,
                                d.image->versions.size()));
  } else {
    d.image_name = d.image->id;
    d.why.push_back("no node image versions listed: the image id names the image");
  }
  if (!d.violations.empty()) d.image = nullptr;
}

}  // namespace hull::catalog

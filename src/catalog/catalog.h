// The node-image catalog data model and its strict YAML loader.
//
// A catalog (catalog/aks.yaml, catalog/hull.yaml) declares OS types, OS SKUs
// with their OS versions and lifecycle, image variants (arch x generation x
// confidential x embedded features), upgrade channels, container runtimes,
// rules and a feature-conflict table; it includes a VM size family table
// (catalog/vm-sizes.yaml). docs/catalog.md describes the format.
//
// Loading is strict: an unknown key, a wrong type, a duplicate name, a rule on
// an unknown fact or a dangling reference is kInvalidArgument with
// "file:line:column: ..." (1-based). The default catalogs are embedded in the
// binary at build time (BuiltinCatalogFiles()).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "catalog/version.h"

namespace hull::catalog {

// Caps on what a catalog file may hold (the loader reads untrusted YAML).
inline constexpr size_t kMaxCatalogBytes = 1 << 20;
inline constexpr size_t kMaxCatalogEntries = 4096;  // per list

enum class Stage { kGa, kPreview, kDeprecated, kEol };
const char* StageName(Stage stage);

// Facts a rule may test: the engine derives them from a request and the size.
// Listed here so the loader refuses a rule on a misspelled fact.
const std::vector<std::string>& KnownFacts();
// The features a request can carry (CLI flags --enable-fips, --trusted-launch...).
inline const char* const kFeatureNames[] = {
    "fips", "trusted_launch", "pod_sandboxing", "artifact_streaming", "gpu", "os_guard"};

struct Condition {
  enum class Op { kOneOf, kNotOneOf, kMin, kBelow };
  std::string fact;
  Op op = Op::kOneOf;
  std::vector<std::string> values;           // kOneOf / kNotOneOf
  std::optional<KubernetesVersion> version;  // kMin / kBelow (kubernetes_version)
};

struct Rule {
  std::string id;
  std::vector<Condition> when;     // all hold -> the rule applies
  std::vector<Condition> require;  // all must hold
  std::vector<Condition> forbid;   // not all may hold
  std::string message, fix, source, note;
  bool conflict = false;  // from the conflicts table
};

struct KubernetesRange {
  std::optional<KubernetesVersion> min, below;
  bool Contains(const KubernetesVersion& v) const {
    return (!min || v >= *min) && (!below || v < *below);
  }
};

struct OsVersion {
  std::string version;
  Stage stage = Stage::kGa;
  std::string end_of_support, note;
  std::optional<KubernetesRange> default_for_kubernetes;
};

struct OsSku {
  std::string name, os_type, title, source, note;
  std::map<std::string, std::string> implies;  // feature -> "true"
  std::vector<OsVersion> os_versions;
};

struct OsType {
  std::string name, default_sku;
};

struct Image {
  std::string id, os_sku, os_version, arch;
  int generation = 2;
  bool confidential = false;
  std::set<std::string> features;  // embedded features
  std::string spec, note;
  std::vector<ImageVersion> versions;
};

struct SizeFamily {
  std::vector<std::string> series;
  std::string cpu = "unknown", arch;  // arch empty: from the name
  std::vector<int> generations;
  std::string trusted_launch = "unknown";  // true | false | unknown
  std::optional<bool> confidential;
  std::string gpu_vendor, gpu_model, source, note;
};

struct Feature {
  std::string name, title;
  bool embedded = false;
};

struct NamedValues {
  std::vector<std::string> known;
  std::string default_value;
  std::string source;
};

struct Catalog {
  std::string name, title, file;
  KubernetesVersion default_kubernetes;
  std::string default_os_type;
  std::vector<OsType> os_types;
  NamedValues upgrade_channels, container_runtimes;
  std::vector<Feature> features;
  std::vector<OsSku> os_skus;
  std::vector<Image> images;
  std::vector<Rule> rules;  // rules, then conflicts
  std::vector<SizeFamily> vm_sizes;
  std::vector<std::string> migration_os_types;
  std::string migration_source;

  const OsSku* FindSku(std::string_view name) const;  // case-insensitive
  const Feature* FindFeature(std::string_view name) const;
  const SizeFamily* FindSizeFamily(std::string_view series) const;
};

// Reads a file named in the catalog (the vm_sizes include), relative to the
// catalog's own location.
using FileReader = std::function<Result<std::string>(const std::string& name)>;

// Parses catalog text named `file` (for messages); includes go through `read`.
Result<Catalog> ParseCatalog(const std::string& file, std::string_view text,
                             const FileReader& read);
// Loads a catalog file from disk; includes are read next to it.
Result<Catalog> LoadCatalogFile(const std::string& path);
// "aks" or "hull": the catalog embedded at build time. kNotFound lists the names.
Result<Catalog> LoadBuiltinCatalog(std::string_view name);
// "aks", "hull" or a path.
Result<Catalog> LoadCatalog(std::string_view name_or_path);

// The embedded files of catalog/: name ("aks.yaml") -> text.
const std::map<std::string, std::string_view>& BuiltinCatalogFiles();

// Case-insensitive lookup of `value` among `known`; returns the canonical
// spelling, or kInvalidArgument "unknown <what> 'x' (known: a, b)".
Result<std::string> Canonical(std::string_view what, std::string_view value,
                              const std::vector<std::string>& known);
bool IEquals(std::string_view a, std::string_view b);

}  // namespace hull::catalog

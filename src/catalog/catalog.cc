#include "catalog/catalog.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "base/file.h"

namespace hull::catalog {

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kGa:
      return "ga";
    case Stage::kPreview:
      return "preview";
    case Stage::kDeprecated:
      return "deprecated";
    case Stage::kEol:
      return "eol";
  }
  return "?";
}

const std::vector<std::string>& KnownFacts() {
  static const std::vector<std::string> kFacts = [] {
    std::vector<std::string> f = {"os_type",
                                  "os_sku",
                                  "arch",
                                  "generation",
                                  "vm_size",
                                  "size_series",
                                  "size_family",
                                  "size_version",
                                  "size_cpu",
                                  "size_trusted_launch",
                                  "size_gpu",
                                  "size_in_table",
                                  "confidential",
                                  "gpu_vendor",
                                  "gpu_model",
                                  "kubernetes_version",
                                  "upgrade_channel",
                                  "container_runtime",
                                  "first_pool"};
    for (const char* feature : kFeatureNames) f.push_back(feature);
    return f;
  }();
  return kFacts;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Result<std::string> Canonical(std::string_view what, std::string_view value,
                              const std::vector<std::string>& known) {
  for (const auto& k : known) {
    if (IEquals(k, value)) return k;
  }
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return Errorf(ErrorCode::kInvalidArgument, "unknown {} '{}' (known: {})", what, value, list);
}

const OsSku* Catalog::FindSku(std::string_view sku) const {
  for (const auto& s : os_skus) {
    if (IEquals(s.name, sku)) return &s;
  }
  return nullptr;
}

const Feature* Catalog::FindFeature(std::string_view feature) const {
  for (const auto& f : features) {
    if (f.name == feature) return &f;
  }
  return nullptr;
}

const SizeFamily* Catalog::FindSizeFamily(std::string_view series) const {
  for (const auto& fam : vm_sizes) {
    for (const auto& s : fam.series) {
      if (s == series) return &fam;
    }
  }
  return nullptr;
}

Result<Catalog> LoadCatalogFile(const std::string& path) {
  namespace fs = std::filesystem;
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, kMaxCatalogBytes));
  fs::path dir = fs::path(path).parent_path();
  FileReader read = [dir](const std::string& name) -> Result<std::string> {
    if (name.find("..") != std::string::npos || fs::path(name).is_absolute()) {
      return Errorf(ErrorCode::kInvalidArgument, "include '{}' must stay next to the catalog",
                    name);
    }
    return ReadFileText((dir / name).string(), kMaxCatalogBytes);
  };
  return ParseCatalog(path, text, read);
}

Result<Catalog> LoadBuiltinCatalog(std::string_view name) {
  const auto& files = BuiltinCatalogFiles();
  auto it = files.find(std::string(name) + ".yaml");
  if (it == files.end() || name == "vm-sizes") {
    return Errorf(ErrorCode::kNotFound, "no built-in catalog '{}' (known: aks, hull)", name);
  }
  FileReader read = [&files](const std::string& include) -> Result<std::string> {
    auto inc = files.find(include);
    if (inc == files.end()) {
      return Errorf(ErrorCode::kNotFound, "no built-in file '{}'", include);
    }
    return std::string(inc->second);
  };
  return ParseCatalog("catalog/" + it->first, it->second, read);
}

Result<Catalog> LoadCatalog(std::string_view name_or_path) {
  if (IEquals(name_or_path, "aks")) return LoadBuiltinCatalog("aks");
  if (IEquals(name_or_path, "hull")) return LoadBuiltinCatalog("hull");
  return LoadCatalogFile(std::string(name_or_path));
}

}  // namespace hull::catalog

// The strict loader: valid catalogs load, each kind of mistake is reported
// with file:line:column and the specific problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "base/file.h"
#include "catalog/catalog.h"
#include "support/status_matchers.h"

namespace hull::catalog {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A minimal valid catalog; tests replace one line to break it.
const char* kMinimal = R"(catalog: t
os_types:
  default: Linux
  types:
    - {name: Linux, default_sku: A}
upgrade_channels: {known: [NodeImage], default: NodeImage}
container_runtimes: {known: [containerd], default: containerd}
features:
  - {name: fips, embedded: true}
os_skus:
  - name: A
    os_type: Linux
    os_versions:
      - {version: "1", default_for_kubernetes: {}}
images:
  - {id: A-img, os_sku: A, os_version: "1", arch: amd64, versions: ["202601.02.0"]}
rules:
  - id: r1
    when: {fips: true}
    forbid: {arch: arm64}
    message: m
    fix: f
)";

Result<std::string> NoIncludes(const std::string& name) {
  return Errorf(ErrorCode::kNotFound, "no file {}", name);
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(Loader, MinimalCatalogLoads) {
  auto cat = ParseCatalog("t.yaml", kMinimal, NoIncludes);
  ASSERT_OK(cat);
  EXPECT_EQ(cat->name, "t");
  ASSERT_EQ(cat->images.size(), 1u);
  EXPECT_EQ(cat->images[0].versions[0].ToString(), "202601.02.0");
  ASSERT_EQ(cat->rules.size(), 1u);
  EXPECT_EQ(cat->rules[0].forbid[0].fact, "arch");
}

TEST(Loader, MalformedCatalogsNameFileLineAndProblem) {
  // Columns point at the offending token (checked by counting in the text).
  struct Case {
    const char* from;
    const char* to;
    const char* error;
  } cases[] = {
      {"catalog: t\n", "catalog: t\nbogus: 1\n",
       "t.yaml:2:1: unknown key 'bogus' in catalog (known: catalog, title, sources, vm_sizes, "
       "kubernetes, os_types, upgrade_channels, container_runtimes, features, os_skus, images, "
       "rules, conflicts, migration)"},
      {"catalog: t\n", "catalog: t\ncatalog: u\n",
       "t.yaml:2:1: duplicate key 'catalog' in catalog"},
      {"    os_type: Linux\n", "    os_type: [Linux]\n",
       "t.yaml:12:14: os_type must be a scalar, not a list"},
      {"    os_type: Linux\n", "    os_type: Plan9\n",
       "t.yaml:11:5: OS SKU A: unknown os_type 'Plan9' (known: Linux)"},
      {"arch: amd64, versions", "arch: x86, versions",
       "t.yaml:16:51: arch 'x86' is not amd64 or arm64"},
      {"os_sku: A, os_version", "os_sku: B, os_version",
       "t.yaml:16:5: image A-img: unknown os_sku 'B'"},
      {"[\"202601.02.0\"]", "[\"2026.1\"]",
       "t.yaml:16:69: node image version '2026.1' is not YYYYMM.DD.N (e.g. 202606.01.0): "
       "expected three parts"},
      {"forbid: {arch: arm64}", "forbid: {arch: sparc}",
       "t.yaml:18:5: rule r1: arch cannot be 'sparc' (known: amd64, arm64)"},
      {"when: {fips: true}", "when: {fipz: true}", "t.yaml:19:18: unknown fact 'fipz'"},
      {"    fix: f\n", "    fix: f\n    require: {fips: false}\n",
       "t.yaml:18:5: rule r1 needs exactly one of require, forbid"},
      {"    message: m\n", "", "t.yaml:18:5: rule needs key 'message'"},
      {"{name: fips, embedded: true}", "{name: fips, embedded: yes}",
       "t.yaml:9:28: embedded must be true or false, not 'yes'"},
      {"default: NodeImage}", "default: None}", "t.yaml:6:49: default 'None' is not among known"},
      {"features:\n  - {name: fips, embedded: true}\n", "features: {fips: true}\n",
       "t.yaml:8:11: features must be a list, not a map"},
      {"  - id: r1\n", "  - id: r1\n   bad: [\n",
       "t.yaml:19:4: YAML syntax: end of sequence not found"},
  };
  for (const auto& c : cases) {
    std::string text = Replace(kMinimal, c.from, c.to);
    auto cat = ParseCatalog("t.yaml", text, NoIncludes);
    ASSERT_FALSE(cat.ok()) << c.error;
    EXPECT_ERROR(cat, ErrorCode::kInvalidArgument);
    EXPECT_THAT(cat.error().ToString(), StartsWith(c.error));
  }
}

TEST(Loader, IncludeErrorsNameTheIncludingLineAndTheIncludedFile) {
  std::string text = Replace(kMinimal, "catalog: t\n", "catalog: t\nvm_sizes: sizes.yaml\n");
  auto missing = ParseCatalog("t.yaml", text, NoIncludes);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().ToString(), "t.yaml:2:11: vm_sizes: no file sizes.yaml");
  auto bad = ParseCatalog("t.yaml", text, [](const std::string&) -> Result<std::string> {
    return std::string("vm_sizes:\n  - series: [D_v5]\n    generations: [3]\n    source: x\n");
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(), "sizes.yaml:3:18: generations are 1 and/or 2");
}

TEST(Loader, RefusesOversizedInput) {
  std::string big(kMaxCatalogBytes + 1, '#');
  auto cat = ParseCatalog("big.yaml", big, NoIncludes);
  ASSERT_FALSE(cat.ok());
  EXPECT_EQ(cat.error().ToString(), "big.yaml: larger than 1048576 bytes");
}

TEST(Loader, BuiltinCatalogsAreTheFilesOfCatalogDir) {
  const char* src = std::getenv("HULL_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  for (const char* name : {"aks.yaml", "hull.yaml", "vm-sizes.yaml"}) {
    auto text = ReadFileText(std::string(src) + "/catalog/" + name);
    ASSERT_OK(text);
    EXPECT_EQ(BuiltinCatalogFiles().at(name), *text) << name;
  }
  for (const char* name : {"aks", "hull"}) {
    auto builtin = LoadBuiltinCatalog(name);
    ASSERT_OK(builtin);
    auto file = LoadCatalogFile(std::string(src) + "/catalog/" + name + ".yaml");
    ASSERT_OK(file);
    EXPECT_EQ(builtin->images.size(), file->images.size());
    EXPECT_EQ(builtin->rules.size(), file->rules.size());
  }
  auto none = LoadBuiltinCatalog("gke");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(), "no built-in catalog 'gke' (known: aks, hull)");
}

TEST(Loader, EverySizeFamilyAndRuleCitesASource) {
  auto cat = LoadBuiltinCatalog("aks");
  ASSERT_OK(cat);
  for (const auto& fam : cat->vm_sizes) {
    EXPECT_THAT(fam.source, StartsWith("https://learn.microsoft.com/")) << fam.series[0];
  }
  for (const auto& r : cat->rules) {
    EXPECT_THAT(r.source, StartsWith("https://learn.microsoft.com/")) << r.id;
  }
}

}  // namespace
}  // namespace hull::catalog

// Runs the built `hull catalog ...` for exit codes, text and JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

using ::testing::HasSubstr;

ProcessOutput Hull(std::vector<std::string> args) {
  const char* bin = std::getenv("HULL_BIN");
  EXPECT_NE(bin, nullptr);
  args.insert(args.begin(), {bin, "catalog"});
  // Run from / so the embedded catalogs, not files in the working tree, are used.
  auto out =
      hull::RunAllowFailure(Command{.argv = args, .cwd = "/", .timeout = std::chrono::seconds(30)});
  EXPECT_OK(out);
  return out.ok() ? *out : ProcessOutput{};
}

TEST(CatalogCli, ResolveAcceptedPrintsNameVariantAndWhy) {
  auto out = Hull({"resolve", "--os-sku", "AzureContainerLinux", "--vm-size", "Standard_D4s_v5",
                   "--kubernetes-version", "1.34"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_THAT(out.out, HasSubstr("image:   AKSAzureContainerLinux-202606.01.0\n"));
  EXPECT_THAT(out.out, HasSubstr("variant: amd64, Gen2, trusted_launch\n"));
  EXPECT_THAT(out.out, HasSubstr("trusted_launch implied by OS SKU AzureContainerLinux"));
}

TEST(CatalogCli, ResolveJson) {
  auto out = Hull({"resolve", "--os-sku", "ubuntu", "--vm-size", "standard_d4ps_v6",
                   "--enable-fips", "--json"});
  // Ubuntu has no ARM64 FIPS image: refused, exit 1, JSON still on stdout.
  EXPECT_EQ(out.exit_code, 1);
  auto j = nlohmann::json::parse(out.out);
  EXPECT_EQ(j["accepted"], false);
  ASSERT_EQ(j["violations"].size(), 1u);
  EXPECT_EQ(j["violations"][0]["rule"], "image-variant");
  auto ok = Hull({"resolve", "--vm-size", "Standard_D4s_v5", "--trusted-launch", "--json"});
  EXPECT_EQ(ok.exit_code, 0);
  auto k = nlohmann::json::parse(ok.out);
  EXPECT_EQ(k["accepted"], true);
  EXPECT_EQ(k["image"], "AKSUbuntu-2204gen2TLcontainerd");
  EXPECT_EQ(k["variant"]["generation"], 2);
  EXPECT_EQ(k["variant"]["features"], nlohmann::json::array({"trusted_launch"}));
  EXPECT_EQ(k["os_version"], "22.04");
}

// A refusal exits 1 as everywhere in hull (README, "Exit status"), apart
// from bad input's 2.
TEST(CatalogCli, RefusedListsEveryReasonAndExits1) {
  auto out = Hull({"resolve", "--os-sku", "AzureContainerLinux", "--vm-size", "Standard_A2_v2",
                   "--kubernetes-version", "1.33", "--upgrade-channel", "Unmanaged"});
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.out, "");
  EXPECT_THAT(out.err, HasSubstr("hull: refused: 6 rules violated\n"));
  for (const char* rule :
       {"[acl-kubernetes-1.34]", "[acl-no-gen1]", "[acl-upgrade-channel]", "[acl-trusted-launch]",
        "[trusted-launch-size]", "[trusted-launch-vs-gen1]"}) {
    EXPECT_THAT(out.err, HasSubstr(rule));
  }
}

TEST(CatalogCli, UnknownValuesAndSizesAreUsageErrors) {
  auto sku = Hull({"resolve", "--os-sku", "Flatcar", "--vm-size", "Standard_D4s_v5"});
  EXPECT_EQ(sku.exit_code, 2);
  EXPECT_THAT(sku.err, HasSubstr("unknown OS SKU 'Flatcar' (known: Ubuntu, AzureLinux"));
  auto size = Hull({"resolve", "--vm-size", "Standard_D4q_v5"});
  EXPECT_EQ(size.exit_code, 2);
  EXPECT_THAT(size.err, HasSubstr("does not follow Azure's size naming"));
  auto missing = Hull({"resolve"});
  EXPECT_EQ(missing.exit_code, 2);
}

TEST(CatalogCli, ListVersionsMigrate) {
  auto list = Hull({"list", "--os-sku", "AzureContainerLinux", "--json"});
  EXPECT_EQ(list.exit_code, 0);
  auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["latest"], "202606.01.0");
  auto versions = Hull({"versions", "AKSAzureContainerLinux"});
  EXPECT_EQ(versions.exit_code, 0);
  EXPECT_EQ(versions.out,
            "AKSAzureContainerLinux-202606.01.0  (latest)\nAKSAzureContainerLinux-202605.25.0\n");
  auto unknown = Hull({"versions", "AKSFoo"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown image 'AKSFoo' (known: AKSUbuntu-2204containerd"));
  auto mig = Hull({"migrate", "--from-sku", "Ubuntu", "--to-sku", "AzureContainerLinux",
                   "--vm-size", "Standard_D4s_v5", "--kubernetes-version", "1.34", "--json"});
  EXPECT_EQ(mig.exit_code, 0) << mig.err;
  auto m = nlohmann::json::parse(mig.out);
  EXPECT_EQ(m["to"]["image"], "AKSAzureContainerLinux-202606.01.0");
  EXPECT_EQ(m["rollback"].size(), 2u);
  auto win = Hull({"migrate", "--from-sku", "Ubuntu", "--to-sku", "Windows2022", "--vm-size",
                   "Standard_D4s_v5"});
  EXPECT_EQ(win.exit_code, 1);
  EXPECT_THAT(win.err, HasSubstr("[migration-os-type]"));
}

TEST(CatalogCli, ValidatePrintsANodepoolTable) {
  auto dir = TempDir::Create("hull-catalog-cli");
  ASSERT_OK(dir);
  std::string good = dir->path() + "/good.yaml", bad = dir->path() + "/bad.yaml";
  std::ofstream(good) << "kubernetesVersion: \"1.34\"\npools:\n"
                         "  - {name: sys, vmSize: Standard_D4s_v5}\n"
                         "  - {name: win, osType: Windows, vmSize: Standard_D4s_v5}\n";
  std::ofstream(bad) << "pools:\n  - {name: win, osType: Windows, vmSize: Standard_D4s_v5}\n";
  auto ok = Hull({"validate", good});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("Name         OsType   OsSku                VmSize                 "
                                "  NodeImageVersion\n"));
  EXPECT_THAT(ok.out, HasSubstr("sys          Linux    Ubuntu               Standard_D4s_v5        "
                                "  AKSUbuntu-2204gen2containerd\n"));
  EXPECT_THAT(ok.out, HasSubstr("win          Windows  Windows2022          Standard_D4s_v5        "
                                "  AKSWindows-2022-containerd-gen2\n"));
  auto refused = Hull({"validate", bad});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("hull: pool win: refused: 1 rule violated"));
  EXPECT_THAT(refused.err,
              HasSubstr("[first-pool-linux] the first node pool of a cluster must be Linux"));
}

TEST(CatalogCli, CatalogFileAndHullCatalog) {
  const char* src = std::getenv("HULL_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  auto file = Hull({"resolve", "--catalog", std::string(src) + "/catalog/hull.yaml", "--vm-size",
                    "Standard_D4s_v5", "--json"});
  EXPECT_EQ(file.exit_code, 0) << file.err;
  auto j = nlohmann::json::parse(file.out);
  EXPECT_EQ(j["image"], "HullImmutable-202611.24.1");
  EXPECT_EQ(j["spec"], "specs/default.yaml");
  auto channel = Hull({"resolve", "--catalog", "hull", "--vm-size", "Standard_D4s_v5",
                       "--upgrade-channel", "SecurityPatch"});
  EXPECT_EQ(channel.exit_code, 1);
  EXPECT_THAT(channel.err, HasSubstr("[immutable-image-channels]"));
  auto missing = Hull({"list", "--catalog", "/nonexistent/catalog.yaml"});
  EXPECT_EQ(missing.exit_code, 2);
}

// An arm64 VM size (the 'p' of Dpsv6: Azure Cobalt 100) resolves to the arm64
// image and its spec, an amd64 one to the amd64 image: the spec files named
// are the ones `hull build` takes, and say the arch the size has.
TEST(CatalogCli, Arm64SizesResolveToTheArm64Image) {
  const char* src = std::getenv("HULL_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  struct Row {
    const char* size;
    const char* image;
    const char* spec;
    const char* arch;
  } rows[] = {
      {"Standard_D4ps_v6", "HullImmutable-arm64", "specs/immutable-arm64.yaml", "arm64"},
      {"Standard_D4s_v5", "HullImmutable-202611.24.1", "specs/default.yaml", "amd64"},
  };
  for (const Row& r : rows) {
    auto out = Hull({"resolve", "--catalog", "hull", "--vm-size", r.size, "--json"});
    ASSERT_EQ(out.exit_code, 0) << r.size << ": " << out.err;
    auto j = nlohmann::json::parse(out.out);
    EXPECT_EQ(j["image"], r.image) << r.size;
    EXPECT_EQ(j["spec"], r.spec) << r.size;
    auto text = ReadFileText(std::string(src) + "/" + r.spec, 1 << 20);
    ASSERT_OK(text);
    EXPECT_THAT(*text, HasSubstr(std::string("\narch: ") + r.arch + "\n")) << r.spec;
  }
  // Ampere Altra's Dpsv5: Trusted Launch unknown in vm-sizes.yaml, so the
  // immutable flavor (Secure Boot and a vTPM) refuses it, naming the rule.
  auto altra = Hull({"resolve", "--catalog", "hull", "--vm-size", "Standard_D4ps_v5"});
  EXPECT_EQ(altra.exit_code, 1);
  EXPECT_THAT(altra.err, HasSubstr("[immutable-trusted-launch]"));
}

}  // namespace
}  // namespace hull

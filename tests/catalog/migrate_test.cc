#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog/engine.h"

#include "support/status_matchers.h"

namespace hull::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Catalog& Aks() {
  static const Catalog cat = *LoadBuiltinCatalog("aks");
  return cat;
}

Request Pool(std::string sku, std::string size, std::set<std::string> features = {},
             std::string channel = "", std::string kube = "1.34") {
  Request r;
  r.os_sku = std::move(sku);
  r.vm_size = std::move(size);
  r.features = std::move(features);
  r.upgrade_channel = std::move(channel);
  r.kubernetes_version = std::move(kube);
  return r;
}

std::vector<std::string> Ids(const MigrationPlan& p) {
  std::vector<std::string> ids;
  for (const auto& v : p.violations) ids.push_back(v.rule);
  return ids;
}

TEST(Migration, UbuntuToAclPlansStepsAndRollback) {
  auto plan = PlanMigration(Aks(), Pool("Ubuntu", "Standard_D4s_v5"), "azurecontainerlinux");
  ASSERT_OK(plan);
  ASSERT_TRUE(plan->ok());
  EXPECT_EQ(plan->from.image_name, "AKSUbuntu-2204gen2containerd");
  EXPECT_EQ(plan->to.image_name, "AKSAzureContainerLinux-202606.01.0");
  ASSERT_EQ(plan->steps.size(), 3u);
  EXPECT_THAT(plan->steps[1], HasSubstr("az aks nodepool update --os-sku AzureContainerLinux"));
  ASSERT_EQ(plan->rollback.size(), 2u);
  EXPECT_EQ(
      plan->rollback[0],
      "az aks nodepool update --os-sku Ubuntu (reimages back onto AKSUbuntu-2204gen2containerd)");
}

TEST(Migration, AzureLinuxToUbuntu) {
  auto plan = PlanMigration(Aks(), Pool("AzureLinux", "Standard_D4ps_v6"), "Ubuntu");
  ASSERT_OK(plan);
  ASSERT_TRUE(plan->ok());
  EXPECT_EQ(plan->to.image_name, "AKSUbuntu-2204gen2arm64containerd");
}

TEST(Migration, TargetRulesSeeThePoolsSizeFeaturesAndChannel) {
  // Pod Sandboxing on Azure Linux cannot move to ACL; neither can SecurityPatch
  // or an Ampere ARM64 size.
  auto plan = PlanMigration(
      Aks(), Pool("AzureLinux", "Standard_D4s_v5", {"pod_sandboxing"}, "SecurityPatch"),
      "AzureContainerLinux");
  ASSERT_OK(plan);
  EXPECT_FALSE(plan->ok());
  EXPECT_THAT(Ids(*plan), ElementsAre("pod-sandboxing-azure-linux", "acl-no-pod-sandboxing",
                                      "acl-upgrade-channel", "trusted-launch-vs-pod-sandboxing"));
  EXPECT_THAT(plan->violations[2].message, HasSubstr("target AzureContainerLinux: "));
  EXPECT_TRUE(plan->steps.empty());
  auto ampere = PlanMigration(Aks(), Pool("Ubuntu", "Standard_D4ps_v5"), "AzureContainerLinux");
  ASSERT_OK(ampere);
  EXPECT_THAT(Ids(*ampere),
              ElementsAre("trusted-launch-size", "acl-trusted-launch", "acl-arm64-cobalt-v6"));
  auto old = PlanMigration(Aks(), Pool("Ubuntu", "Standard_D4s_v5", {}, "", "1.33"),
                           "AzureContainerLinux");
  ASSERT_OK(old);
  EXPECT_THAT(Ids(*old), ElementsAre("acl-kubernetes-1.34"));
}

TEST(Migration, WindowsIsRefusedBothWays) {
  for (auto [from, to] : {std::pair{"Ubuntu", "Windows2022"}, std::pair{"Windows2019", "Ubuntu"},
                          std::pair{"Windows2019", "Windows2022"}}) {
    auto plan = PlanMigration(Aks(), Pool(from, "Standard_D4s_v5"), to);
    ASSERT_OK(plan);
    EXPECT_THAT(Ids(*plan), ElementsAre("migration-os-type")) << from << "->" << to;
  }
  auto plan = PlanMigration(Aks(), Pool("Ubuntu", "Standard_D4s_v5"), "Windows2022");
  EXPECT_EQ(plan->violations[0].message,
            "in-place OS SKU migration is between Linux SKUs only: Ubuntu (Linux) -> Windows2022 "
            "(Windows)");
}

TEST(Migration, SameSkuAndUnknownSku) {
  auto same = PlanMigration(Aks(), Pool("Ubuntu", "Standard_D4s_v5"), "ubuntu");
  ASSERT_OK(same);
  EXPECT_THAT(Ids(*same), ElementsAre("migration-same-sku"));
  auto unknown = PlanMigration(Aks(), Pool("Ubuntu", "Standard_D4s_v5"), "Flatcar");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error().message(), HasSubstr("unknown OS SKU 'Flatcar'"));
}

TEST(Migration, NoRollbackImageWhenTheSourceIsRefused) {
  // Azure Linux with an NC A100 v4 GPU is refused today; Ubuntu accepts it.
  auto plan =
      PlanMigration(Aks(), Pool("AzureLinux", "Standard_NC24ads_A100_v4", {"gpu"}), "Ubuntu");
  ASSERT_OK(plan);
  ASSERT_TRUE(plan->ok());
  ASSERT_EQ(plan->rollback.size(), 1u);
  EXPECT_THAT(plan->rollback[0], HasSubstr("no rollback image"));
}

TEST(Cluster, ValidatesEveryPoolAndTheFirstPoolRule) {
  const char* yaml = R"(kubernetesVersion: "1.34"
pools:
  - {name: win, osType: Windows, vmSize: Standard_D4s_v5}
  - {name: acl, osSKU: AzureContainerLinux, vmSize: Standard_D4ps_v6}
  - {name: kata, osSKU: AzureLinux, vmSize: Standard_D4s_v5, features: [pod_sandboxing]}
)";
  auto spec = ParseClusterSpec("c.yaml", yaml);
  ASSERT_OK(spec);
  auto results = ValidateCluster(Aks(), *spec);
  ASSERT_OK(results);
  ASSERT_EQ(results->size(), 3u);
  EXPECT_FALSE((*results)[0].decision.ok());
  EXPECT_EQ((*results)[0].decision.violations[0].rule, "first-pool-linux");
  EXPECT_EQ((*results)[1].decision.image_name, "AKSAzureContainerLinux-arm64");
  EXPECT_EQ((*results)[2].decision.image_name, "AKSAzureLinux-V3gen2kata");
}

TEST(Cluster, MalformedDefinitions) {
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"pools: []\n", "c.yaml:1:8: a cluster needs at least one node pool"},
      {"pools:\n  - {name: a, vmSize: x}\n  - {name: a, vmSize: y}\n",
       "c.yaml:3:5: duplicate pool name 'a'"},
      {"pools:\n  - {name: Sys, vmSize: x}\n", "c.yaml:2:12: pool name 'Sys' is not 1-12"},
      {"pools:\n  - {name: a, vmsize: x}\n", "c.yaml:2:15: unknown key 'vmsize' in node pool"},
      {"pools:\n  - {name: a, vmSize: x, features: [turbo]}\n",
       "c.yaml:2:36: unknown feature 'turbo'"},
  };
  for (const auto& c : cases) {
    auto spec = ParseClusterSpec("c.yaml", c.yaml);
    ASSERT_FALSE(spec.ok()) << c.yaml;
    EXPECT_THAT(spec.error().ToString(), ::testing::StartsWith(c.error));
  }
}

}  // namespace
}  // namespace hull::catalog

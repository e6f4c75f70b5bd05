#include "catalog/vm_size.h"

#include <gtest/gtest.h>

#include "catalog/engine.h"
#include "support/status_matchers.h"

namespace hull::catalog {
namespace {

// Names and their parts as the naming convention page spells them out
// (https://learn.microsoft.com/azure/virtual-machines/vm-naming-conventions).
TEST(VmSizeName, ParsesTheConventionsParts) {
  struct Case {
    const char* in;
    const char* canonical;
    const char* family;
    const char* subfamily;
    uint32_t vcpus;
    int constrained;  // -1: none
    const char* features;
    std::vector<std::string> accelerators;
    int version;  // -1: none
    const char* series;
  } cases[] = {
      {"Standard_D4ps_v6", "Standard_D4ps_v6", "D", "", 4, -1, "ps", {}, 6, "Dps_v6"},
      {"standard_d4ps_v6", "Standard_D4ps_v6", "D", "", 4, -1, "ps", {}, 6, "Dps_v6"},
      {"STANDARD_NC24ADS_A100_V4",
       "Standard_NC24ads_A100_v4",
       "N",
       "C",
       24,
       -1,
       "ads",
       {"A100"},
       4,
       "NCads_A100_v4"},
      {"Standard_E8-4ds_v5", "Standard_E8-4ds_v5", "E", "", 8, 4, "ds", {}, 5, "Eds_v5"},
      {"Standard_DC4as_v5", "Standard_DC4as_v5", "D", "C", 4, -1, "as", {}, 5, "DCas_v5"},
      {"Standard_B2ms", "Standard_B2ms", "B", "", 2, -1, "ms", {}, -1, "Bms"},
      {"Standard_A2_v2", "Standard_A2_v2", "A", "", 2, -1, "", {}, 2, "A_v2"},
      {"D2_v2", "Standard_D2_v2", "D", "", 2, -1, "", {}, 2, "D_v2"},
      {"Standard_DS2_v2", "Standard_DS2_v2", "D", "S", 2, -1, "", {}, 2, "DS_v2"},
      {"Standard_ND128isr_NDR_GB200_v6",
       "Standard_ND128isr_NDR_GB200_v6",
       "N",
       "D",
       128,
       -1,
       "isr",
       {"NDR", "GB200"},
       6,
       "NDisr_NDR_GB200_v6"},
      {"Standard_NCC40ads_H100_v5",
       "Standard_NCC40ads_H100_v5",
       "N",
       "CC",
       40,
       -1,
       "ads",
       {"H100"},
       5,
       "NCCads_H100_v5"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    auto n = ParseVmSizeName(c.in);
    ASSERT_OK(n);
    EXPECT_EQ(n->canonical, c.canonical);
    EXPECT_EQ(n->family, c.family);
    EXPECT_EQ(n->subfamily, c.subfamily);
    EXPECT_EQ(n->vcpus, c.vcpus);
    EXPECT_EQ(n->constrained_vcpus ? int(*n->constrained_vcpus) : -1, c.constrained);
    EXPECT_EQ(n->features, c.features);
    EXPECT_EQ(n->accelerators, c.accelerators);
    EXPECT_EQ(n->version ? int(*n->version) : -1, c.version);
    EXPECT_EQ(n->series, c.series);
  }
}

TEST(VmSizeName, RefusesWhatTheConventionCannotRead) {
  struct Bad {
    const char* in;
    const char* why;
  } cases[] = {
      {"", "empty or too long"},
      {"Standard_", "no vCPU count after the family"},
      {"Standard_4s_v5", "no family letter"},
      {"Standard_Ds_v5", "no vCPU count after the family"},
      {"Standard_D0s_v5", "'0' is not a vCPU count"},
      {"Standard_D4x_v5", "unknown feature letter 'x' (known: abdeilmnprst)"},
      {"Standard_D4s__v5", "bad part ''"},
      {"Standard_D4s_v5!", "bad part 'v5!'"},
      {"Standard_D4-s_v5", "'' is not a vCPU count"},
  };
  for (const auto& c : cases) {
    auto n = ParseVmSizeName(c.in);
    ASSERT_FALSE(n.ok()) << c.in;
    EXPECT_EQ(n.error().message(),
              fmt::format("VM size '{}' does not follow Azure's size naming (e.g. "
                          "Standard_D4s_v5): {}",
                          c.in, c.why));
  }
}

TEST(SizeFacts, TableOverridesTheNameAndSaysSo) {
  auto cat = LoadBuiltinCatalog("aks");
  ASSERT_OK(cat);
  auto sgx = DescribeSize(*cat, "Standard_DC4s_v3");  // C sub-family, but SGX, not a CVM
  ASSERT_OK(sgx);
  EXPECT_FALSE(sgx->confidential);
  auto cvm = DescribeSize(*cat, "Standard_DC4as_v5");
  ASSERT_OK(cvm);
  EXPECT_TRUE(cvm->confidential);
  EXPECT_EQ(cvm->generations, std::vector<int>{2});
  auto grace = DescribeSize(*cat, "Standard_ND128isr_NDR_GB200_v6");  // ARM64 without p
  ASSERT_OK(grace);
  EXPECT_EQ(grace->arch, "arm64");
  EXPECT_EQ(grace->gpu_vendor, "nvidia");
  auto cobalt = DescribeSize(*cat, "Standard_E4pds_v6");
  ASSERT_OK(cobalt);
  EXPECT_EQ(cobalt->cpu, "cobalt");
  EXPECT_EQ(cobalt->trusted_launch, "true");
  // Not in the table: naming rules only, and the note says so.
  auto unknown = DescribeSize(*cat, "Standard_E4pas_v9");
  ASSERT_OK(unknown);
  EXPECT_EQ(unknown->family, nullptr);
  EXPECT_EQ(unknown->arch, "arm64");
  EXPECT_EQ(unknown->cpu, "amd");
  EXPECT_EQ(unknown->trusted_launch, "unknown");
  ASSERT_EQ(unknown->notes.size(), 1u);
  EXPECT_EQ(
      unknown->notes[0],
      "size series Epas_v9 is not in the size table: arch arm64, confidential no from the "
      "name; generation support unknown, Generation 2 assumed; Trusted Launch support unknown");
}

}  // namespace
}  // namespace hull::catalog

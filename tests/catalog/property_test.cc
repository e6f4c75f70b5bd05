// Property: every image the engine returns satisfies every constraint of the
// issue, checked here by hand-written predicates (not by the YAML rules), over
// the whole request space of a set of representative sizes.
#include <gtest/gtest.h>

#include <set>

#include "catalog/engine.h"

#include "support/status_matchers.h"

namespace hull::catalog {
namespace {

const char* kSizes[] = {"Standard_D4s_v5",      "Standard_A2_v2",
                        "Standard_D4ps_v6",     "Standard_D4ps_v5",
                        "Standard_DC4as_v5",    "Standard_NC24ads_A100_v4",
                        "Standard_NC4as_T4_v3", "Standard_ND128isr_NDR_GB200_v6",
                        "Standard_D2_v2",       "Standard_D4s_v6",
                        "Standard_B2ms",        "Standard_NCC40ads_H100_v5",
                        "Standard_DC2s_v2",     "Standard_E4pds_v6"};
const char* kSkus[] = {"",
                       "Ubuntu",
                       "AzureLinux",
                       "AzureContainerLinux",
                       "Windows2019",
                       "Windows2022",
                       "WindowsAnnual"};
const char* kChannels[] = {"NodeImage", "None", "Unmanaged", "SecurityPatch"};
const char* kKube[] = {"1.32", "1.33", "1.34", "1.35"};

// The release tree walks all 100,352 requests (about 30 s). Under ASan and
// UBSan each request costs about five times as much, so the sanitizer tree
// takes every fifth one: 5 is prime to every dimension's length, so each
// size, SKU, feature mask, channel and version still appears; which images
// are reached at all is checked on the whole space only (docs/testing.md).
#if defined(__SANITIZE_ADDRESS__)
constexpr unsigned kStride = 5;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr unsigned kStride = 5;
#else
constexpr unsigned kStride = 1;
#endif
#else
constexpr unsigned kStride = 1;
#endif

bool Has(const Decision& d, const char* fact) { return d.facts.at(fact) == "true"; }

// The constraints of issue 6, restated independently of catalog/aks.yaml.
void CheckInvariants(const Decision& d, const Request& req, const SizeInfo& size) {
  const Image& img = *d.image;
  const std::string sku = img.os_sku;
  bool windows = sku.rfind("Windows", 0) == 0;
  auto wants = [&](const char* f) { return req.features.count(f) > 0; };
  auto kube = *ParseKubernetesVersion(d.facts.at("kubernetes_version"));
  bool gen2_size = std::count(size.generations.begin(), size.generations.end(), 2) > 0;
  // Size decides arch, CVM and generation (Gen2 when supported).
  EXPECT_EQ(img.arch, size.arch);
  EXPECT_EQ(img.confidential, size.confidential);
  EXPECT_EQ(img.generation, gen2_size ? 2 : 1);
  // Embedded features asked for are in the image, and nothing else but implied ones.
  for (const char* f : {"fips", "trusted_launch", "pod_sandboxing"}) {
    if (wants(f)) {
      EXPECT_TRUE(img.features.count(f)) << f;
    }
    if (img.features.count(f) && !wants(f)) {
      EXPECT_EQ(std::string(f) + sku, "trusted_launchAzureContainerLinux");
    }
  }
  if (!req.os_sku.empty()) {
    EXPECT_EQ(sku, req.os_sku);
  }
  if (req.os_sku.empty()) {
    EXPECT_EQ(sku, "Ubuntu");
  }
  EXPECT_EQ(d.facts.at("container_runtime"), "containerd");
  if (req.first_pool) {
    EXPECT_FALSE(windows);
  }
  if (wants("pod_sandboxing")) {
    EXPECT_EQ(sku, "AzureLinux");
  }
  if (wants("artifact_streaming")) {
    EXPECT_TRUE(!windows && img.arch == "amd64");
  }
  if (wants("fips")) {
    EXPECT_FALSE(windows);
  }
  if (Has(d, "trusted_launch")) {
    EXPECT_TRUE(size.trusted_launch == "true" && img.generation == 2 && !size.confidential &&
                !windows);
  }
  if (Has(d, "trusted_launch")) {
    // AKS Trusted Launch limits (use-trusted-launch): no ARM64 but on ACL, no
    // Pod Sandboxing, FIPS only on Ubuntu, no GPU driver install on Ubuntu.
    if (sku != "AzureContainerLinux") {
      EXPECT_EQ(img.arch, "amd64");
    }
    EXPECT_FALSE(wants("pod_sandboxing"));
    if (wants("fips")) {
      EXPECT_EQ(sku, "Ubuntu");
    }
    if (sku == "Ubuntu") {
      EXPECT_FALSE(Has(d, "gpu"));
    }
  }
  if (windows) {
    EXPECT_EQ(img.arch, "amd64");
  }
  if (wants("gpu")) {
    EXPECT_TRUE(size.gpu);
  }
  if (sku == "Windows2019") {
    EXPECT_LT(kube, (KubernetesVersion{1, 33, 0, false}));
  }
  if (sku == "AzureLinux" && Has(d, "gpu")) {
    EXPECT_NE(size.name.series, "NCads_A100_v4");
  }
  if (sku == "AzureContainerLinux") {
    EXPECT_GE(kube, (KubernetesVersion{1, 34, 0, false}));
    EXPECT_TRUE(img.features.count("trusted_launch"));
    EXPECT_EQ(size.trusted_launch, "true");
    EXPECT_EQ(img.generation, 2);
    EXPECT_FALSE(size.confidential);
    for (const char* f : {"fips", "pod_sandboxing", "artifact_streaming", "os_guard"}) {
      EXPECT_FALSE(wants(f)) << f;
    }
    std::string ch = d.facts.at("upgrade_channel");
    EXPECT_TRUE(ch == "NodeImage" || ch == "None") << ch;
    if (img.arch == "arm64") {
      EXPECT_TRUE(size.cpu == "cobalt" && size.name.version == 6u);
    }
    if (size.gpu_vendor == "nvidia") {
      EXPECT_EQ(img.arch, "amd64");
    }
  }
  // Lifecycle under the default policy: never past end of life; preview only
  // for the preview SKU, never as a default of a GA SKU.
  EXPECT_NE(d.os_version->stage, Stage::kEol);
  if (d.os_version->stage == Stage::kPreview) {
    EXPECT_EQ(sku, "WindowsAnnual");
  }
}

TEST(CatalogProperty, EveryReturnedImageSatisfiesEveryConstraint) {
  auto cat = LoadBuiltinCatalog("aks");
  ASSERT_OK(cat);
  std::set<std::string> reached;
  size_t accepted = 0, refused = 0, seen = 0;
  for (const char* size_name : kSizes) {
    auto size = DescribeSize(*cat, size_name);
    ASSERT_OK(size);
    for (const char* sku : kSkus) {
      for (unsigned mask = 0; mask < (1u << 6); ++mask) {
        for (const char* channel : kChannels) {
          for (const char* kube : kKube) {
            if (seen++ % kStride != 0) continue;
            Request req;
            req.os_sku = sku;
            req.vm_size = size_name;
            req.upgrade_channel = channel;
            req.kubernetes_version = kube;
            req.first_pool = (mask & 1) != 0;  // bit 0 doubles as first pool
            for (unsigned b = 0; b < 6; ++b) {
              if (mask & (1u << b)) req.features.insert(kFeatureNames[b]);
            }
            auto d = Resolve(*cat, req);
            ASSERT_OK(d);
            if (!d->ok()) {
              ++refused;
              EXPECT_FALSE(d->violations.empty());
              continue;
            }
            ++accepted;
            reached.insert(d->image->id);
            SCOPED_TRACE(::testing::Message() << sku << " " << size_name << " mask " << mask << " "
                                              << channel << " " << kube);
            CheckInvariants(*d, req, *size);
          }
        }
      }
    }
  }
  EXPECT_GT(accepted, 1000u / kStride);
  EXPECT_GT(refused, 1000u / kStride);
  // Every image is reachable by default except the EOL and preview versions
  // that must be asked for by --os-version: a property of the whole space,
  // so the release tree checks it.
  if (kStride != 1) return;
  for (const auto& img : cat->images) {
    bool needs_os_version = img.id == "AKSAzureLinux-V2gen2" || img.id == "AKSAzureLinux-V4gen2";
    EXPECT_EQ(reached.count(img.id) == 1, !needs_os_version) << img.id;
  }
}

}  // namespace
}  // namespace hull::catalog

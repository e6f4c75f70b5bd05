// One case per rule of catalog/aks.yaml and catalog/hull.yaml, accepted and
// refused sides: the exact set of violated rule ids, and the image chosen.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "catalog/engine.h"

#include "support/status_matchers.h"

namespace hull::catalog {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

struct Case {
  const char* name;
  Request req;
  std::vector<std::string> violations;  // empty: accepted
  const char* image = "";               // image name when accepted
};

std::vector<std::string> Ids(const Decision& d) {
  std::vector<std::string> ids;
  for (const auto& v : d.violations) ids.push_back(v.rule);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Rule ids seen refused, per catalog: every rule must have a refused case.
std::map<std::string, std::set<std::string>>& Refused() {
  static std::map<std::string, std::set<std::string>> seen;
  return seen;
}

void RunCases(const Catalog& cat, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    Refused()[cat.name].insert(c.violations.begin(), c.violations.end());
    SCOPED_TRACE(c.name);
    auto d = Resolve(cat, c.req);
    ASSERT_OK(d);
    std::vector<std::string> want = c.violations;
    std::sort(want.begin(), want.end());
    EXPECT_THAT(Ids(*d), ElementsAreArray(want));
    if (want.empty()) {
      ASSERT_TRUE(d->ok());
      EXPECT_EQ(d->image_name, c.image);
    } else {
      EXPECT_FALSE(d->ok());
      EXPECT_EQ(d->image, nullptr);
    }
  }
}

Request R(std::string sku, std::string size, std::set<std::string> features = {},
          std::string kube = "") {
  Request r;
  r.os_sku = std::move(sku);
  r.vm_size = std::move(size);
  r.features = std::move(features);
  r.kubernetes_version = std::move(kube);
  return r;
}

Request With(Request r, auto&& edit) {
  edit(r);
  return r;
}

const Catalog& Aks() {
  static const Catalog cat = [] {
    auto c = LoadBuiltinCatalog("aks");
    EXPECT_OK(c);
    return *c;
  }();
  return cat;
}

const char* kD = "Standard_D4s_v5";        // Intel, Gen1+2, Trusted Launch
const char* kGen1 = "Standard_A2_v2";      // Gen1 only, no Trusted Launch
const char* kCobalt = "Standard_D4ps_v6";  // ARM64 Cobalt 100 v6
const char* kAmpere = "Standard_D4ps_v5";  // ARM64 Ampere v5
const char* kCvm = "Standard_DC4as_v5";    // confidential VM
const char* kA100 = "Standard_NC24ads_A100_v4";
const char* kT4 = "Standard_NC4as_T4_v3";
const char* kGb200 = "Standard_ND128isr_NDR_GB200_v6";  // NVIDIA on ARM64 (Grace)

TEST(AksRules, DefaultsAndOsTypes) {
  RunCases(
      Aks(),
      {
          {"unspecified is Linux Ubuntu 22.04 Gen2", R("", kD), {}, "AKSUbuntu-2204gen2containerd"},
          {"Ubuntu 24.04 from Kubernetes 1.35",
           R("Ubuntu", kD, {}, "1.35"),
           {},
           "AKSUbuntu-2404gen2containerd"},
          {"Windows defaults to 2022",
           With(R("", kD), [](Request& r) { r.os_type = "windows"; }),
           {},
           "AKSWindows-2022-containerd-gen2"},
          {"Windows 2019 on 1.32",
           R("Windows2019", kD, {}, "1.32"),
           {},
           "AKSWindows-2019-containerd-gen2"},
          {"Windows 2019 on 1.33", R("Windows2019", kD, {}, "1.33"), {"windows2019-kubernetes"}},
          {"Azure Linux 3.0", R("azurelinux", kD), {}, "AKSAzureLinux-V3gen2"},
          {"SKU of the other OS type",
           With(R("Ubuntu", kD), [](Request& r) { r.os_type = "Windows"; }),
           {"os-sku-os-type"}},
      });
}

TEST(AksRules, FirstPoolMustBeLinux) {
  auto first = [](Request r) {
    r.first_pool = true;
    return r;
  };
  RunCases(Aks(),
           {
               {"Linux first pool", first(R("Ubuntu", kD)), {}, "AKSUbuntu-2204gen2containerd"},
               {"Windows first pool", first(R("Windows2022", kD)), {"first-pool-linux"}},
               {"Windows later pool", R("Windows2022", kD), {}, "AKSWindows-2022-containerd-gen2"},
           });
}

TEST(AksRules, ContainerdOnly) {
  auto rt = [](std::string runtime) {
    return With(R("Ubuntu", kD), [&](Request& r) { r.container_runtime = runtime; });
  };
  RunCases(Aks(), {{"containerd", rt("containerd"), {}, "AKSUbuntu-2204gen2containerd"},
                   {"docker", rt("Docker"), {"containerd-only"}}});
  auto unknown = Resolve(Aks(), rt("crio"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(),
            "unknown container runtime 'crio' (known: containerd, docker)");
}

TEST(AksRules, VmSizeChoosesArchCvmAndGeneration) {
  RunCases(Aks(), {
                      {"ARM64", R("Ubuntu", kCobalt), {}, "AKSUbuntu-2204gen2arm64containerd"},
                      {"confidential VM", R("Ubuntu", kCvm), {}, "AKSUbuntu-2204gen2CVMcontainerd"},
                      {"Gen1-only size", R("Ubuntu", kGen1), {}, "AKSUbuntu-2204containerd"},
                      {"Gen1 Windows", R("Windows2022", kGen1), {}, "AKSWindows-2022-containerd"},
                      {"Windows on ARM64", R("Windows2022", kCobalt), {"windows-amd64-only"}},
                      {"size outside the table: naming rules, Gen2",
                       R("Ubuntu", "Standard_D8s_v9"),
                       {},
                       "AKSUbuntu-2204gen2containerd"},
                  });
}

TEST(AksRules, Fips) {
  RunCases(
      Aks(),
      {
          {"Ubuntu FIPS", R("Ubuntu", kD, {"fips"}), {}, "AKSUbuntu-2204gen2fipscontainerd"},
          {"Ubuntu FIPS Gen1", R("Ubuntu", kGen1, {"fips"}), {}, "AKSUbuntu-2204fipscontainerd"},
          {"Azure Linux FIPS", R("AzureLinux", kD, {"fips"}), {}, "AKSAzureLinux-V3gen2fips"},
          {"Windows FIPS", R("Windows2022", kD, {"fips"}), {"fips-linux-only"}},
          {"no Ubuntu 24.04 FIPS image", R("Ubuntu", kD, {"fips"}, "1.35"), {"image-variant"}},
      });
}

TEST(AksRules, TrustedLaunch) {
  RunCases(
      Aks(),
      {
          {"Ubuntu TL", R("Ubuntu", kD, {"trusted_launch"}), {}, "AKSUbuntu-2204gen2TLcontainerd"},
          {"Azure Linux TL", R("AzureLinux", kD, {"trusted_launch"}), {}, "AKSAzureLinux-V3gen2TL"},
          {"TL on a Gen1 size",
           R("Ubuntu", kGen1, {"trusted_launch"}),
           {"trusted-launch-size", "trusted-launch-vs-gen1"}},
          {"TL on a CVM size",
           R("Ubuntu", kCvm, {"trusted_launch"}),
           {"trusted-launch-size", "trusted-launch-vs-confidential"}},
          {"TL support unknown",
           R("Ubuntu", "Standard_D2_v2", {"trusted_launch"}),
           {"trusted-launch-size"}},
          {"TL on Windows",
           R("Windows2022", kD, {"trusted_launch"}),
           {"trusted-launch-vs-windows"}},
          {"FIPS with TL on Ubuntu 22.04",
           R("Ubuntu", kD, {"fips", "trusted_launch"}),
           {},
           "AKSUbuntu-2204gen2fipsTLcontainerd"},
          {"FIPS with TL on Azure Linux",
           R("AzureLinux", kD, {"fips", "trusted_launch"}),
           {"fips-vs-trusted-launch"}},
          {"TL on ARM64 Ubuntu",
           R("Ubuntu", kCobalt, {"trusted_launch"}),
           {"trusted-launch-vs-arm64"}},
          {"TL with Pod Sandboxing",
           R("AzureLinux", kD, {"trusted_launch", "pod_sandboxing"}),
           {"trusted-launch-vs-pod-sandboxing"}},
          {"TL on Kubernetes 1.25.1",
           R("Ubuntu", kD, {"trusted_launch"}, "1.25.1"),
           {"trusted-launch-kubernetes"}},
          {"TL on Kubernetes 1.25.2",
           R("Ubuntu", kD, {"trusted_launch"}, "1.25.2"),
           {},
           "AKSUbuntu-2204gen2TLcontainerd"},
          {"TL on an Ubuntu GPU pool",
           R("Ubuntu", kT4, {"trusted_launch"}),
           {"trusted-launch-size", "trusted-launch-ubuntu-gpu-driver"}},
      });
}

TEST(AksRules, PodSandboxing) {
  RunCases(
      Aks(),
      {
          {"Azure Linux Kata",
           R("AzureLinux", kD, {"pod_sandboxing"}),
           {},
           "AKSAzureLinux-V3gen2kata"},
          {"Ubuntu", R("Ubuntu", kD, {"pod_sandboxing"}), {"pod-sandboxing-azure-linux"}},
          {"Gen1", R("AzureLinux", kGen1, {"pod_sandboxing"}), {"pod-sandboxing-vs-gen1"}},
          {"CVM", R("AzureLinux", kCvm, {"pod_sandboxing"}), {"pod-sandboxing-vs-confidential"}},
          {"with FIPS",
           R("AzureLinux", kD, {"pod_sandboxing", "fips"}),
           {"fips-vs-pod-sandboxing"}},
      });
}

TEST(AksRules, ArtifactStreaming) {
  RunCases(
      Aks(),
      {
          {"Linux AMD64",
           R("Ubuntu", kD, {"artifact_streaming"}),
           {},
           "AKSUbuntu-2204gen2containerd"},
          {"ARM64", R("Ubuntu", kCobalt, {"artifact_streaming"}), {"artifact-streaming-vs-arm64"}},
          {"Windows",
           R("Windows2022", kD, {"artifact_streaming"}),
           {"artifact-streaming-vs-windows"}},
          {"Kubernetes 1.24",
           R("Ubuntu", kD, {"artifact_streaming"}, "1.24"),
           {"artifact-streaming-kubernetes"}},
      });
}

TEST(AksRules, Gpu) {
  RunCases(
      Aks(),
      {
          {"Azure Linux T4", R("AzureLinux", kT4, {"gpu"}), {}, "AKSAzureLinux-V3gen2"},
          {"Azure Linux NC A100 v4",
           R("AzureLinux", kA100, {"gpu"}),
           {"azurelinux-gpu-no-nc-a100-v4"}},
          {"Azure Linux NC A100 v4, GPU implied by the size",
           R("AzureLinux", kA100),
           {"azurelinux-gpu-no-nc-a100-v4"}},
          {"Ubuntu NC A100 v4", R("Ubuntu", kA100, {"gpu"}), {}, "AKSUbuntu-2204gen2containerd"},
          {"GPU on a CPU size", R("Ubuntu", kD, {"gpu"}), {"gpu-size"}},
      });
}

TEST(AksRules, OsGuard) {
  RunCases(Aks(), {{"Ubuntu", R("Ubuntu", kD, {"os_guard"}), {"os-guard-not-modelled"}}});
}

TEST(AksRules, AzureContainerLinux) {
  const char* acl = "AzureContainerLinux";
  const char* name = "AKSAzureContainerLinux-202606.01.0";
  auto ch = [&](std::string c) {
    return With(R(acl, kD, {}, "1.34"), [&](Request& r) { r.upgrade_channel = c; });
  };
  RunCases(
      Aks(),
      {
          {"GA on 1.34, Trusted Launch implied", R(acl, kD, {}, "1.34"), {}, name},
          {"1.34.2", R(acl, kD, {}, "1.34.2"), {}, name},
          {"1.33 refused", R(acl, kD, {}, "1.33"), {"acl-kubernetes-1.34"}},
          {"Cobalt v6 ARM64", R(acl, kCobalt, {}, "1.34"), {}, "AKSAzureContainerLinux-arm64"},
          {"Ampere v5 ARM64",
           R(acl, kAmpere, {}, "1.34"),
           {"acl-arm64-cobalt-v6", "acl-trusted-launch", "trusted-launch-size"}},
          {"NVIDIA on ARM64",
           R(acl, kGb200, {}, "1.34"),
           {"acl-arm64-cobalt-v6", "acl-nvidia-amd64", "acl-trusted-launch",
            "trusted-launch-size"}},
          {"Gen1 size",
           R(acl, kGen1, {}, "1.34"),
           {"acl-no-gen1", "acl-trusted-launch", "trusted-launch-size", "trusted-launch-vs-gen1"}},
          {"confidential VM",
           R(acl, kCvm, {}, "1.34"),
           {"acl-no-confidential", "acl-trusted-launch", "trusted-launch-size",
            "trusted-launch-vs-confidential"}},
          {"FIPS", R(acl, kD, {"fips"}, "1.34"), {"acl-no-fips", "fips-vs-trusted-launch"}},
          {"Pod Sandboxing",
           R(acl, kD, {"pod_sandboxing"}, "1.34"),
           {"acl-no-pod-sandboxing", "pod-sandboxing-azure-linux",
            "trusted-launch-vs-pod-sandboxing"}},
          {"Artifact Streaming",
           R(acl, kD, {"artifact_streaming"}, "1.34"),
           {"acl-no-artifact-streaming"}},
          {"OS Guard", R(acl, kD, {"os_guard"}, "1.34"), {"acl-no-os-guard"}},
          {"channel NodeImage", ch("NodeImage"), {}, name},
          {"channel None", ch("none"), {}, name},
          {"channel SecurityPatch", ch("SecurityPatch"), {"acl-upgrade-channel"}},
          {"channel Unmanaged", ch("Unmanaged"), {"acl-upgrade-channel"}},
      });
}

TEST(AksRules, AclNvidiaAmd64IsNotTheReasonOnAmd64) {
  auto d = Resolve(Aks(), R("AzureContainerLinux", kT4, {"gpu"}, "1.34"));
  ASSERT_OK(d);
  // Refused only because the T4 family's Trusted Launch support is unknown.
  EXPECT_THAT(Ids(*d), ElementsAreArray({"acl-trusted-launch", "trusted-launch-size"}));
}

TEST(AksRules, Lifecycle) {
  auto ver = [](std::string sku, std::string v, LifecyclePolicy p) {
    Request r = R(sku, kD);
    r.os_version = v;
    r.policy = p;
    return r;
  };
  using P = LifecyclePolicy;
  RunCases(Aks(),
           {
               {"Azure Linux 4.0 asked for",
                ver("AzureLinux", "4.0", P::kRefuseEol),
                {},
                "AKSAzureLinux-V4gen2"},
               {"Azure Linux 4.0 strict", ver("AzureLinux", "4.0", P::kStrict), {"lifecycle"}},
               {"Azure Linux 2.0 is past end of life",
                ver("AzureLinux", "2.0", P::kRefuseEol),
                {"lifecycle"}},
               {"Azure Linux 2.0 with warn",
                ver("AzureLinux", "2.0", P::kWarn),
                {},
                "AKSAzureLinux-V2gen2"},
               {"WindowsAnnual (preview SKU)", R("WindowsAnnual", kD), {}, "AKSWindows-23H2-gen2"},
               {"WindowsAnnual strict", ver("WindowsAnnual", "", P::kStrict), {"lifecycle"}},
               {"unknown OS version", ver("Ubuntu", "18.04", P::kRefuseEol), {"os-version"}},
           });
  auto preview = Resolve(Aks(), ver("AzureLinux", "4.0", P::kRefuseEol));
  ASSERT_OK(preview);
  ASSERT_EQ(preview->warnings.size(), 1u);
  EXPECT_EQ(preview->warnings[0],
            "AzureLinux 4.0 is in preview (evaluation only): never picked as a default");
  auto eol = Resolve(Aks(), ver("AzureLinux", "2.0", P::kRefuseEol));
  ASSERT_OK(eol);
  EXPECT_THAT(eol->violations[0].message,
              HasSubstr("past end of life (end of support 2025-11-30)"));
}

TEST(AksRules, EveryViolationNamesInputsAndFix) {
  auto d = Resolve(Aks(), With(R("AzureContainerLinux", kGen1, {"fips"}, "1.33"),
                               [](Request& r) { r.upgrade_channel = "SecurityPatch"; }));
  ASSERT_OK(d);
  ASSERT_EQ(d->violations.size(), 8u);
  for (const auto& v : d->violations) {
    EXPECT_FALSE(v.fix.empty()) << v.rule;
    EXPECT_EQ(v.message.find('{'), std::string::npos) << v.message;
  }
  auto find = [&](const std::string& id) {
    for (const auto& v : d->violations) {
      if (v.rule == id) return v.message;
    }
    return std::string();
  };
  EXPECT_EQ(find("acl-kubernetes-1.34"),
            "Azure Container Linux is generally available from Kubernetes 1.34, not 1.33");
  EXPECT_EQ(find("acl-upgrade-channel"),
            "Azure Container Linux takes only full node-image updates: upgrade channel "
            "SecurityPatch is refused because /usr is immutable");
  EXPECT_EQ(find("trusted-launch-vs-gen1"),
            "Trusted Launch needs Generation 2; size Standard_A2_v2 supports Generation 1 only");
}

TEST(AksRules, UnknownValuesListTheKnownOnes) {
  auto sku = Resolve(Aks(), R("Flatcar", kD));
  ASSERT_FALSE(sku.ok());
  EXPECT_EQ(sku.error().message(),
            "unknown OS SKU 'Flatcar' (known: Ubuntu, AzureLinux, AzureContainerLinux, "
            "Windows2019, Windows2022, WindowsAnnual)");
  auto channel =
      Resolve(Aks(), With(R("Ubuntu", kD), [](Request& r) { r.upgrade_channel = "weekly"; }));
  ASSERT_FALSE(channel.ok());
  EXPECT_EQ(channel.error().message(),
            "unknown upgrade channel 'weekly' (known: NodeImage, None, Unmanaged, SecurityPatch)");
  auto type = Resolve(Aks(), With(R("", kD), [](Request& r) { r.os_type = "BSD"; }));
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.error().message(), "unknown OS type 'BSD' (known: Linux, Windows)");
  auto kube = Resolve(Aks(), R("Ubuntu", kD, {}, "1.x"));
  ASSERT_ERROR(kube, ErrorCode::kInvalidArgument);
}

TEST(HullRules, FlavorsAndChannels) {
  auto cat = LoadBuiltinCatalog("hull");
  ASSERT_OK(cat);
  auto ch = [](std::string sku, std::string c) {
    return With(R(sku, kD), [&](Request& r) { r.upgrade_channel = c; });
  };
  RunCases(
      *cat,
      {
          {"immutable default", R("", kD), {}, "HullImmutable-202611.24.1"},
          {"immutable ARM64", R("HullImmutable", kCobalt), {}, "HullImmutable-arm64"},
          {"immutable refuses package channels",
           ch("HullImmutable", "Unmanaged"),
           {"immutable-image-channels"}},
          {"immutable refuses SecurityPatch",
           ch("HullImmutable", "SecurityPatch"),
           {"immutable-image-channels"}},
          {"standard takes package channels", ch("HullStandard", "Unmanaged"), {}, "HullStandard"},
          {"UEFI only", R("HullStandard", kGen1), {"uefi-only"}},
          {"immutable needs Trusted Launch",
           R("HullImmutable", "Standard_D2_v2"),
           {"immutable-trusted-launch"}},
          {"no FIPS flavor", R("HullImmutable", kD, {"fips"}), {"no-unbuilt-features"}},
          {"no Pod Sandboxing flavor",
           R("HullStandard", kD, {"pod_sandboxing"}),
           {"no-pod-sandboxing"}},
          {"GPU on a CPU size", R("HullStandard", kD, {"gpu"}), {"gpu-size"}},
          {"Secure Boot on a CVM",
           R("HullStandard", kCvm, {"trusted_launch"}),
           {"trusted-launch-vs-confidential"}},
          {"docker",
           With(R("HullStandard", kD), [](Request& r) { r.container_runtime = "docker"; }),
           {"containerd-only"}},
      });
  auto d = Resolve(*cat, R("", kD));
  ASSERT_TRUE(d.ok() && d->ok());
  EXPECT_EQ(d->image->spec, "specs/default.yaml");
}

// Runs last (gtest keeps definition order): each rule of both catalogs has
// been seen refused by one of the cases above.
TEST(ZCoverage, EveryRuleHasARefusedCase) {
  for (const char* name : {"aks", "hull"}) {
    auto cat = LoadBuiltinCatalog(name);
    ASSERT_OK(cat);
    for (const auto& r : cat->rules) {
      EXPECT_TRUE(Refused()[name].count(r.id)) << name << ": no refused case for rule " << r.id;
    }
  }
}

}  // namespace
}  // namespace hull::catalog

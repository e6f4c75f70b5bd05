// The agent's bookkeeping of system extensions (agent/extensions.h): file
// names, the order files are tried in, the state file and status.
#include "agent/extensions.h"

#include <gtest/gtest.h>

#include "agent/status.h"
#include "base/file.h"
#include "support/status_matchers.h"

namespace hull::agent {
namespace {

TEST(ExtensionFileName, TheBuildsNameAndAPlainName) {
  ASSERT_OK_AND_ASSIGN(auto f, ParseExtensionFileName("cni_1.1.1-2_amd64.raw"));
  EXPECT_EQ(f.name, "cni");
  EXPECT_EQ(f.version, "1.1.1-2");
  EXPECT_EQ(f.arch, "amd64");
  EXPECT_EQ(f.file, "cni_1.1.1-2_amd64.raw");
  ASSERT_OK_AND_ASSIGN(auto g, ParseExtensionFileName("kubelet.raw"));
  EXPECT_EQ(g.name, "kubelet");
  EXPECT_EQ(g.version, "");
}

TEST(ExtensionFileName, OthersAreRefusedNamingTheFile) {
  for (const char* bad : {"cni", ".raw", "cni.img", "Cni.raw", "_1_amd64.raw", "cni_1.raw",
                          "cni__amd64.raw", "cni_1_.raw", "-x.raw", "a b.raw"}) {
    auto r = ParseExtensionFileName(bad);
    EXPECT_ERROR(r, ErrorCode::kInvalidArgument) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().ToString().find(bad), std::string::npos) << r.error().ToString();
    }
  }
}

// Two versions of an extension map under two names; the longest name an
// extension may have still fits DM_NAME_LEN (128 bytes with its NUL).
TEST(ExtensionDmName, NamesTheRootHashSoVersionsNeverCollide) {
  const std::string a(64, 'a'), b = "0123456789abcdef" + std::string(48, '0');
  EXPECT_EQ(ExtensionDmName("cni", b), "hull-ext-cni-0123456789abcdef");
  EXPECT_NE(ExtensionDmName("cni", a), ExtensionDmName("cni", b));
  const std::string longest(64, 'k');
  EXPECT_EQ(ExtensionDmName(longest, a), "hull-ext-" + longest + "-" + std::string(16, 'a'));
  EXPECT_LT(ExtensionDmName(longest, a).size(), 128u);
}

std::vector<ExtensionFile> Group(std::initializer_list<const char*> names) {
  std::vector<ExtensionFile> out;
  for (const char* n : names) out.push_back(*ParseExtensionFileName(n));
  return out;
}

// A second run in the same boot: the mounted extension stays active, as the
// first run recorded it, even when a newer file appeared since.
TEST(MountedGroupResults, TheRecordedActiveFileStaysActive) {
  const std::string hash(64, 'c');
  const std::vector<ExtensionResult> previous = {
      {.name = "cni", .file = "cni_1.2.0_amd64.raw", .state = "active", .root_hash = hash},
      {.name = "cni", .file = "cni_1.1.0_amd64.raw", .state = "standby"},
      {.name = "kubelet", .file = "kubelet.raw", .state = "active", .root_hash = "dd"}};
  const auto out = MountedGroupResults(
      Group({"cni_1.3.0_amd64.raw", "cni_1.2.0_amd64.raw", "cni_1.1.0_amd64.raw"}), previous);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].file, "cni_1.2.0_amd64.raw");
  EXPECT_EQ(out[0].state, "active");
  EXPECT_EQ(out[0].root_hash, hash);
  EXPECT_EQ(out[1].file, "cni_1.3.0_amd64.raw");
  EXPECT_EQ(out[1].state, "standby");
  EXPECT_EQ(out[2].file, "cni_1.1.0_amd64.raw");
  EXPECT_EQ(out[2].state, "standby");
}

TEST(MountedGroupResults, NoRecordSaysSo) {
  const auto out = MountedGroupResults(Group({"cni_1.2.0_amd64.raw"}), {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, "standby");
  EXPECT_NE(out[0].reason.find("/run/extensions/cni is mounted already"), std::string::npos)
      << out[0].reason;
}

TEST(ExtensionOrder, GroupsByNameNewestVersionFirst) {
  std::vector<ExtensionFile> files;
  for (const char* n : {"cni_1.1.1-2_amd64.raw", "kubelet_1.30.2_amd64.raw", "cni_1.10.0_amd64.raw",
                        "cni_1.2.0_amd64.raw", "kubelet.raw"}) {
    ASSERT_OK_AND_ASSIGN(auto f, ParseExtensionFileName(n));
    files.push_back(f);
  }
  auto order = ActivationOrder(files);
  ASSERT_EQ(order.size(), 2u);
  ASSERT_EQ(order[0].size(), 3u);
  // Versions compare as systemd-boot's entries do: 1.10.0 > 1.2.0 > 1.1.1-2.
  EXPECT_EQ(order[0][0].file, "cni_1.10.0_amd64.raw");
  EXPECT_EQ(order[0][1].file, "cni_1.2.0_amd64.raw");
  EXPECT_EQ(order[0][2].file, "cni_1.1.1-2_amd64.raw");
  ASSERT_EQ(order[1].size(), 2u);
  EXPECT_EQ(order[1][0].file, "kubelet_1.30.2_amd64.raw");
  EXPECT_EQ(order[1][1].file, "kubelet.raw");
}

TEST(ExtensionState, RoundTripsAndRefusesOtherJson) {
  std::vector<ExtensionResult> in = {
      {"cni", "cni_1_amd64.raw", "active", "", std::string(64, 'a')},
      {"kubelet", "kubelet.raw", "refused", "extension kubelet: built for VERSION_ID=2", ""}};
  ASSERT_OK_AND_ASSIGN(auto out, ParseExtensionsJson(ExtensionsJson(in).dump()));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].reason, in[1].reason);
  EXPECT_EQ(out[0].root_hash, in[0].root_hash);
  for (const char* bad : {"", "{}", "[1]", "[{\"name\": 1}]", "[{\"name\": \"a\"}]"})
    EXPECT_ERROR(ParseExtensionsJson(bad), ErrorCode::kCorrupt) << bad;
}

// The swap's record: "pending" (with what it replaces) until the refresh
// succeeded, read back strictly.
TEST(ExtensionState, APendingSwapRoundTripsStrictly) {
  ExtensionResult pending{.name = "cni",
                          .file = "cni_2_amd64.raw",
                          .state = "pending",
                          .reason = "merging: systemd-sysext exited 1",
                          .root_hash = std::string(64, 'b'),
                          .replaces_file = "cni_1_amd64.raw",
                          .replaces_root_hash = std::string(64, 'a')};
  const std::string text = ExtensionsJson({pending}).dump();
  ASSERT_OK_AND_ASSIGN(auto out, ParseExtensionsJson(text));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, "pending");
  EXPECT_EQ(out[0].replaces_file, "cni_1_amd64.raw");
  EXPECT_EQ(out[0].replaces_root_hash, std::string(64, 'a'));
  EXPECT_EQ(ExtensionsText(out),
            "Extension cni (cni_2_amd64.raw): pending: mounted, not yet merged into /usr (which "
            "may still show cni_1_amd64.raw): merging: systemd-sysext exited 1\n");
  const std::string entry = R"("name": "a", "file": "a.raw", "reason": "", "root_hash": "")";
  for (const std::string& bad : {
           "[{" + entry + R"(, "state": "merged"}])",
           "[{" + entry + R"(, "state": "pending"}])",
           "[{" + entry + R"(, "state": "active", "replaces": {"file": "", "root_hash": ""}}])",
           "[{" + entry + R"(, "state": "pending", "replaces": {"file": ""}}])",
           "[{" + entry + R"(, "state": "active", "extra": 1}])",
       }) {
    auto r = ParseExtensionsJson(bad);
    ASSERT_ERROR(r, ErrorCode::kCorrupt) << bad;
    EXPECT_NE(r.error().ToString().find("/run/hull/extensions.json: "), std::string::npos);
  }
}

// The file's one reader and writer: absent is none, damaged is named, a
// write replaces it whole.
TEST(ExtensionState, ReadAndWrite) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("hull-ext-state"));
  const std::string path = dir.path() + "/run/hull/extensions.json";
  ASSERT_OK_AND_ASSIGN(auto none, ReadExtensionsState(path));
  EXPECT_TRUE(none.empty());
  std::vector<ExtensionResult> results = {{"kubelet", "kubelet.raw", "standby", "", ""}};
  results = WithEntry(results, {"cni", "cni_1_amd64.raw", "active", "", std::string(64, 'a')});
  ASSERT_OK(WriteExtensionsState(path, results));
  ASSERT_OK_AND_ASSIGN(auto back, ReadExtensionsState(path));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].name, "cni");  // name order
  ASSERT_NE(MountedEntry(back, "cni"), nullptr);
  EXPECT_EQ(MountedEntry(back, "kubelet"), nullptr);
  ASSERT_OK(WriteFileAtomic(path, std::string_view("[{")));
  EXPECT_ERROR(ReadExtensionsState(path), ErrorCode::kCorrupt);
}

// A refresh that succeeded merges every pending swap: active now, and the
// device of the version it replaced is the caller's to remove.
TEST(CompleteMerge, MakesPendingActiveAndNamesTheReplacedDevice) {
  std::vector<ExtensionResult> results = {
      {"cni", "cni_2_amd64.raw", "pending", "merging: failed", std::string(64, 'b'),
       "cni_1_amd64.raw", "0123456789abcdef" + std::string(48, 'a')},
      {"gpu", "gpu_1_amd64.raw", "active", "", std::string(64, 'c')},
      {"probe", "probe_1_amd64.raw", "pending", "", std::string(64, 'd'), "", ""}};
  EXPECT_EQ(CompleteMerge(results), std::vector<std::string>{"hull-ext-cni-0123456789abcdef"});
  for (const auto& r : results) {
    EXPECT_EQ(r.state, "active") << r.name;
    EXPECT_TRUE(r.reason.empty() && r.replaces_file.empty()) << r.name;
  }
}

// A second activation run of the boot finds a pending swap mounted: it keeps
// the record as it is (its refresh merges it).
TEST(MountedGroupResults, APendingSwapStaysPending) {
  ExtensionResult pending{"cni",
                          "cni_1.3.0_amd64.raw",
                          "pending",
                          "",
                          std::string(64, 'b'),
                          "cni_1.2.0_amd64.raw",
                          std::string(64, 'a')};
  const auto out =
      MountedGroupResults(Group({"cni_1.3.0_amd64.raw", "cni_1.2.0_amd64.raw"}), {pending});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].state, "pending");
  EXPECT_EQ(out[0].replaces_file, "cni_1.2.0_amd64.raw");
  EXPECT_EQ(out[1].file, "cni_1.2.0_amd64.raw");
  EXPECT_EQ(out[1].state, "standby");
}

TEST(ExtensionState, StatusNamesARefusedExtensionAndWhy) {
  StatusInput in;
  in.node = {.usrhash = std::string(64, 'a'), .version = "202612.01.0", .disk = "/dev/vda"};
  in.extensions = {
      {"cni", "cni_1_amd64.raw", "active", "", std::string(64, 'b')},
      {"gpu", "gpu_2_amd64.raw", "refused", "extension gpu: signed by certificate x", ""}};
  nlohmann::json j = StatusJson(in);
  ASSERT_EQ(j["extensions"].size(), 2u) << j.dump(2);
  EXPECT_EQ(j["extensions"][1]["state"], "refused");
  const std::string text = StatusText(in);
  EXPECT_NE(text.find("Extension gpu (gpu_2_amd64.raw): refused: extension gpu: signed by "
                      "certificate x\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Extension cni (cni_1_amd64.raw): active (root hash bbbb"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace hull::agent

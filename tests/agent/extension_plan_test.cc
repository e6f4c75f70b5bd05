// System extensions across OS updates, the decisions (agent/extension_plan.h):
// which published versions an OS release needs, the record beside a fetched
// file, which file activation skips as another OS's, which files go at the
// bless. The repository's side is release::SysextTarget's format
// (tests/sysext/sysext_publish_test.cc reads its output back through
// PublishedExtensions).
#include "agent/extension_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "support/status_matchers.h"

namespace hull::agent {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

tuf::TargetFile Sysext(const std::string& name, const std::string& version,
                       const json& compatibility, const std::string& arch = "amd64") {
  return {.length = 1,
          .custom = {{"payload", "sysext"},
                     {"sysext", name},
                     {"version", version},
                     {"arch", arch},
                     {"compatibility", compatibility},
                     {"root_hash", std::string(64, 'a')}}};
}

json ForVersion(const std::string& v) { return {{"id", "hull"}, {"version_id", v}}; }
json ForLevel(const std::string& l) { return {{"id", "hull"}, {"sysext_level", l}}; }

const node::OsRelease kBooted = {
    {"ID", "hull"}, {"VERSION_ID", "202612.05.0"}, {"SYSEXT_LEVEL", "12"}};

// The repository of the update: the OS release's pieces, an extension
// re-published per OS version, one bound to the Debian release, another
// architecture's build.
std::map<std::string, tuf::TargetFile> Repository() {
  std::map<std::string, tuf::TargetFile> t;
  t["hull-immutable-amd64-202612.06.0.usr"] = {.length = 1, .custom = {{"payload", "usr"}}};
  t["hull-sysext-probe-amd64-1.raw"] = Sysext("probe", "1", ForVersion("202612.05.0"));
  t["hull-sysext-probe-amd64-2.raw"] = Sysext("probe", "2", ForVersion("202612.06.0"));
  t["hull-sysext-probe-arm64-3.raw"] = Sysext("probe", "3", ForVersion("202612.06.0"), "arm64");
  t["hull-sysext-cni-amd64-1.1.raw"] = Sysext("cni", "1.1", ForLevel("12"));
  t["hull-sysext-cni-amd64-1.10.raw"] = Sysext("cni", "1.10", ForLevel("12"));
  t["hull-sysext-cni-amd64-2.0.raw"] = Sysext("cni", "2.0", ForLevel("13"));
  return t;
}

TEST(PublishedExtensions, ReadsTheSysextTargetsOnly) {
  ASSERT_OK_AND_ASSIGN(auto p, PublishedExtensions(Repository()));
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].target, "hull-sysext-cni-amd64-1.1.raw");
  EXPECT_EQ(p[0].FileName(), "cni_1.1_amd64.raw");
  EXPECT_EQ(p[0].compatibility, (node::OsRelease{{"ID", "hull"}, {"SYSEXT_LEVEL", "12"}}));
  EXPECT_EQ(p[0].root_hash, std::string(64, 'a'));
}

TEST(PublishedExtensions, RefusesMalformedMetadataNamingTheTarget) {
  const std::pair<const char*, json> kBad[] = {
      {"sysext", nullptr},
      {"sysext", "a_b"},
      {"version", "1/2"},
      {"version", "1_2"},
      {"arch", 3},
      {"compatibility", "hull"},
      {"compatibility", json{{"id", "hull"}}},
      {"compatibility", json{{"id", "hull"}, {"sysext_level", "12"}, {"version_id", "1"}}},
      {"compatibility", json{{"id", "hull"}, {"image_version", "1"}}},
  };
  for (const auto& [key, value] : kBad) {
    auto t = Sysext("cni", "1", ForLevel("12"));
    if (value.is_null())
      t.custom.erase(key);
    else
      t.custom[key] = value;
    auto r = PublishedExtensions({{"hull-sysext-x.raw", t}});
    ASSERT_ERROR(r, ErrorCode::kCorrupt) << key << "=" << value;
    EXPECT_THAT(r.error().ToString(), HasSubstr("sysext target hull-sysext-x.raw")) << key;
  }
}

TEST(PublishedExtensions, ReadsTheServicesToRestartStrictly) {
  auto t = Sysext("cni", "1", ForLevel("12"));
  ASSERT_OK_AND_ASSIGN(auto none, PublishedExtensions({{"hull-sysext-x.raw", t}}));
  EXPECT_TRUE(none[0].restarts.empty());
  t.custom["restarts"] = {"kubelet.service", "getty@tty1.service"};
  ASSERT_OK_AND_ASSIGN(auto two, PublishedExtensions({{"hull-sysext-x.raw", t}}));
  EXPECT_THAT(two[0].restarts, ElementsAre("kubelet.service", "getty@tty1.service"));
  json seventeen = json::array();
  for (int i = 0; i < 17; ++i) seventeen.push_back(fmt::format("s{}.service", i));
  const json kBad[] = {"kubelet.service",                       // not a list
                       json::array(),                           // empty
                       seventeen,                               // too many
                       {"kubelet"},                             // no suffix
                       {"kubelet.socket"},                      // not a service
                       {"-kubelet.service"},                    // an option
                       {"../kubelet.service"},                  // a path
                       {"kube let.service"},                    // a space
                       {"kubelet.service", "kubelet.service"},  // twice
                       {3}};
  for (const json& bad : kBad) {
    t.custom["restarts"] = bad;
    auto r = PublishedExtensions({{"hull-sysext-x.raw", t}});
    ASSERT_ERROR(r, ErrorCode::kCorrupt) << bad;
    EXPECT_THAT(r.error().ToString(), HasSubstr("sysext target hull-sysext-x.raw: 'restarts'"))
        << bad;
  }
}

ExtensionResult Active(const std::string& name, const std::string& file) {
  return {.name = name, .file = file, .state = "active", .root_hash = std::string(64, 'b')};
}

std::vector<std::string> Files(const std::vector<ExtensionUpdate>& plan) {
  std::vector<std::string> out;
  for (const auto& u : plan) out.push_back(u.from + " -> " + u.to.FileName());
  return out;
}

TEST(PlanExtensionUpdates, OffersTheNewestCompatibleVersionNewerThanTheActiveOne) {
  auto t = Repository();
  t["hull-sysext-probe-amd64-1.1.raw"] = Sysext("probe", "1.1", ForVersion("202612.05.0"));
  ASSERT_OK_AND_ASSIGN(auto published, PublishedExtensions(t));
  // probe 1 active on 202612.05.0: 1.1 (2 is the next release's, 3 arm64's);
  // cni 1.1 active: 1.10 (2.0 is for Debian 13).
  EXPECT_THAT(Files(PlanExtensionUpdates(
                  {"cni", "probe"}, published, kBooted, "amd64",
                  {Active("cni", "cni_1.1_amd64.raw"), Active("probe", "probe_1_amd64.raw")})),
              ElementsAre("cni_1.1_amd64.raw -> cni_1.10_amd64.raw",
                          "probe_1_amd64.raw -> probe_1.1_amd64.raw"));
  // Up to date, or ahead of the repository: nothing.
  EXPECT_TRUE(PlanExtensionUpdates(
                  {"cni", "probe"}, published, kBooted, "amd64",
                  {Active("cni", "cni_1.10_amd64.raw"), Active("probe", "probe_1.1_amd64.raw")})
                  .empty());
  EXPECT_TRUE(PlanExtensionUpdates({"cni"}, published, kBooted, "amd64",
                                   {Active("cni", "cni_1.20_amd64.raw")})
                  .empty());
  // None active (never fetched, or only refused or standing by): the
  // newest is activated without a reboot.
  ExtensionResult refused = Active("probe", "probe_1_amd64.raw");
  refused.state = "refused";
  EXPECT_THAT(Files(PlanExtensionUpdates({"probe"}, published, kBooted, "amd64", {refused})),
              ElementsAre(" -> probe_1.1_amd64.raw"));
  // An operator's NAME.raw (no version) is older than any published version.
  EXPECT_THAT(
      Files(PlanExtensionUpdates({"cni"}, published, kBooted, "amd64", {Active("cni", "cni.raw")})),
      ElementsAre("cni.raw -> cni_1.10_amd64.raw"));
  // Not wanted, or nothing compatible with the booted OS: left as it is.
  EXPECT_TRUE(PlanExtensionUpdates({"gpu"}, published, kBooted, "amd64", {}).empty());
  const node::OsRelease trixie = {
      {"ID", "hull"}, {"VERSION_ID", "202701.01.0"}, {"SYSEXT_LEVEL", "14"}};
  EXPECT_TRUE(PlanExtensionUpdates({"cni", "probe"}, published, trixie, "amd64", {}).empty());
  EXPECT_TRUE(PlanExtensionUpdates({"probe"}, published, kBooted, "arm64", {}).empty());
}

// A swap whose refresh failed (or was cut) is recorded "pending": the next
// run plans it again, from the version /usr showed before, so that the
// refresh is retried; a newer version replaces it from the same place.
TEST(PlanExtensionUpdates, APendingSwapIsPlannedAgainFromTheFileItReplaces) {
  auto t = Repository();
  t["hull-sysext-probe-amd64-1.1.raw"] = Sysext("probe", "1.1", ForVersion("202612.05.0"));
  ASSERT_OK_AND_ASSIGN(auto published, PublishedExtensions(t));
  ExtensionResult pending = Active("probe", "probe_1.1_amd64.raw");
  pending.state = "pending";
  pending.replaces_file = "probe_1_amd64.raw";
  pending.replaces_root_hash = std::string(64, 'c');
  EXPECT_THAT(Files(PlanExtensionUpdates({"probe"}, published, kBooted, "amd64", {pending})),
              ElementsAre("probe_1_amd64.raw -> probe_1.1_amd64.raw"));
  // 1.2 published meanwhile: it replaces the pending 1.1, still from 1.
  t["hull-sysext-probe-amd64-1.2.raw"] = Sysext("probe", "1.2", ForVersion("202612.05.0"));
  ASSERT_OK_AND_ASSIGN(auto newer, PublishedExtensions(t));
  EXPECT_THAT(Files(PlanExtensionUpdates({"probe"}, newer, kBooted, "amd64", {pending})),
              ElementsAre("probe_1_amd64.raw -> probe_1.2_amd64.raw"));
  // Had the same entry said "active" (the record before the fix, written
  // before the refresh), nothing would be planned and the merge never retried.
  ExtensionResult claimed = pending;
  claimed.state = "active";
  EXPECT_TRUE(PlanExtensionUpdates({"probe"}, published, kBooted, "amd64", {claimed}).empty());
}

// The pending file withdrawn by its publisher (its target gone from the
// repository) before the refresh merged it: the swap is cancelled, back to
// the file it replaced (or on to a newer one), the withdrawn file named for
// removal; the plan of the same pending entry while it is still published
// names nothing to remove.
TEST(PlanExtensionUpdates, APendingSwapWhoseFileIsWithdrawnIsCancelled) {
  auto t = Repository();
  ExtensionResult pending = Active("probe", "probe_1.1_amd64.raw");
  pending.state = "pending";
  pending.replaces_file = "probe_1_amd64.raw";
  pending.replaces_root_hash = std::string(64, 'c');
  auto withdrawn = [](const std::vector<ExtensionUpdate>& plan) {
    std::vector<std::string> out;
    for (const auto& u : plan) out.push_back(u.withdrawn);
    return out;
  };
  // 1.1 is not published (any more): the newest is 1, the replaced file.
  ASSERT_OK_AND_ASSIGN(auto without, PublishedExtensions(t));
  auto plan = PlanExtensionUpdates({"probe"}, without, kBooted, "amd64", {pending});
  EXPECT_THAT(Files(plan), ElementsAre("probe_1_amd64.raw -> probe_1_amd64.raw"));
  EXPECT_THAT(withdrawn(plan), ElementsAre("probe_1.1_amd64.raw"));
  // A 1.0.5 published meanwhile, older than the withdrawn 1.1: the swap goes
  // there, and 1.1 is removed all the same (on disk it would be the newest
  // file the next boot's activation merges).
  t["hull-sysext-probe-amd64-1.0.5.raw"] = Sysext("probe", "1.0.5", ForVersion("202612.05.0"));
  ASSERT_OK_AND_ASSIGN(auto other, PublishedExtensions(t));
  plan = PlanExtensionUpdates({"probe"}, other, kBooted, "amd64", {pending});
  EXPECT_THAT(Files(plan), ElementsAre("probe_1_amd64.raw -> probe_1.0.5_amd64.raw"));
  EXPECT_THAT(withdrawn(plan), ElementsAre("probe_1.1_amd64.raw"));
  // Still published: completed as before, nothing withdrawn.
  t["hull-sysext-probe-amd64-1.1.raw"] = Sysext("probe", "1.1", ForVersion("202612.05.0"));
  ASSERT_OK_AND_ASSIGN(auto with, PublishedExtensions(t));
  plan = PlanExtensionUpdates({"probe"}, with, kBooted, "amd64", {pending});
  EXPECT_THAT(Files(plan), ElementsAre("probe_1_amd64.raw -> probe_1.1_amd64.raw"));
  EXPECT_THAT(withdrawn(plan), ElementsAre(""));
  // An active entry is never cancelled, published or not.
  ExtensionResult active = Active("probe", "probe_1.1_amd64.raw");
  EXPECT_TRUE(PlanExtensionUpdates({"probe"}, without, kBooted, "amd64", {active}).empty());
}

// Bytes a check refused are remembered by name, version and SHA-256: that
// update is not planned again (no fetch, no whole-image hash, no FleetLock
// slot); a new version, or new bytes under the same version, is.
TEST(WithoutRefused, DropsOnlyTheSameBytes) {
  auto t = Repository();
  t["hull-sysext-probe-amd64-1.1.raw"] = Sysext("probe", "1.1", ForVersion("202612.05.0"));
  t["hull-sysext-probe-amd64-1.1.raw"].hashes["sha256"] = std::string(64, 'd');
  t["hull-sysext-probe-amd64-1.1.raw"].custom["restarts"] = {"e2e-probe.service"};
  ASSERT_OK_AND_ASSIGN(auto published, PublishedExtensions(t));
  auto plan = [&] {
    return PlanExtensionUpdates({"probe"}, published, kBooted, "amd64",
                                {Active("probe", "probe_1_amd64.raw")});
  };
  ASSERT_THAT(Files(plan()), ElementsAre("probe_1_amd64.raw -> probe_1.1_amd64.raw"));
  EXPECT_EQ(plan()[0].to.sha256, std::string(64, 'd'));
  AgentState state;
  RecordExtensionFailure(state, {.name = "probe",
                                 .version = "1.1",
                                 .sha256 = std::string(64, 'd'),
                                 .reason = "extension probe: signed by certificate x",
                                 .refused = true});
  EXPECT_TRUE(WithoutRefused(plan(), state).empty());
  // A failure that was not the bytes' (a fetch, the slot, the refresh): tried again.
  state.extension_failures[0].refused = false;
  EXPECT_EQ(WithoutRefused(plan(), state).size(), 1u);
  state.extension_failures[0].refused = true;
  // New bytes under the same version.
  t["hull-sysext-probe-amd64-1.1.raw"].hashes["sha256"] = std::string(64, 'e');
  ASSERT_OK_AND_ASSIGN(published, PublishedExtensions(t));
  EXPECT_EQ(WithoutRefused(plan(), state).size(), 1u);
  // A new version.
  t["hull-sysext-probe-amd64-1.2.raw"] = Sysext("probe", "1.2", ForVersion("202612.05.0"));
  t["hull-sysext-probe-amd64-1.2.raw"].hashes["sha256"] = std::string(64, 'd');
  ASSERT_OK_AND_ASSIGN(published, PublishedExtensions(t));
  EXPECT_THAT(Files(WithoutRefused(plan(), state)),
              ElementsAre("probe_1_amd64.raw -> probe_1.2_amd64.raw"));
}

// One malformed target (a 'restarts' entry node::ValidRestartUnit refuses)
// of an extension this node does not want does not block its updates; one
// of a wanted extension does, naming the target.
TEST(PublishedExtensionsFor, OnlyTheWantedExtensionsMayBlock) {
  auto t = Repository();
  t["hull-sysext-gpu-amd64-1.raw"] = Sysext("gpu", "1", ForLevel("12"));
  t["hull-sysext-gpu-amd64-1.raw"].custom["restarts"] = {"hull-update.service"};
  t["hull-sysext-nameless.raw"] = Sysext("x", "1", ForLevel("12"));
  t["hull-sysext-nameless.raw"].custom["sysext"] = 3;
  // The strict reading of every target refuses the repository...
  EXPECT_ERROR(PublishedExtensions(t), ErrorCode::kCorrupt);
  // ...a node that wants cni and probe reads theirs and plans N+1.
  ASSERT_OK_AND_ASSIGN(auto mine, PublishedExtensionsFor(t, {"cni", "probe"}));
  ASSERT_EQ(mine.size(), 6u);
  for (const auto& e : mine) EXPECT_NE(e.name, "gpu");
  ASSERT_OK_AND_ASSIGN(auto plan,
                       PlanExtensions({"cni", "probe"}, mine, ReleaseOsKeys(kBooted, "202612.06.0"),
                                      "amd64", "202612.06.0"));
  EXPECT_EQ(plan.size(), 2u);
  // A node that wants gpu is stopped, the target named.
  auto gpu = PublishedExtensionsFor(t, {"gpu"});
  ASSERT_ERROR(gpu, ErrorCode::kCorrupt);
  EXPECT_THAT(gpu.error().ToString(), HasSubstr("sysext target hull-sysext-gpu-amd64-1.raw: "
                                                "'restarts' holds \"hull-update.service\""));
}

TEST(PlanExtensions, PicksTheNewestCompatibleVersionForTheNextRelease) {
  ASSERT_OK_AND_ASSIGN(auto published, PublishedExtensions(Repository()));
  const auto os = ReleaseOsKeys(kBooted, "202612.06.0");
  EXPECT_EQ(
      os, (node::OsRelease{{"ID", "hull"}, {"VERSION_ID", "202612.06.0"}, {"SYSEXT_LEVEL", "12"}}));
  ASSERT_OK_AND_ASSIGN(auto plan,
                       PlanExtensions({"probe", "cni"}, published, os, "amd64", "202612.06.0"));
  ASSERT_EQ(plan.size(), 2u);
  // probe 2 is N+1's; 1 is N's, 3 is arm64's.
  EXPECT_EQ(plan[0].FileName(), "probe_2_amd64.raw");
  // cni 1.10 > 1.1; 2.0 is for another Debian release.
  EXPECT_EQ(plan[1].FileName(), "cni_1.10_amd64.raw");
  // The booted release still gets its own.
  ASSERT_OK_AND_ASSIGN(
      auto now, PlanExtensions({"probe"}, published, ReleaseOsKeys(kBooted, "202612.05.0"), "amd64",
                               "202612.05.0"));
  EXPECT_EQ(now[0].FileName(), "probe_1_amd64.raw");
}

// An update across Debian releases: N+1's usr target says its own
// SYSEXT_LEVEL ("13"), so its extensions are the level-13 ones, not the
// booted OS's level 12. Without the key (a release published before it was
// recorded) the booted level stands; a malformed one is refused, named.
TEST(PlanExtensions, NextReleasesOwnSysextLevelFindsItsExtensions) {
  ASSERT_OK_AND_ASSIGN(auto published, PublishedExtensions(Repository()));
  const std::string usr = "hull-immutable-amd64-202701.01.0.usr";
  ASSERT_OK_AND_ASSIGN(auto level,
                       ReleaseSysextLevel({{"payload", "usr"}, {"sysext_level", "13"}}, usr));
  ASSERT_EQ(level, std::optional<std::string>("13"));
  const auto trixie = ReleaseOsKeys(kBooted, "202701.01.0", level);
  EXPECT_EQ(trixie, (node::OsRelease{
                        {"ID", "hull"}, {"VERSION_ID", "202701.01.0"}, {"SYSEXT_LEVEL", "13"}}));
  ASSERT_OK_AND_ASSIGN(auto plan,
                       PlanExtensions({"cni"}, published, trixie, "amd64", "202701.01.0"));
  EXPECT_EQ(plan[0].FileName(), "cni_2.0_amd64.raw");
  // The booted level would have picked bookworm's build.
  ASSERT_OK_AND_ASSIGN(
      auto old, PlanExtensions({"cni"}, published, ReleaseOsKeys(kBooted, "202701.01.0"), "amd64",
                               "202701.01.0"));
  EXPECT_EQ(old[0].FileName(), "cni_1.10_amd64.raw");
  ASSERT_OK_AND_ASSIGN(auto absent, ReleaseSysextLevel({{"payload", "usr"}}, usr));
  EXPECT_FALSE(absent.has_value());
  for (const json& bad : {json(13), json(""), json("Thirteen"), json("1 3"), json("13/x")}) {
    auto r = ReleaseSysextLevel({{"sysext_level", bad}}, usr);
    ASSERT_ERROR(r, ErrorCode::kCorrupt) << bad;
    EXPECT_THAT(r.error().ToString(),
                HasSubstr("release target " + usr + ": 'sysext_level' is " + bad.dump()));
  }
}

TEST(PlanExtensions, OneMissingStopsTheReleaseNamingTheExtensionAndRelease) {
  ASSERT_OK_AND_ASSIGN(auto published, PublishedExtensions(Repository()));
  auto plan = PlanExtensions({"cni", "probe"}, published, ReleaseOsKeys(kBooted, "202612.07.0"),
                             "amd64", "202612.07.0");
  ASSERT_ERROR(plan, ErrorCode::kNotFound);
  EXPECT_EQ(plan.error().message(),
            "extension probe has no version for release 202612.07.0 (amd64, "
            "VERSION_ID=202612.07.0, SYSEXT_LEVEL=12) in the repository: publish one with 'hull "
            "release add-sysext'; 202612.07.0 is not installed until then");
  EXPECT_ERROR(PlanExtensions({"gpu"}, published, ReleaseOsKeys(kBooted, "202612.06.0"), "amd64",
                              "202612.06.0"),
               ErrorCode::kNotFound);
  // No extension wanted: nothing to fetch, whatever the repository holds.
  ASSERT_OK_AND_ASSIGN(auto none, PlanExtensions({}, published, {}, "amd64", "202612.07.0"));
  EXPECT_TRUE(none.empty());
}

TEST(CompatibilityRecord, RoundTripsAndRefusesOtherJson) {
  ASSERT_OK_AND_ASSIGN(auto published, PublishedExtensions(Repository()));
  const PublishedExtension& probe = published[3];
  ASSERT_EQ(probe.FileName(), "probe_1_amd64.raw");
  EXPECT_EQ(RecordName(probe.FileName()), "probe_1_amd64.json");
  ASSERT_OK_AND_ASSIGN(auto back, ParseCompatibilityRecord(CompatibilityRecord(probe)));
  EXPECT_EQ(back, probe.compatibility);
  for (const char* bad :
       {"", "[]", "{}", R"({"target": "t", "compatibility": {"ID": "hull"}})",
        R"({"target": "t", "compatibility": {"ID": "hull", "VERSION_ID": 1}})",
        R"({"target": "t", "compatibility": {"ID": "hull", "ARCH": "x"}})",
        R"({"target": "t", "compatibility": {"ID": "hull", "VERSION_ID": "1"}, "x": 1})"})
    EXPECT_ERROR(ParseCompatibilityRecord(bad), ErrorCode::kCorrupt) << bad;
}

ExtensionFile Fetched(const char* file, node::OsRelease compatibility) {
  ExtensionFile f = *ParseExtensionFileName(file);
  f.compatibility = std::move(compatibility);
  return f;
}

// N's and N+1's files side by side: each OS tries only its own; a file
// the agent did not fetch (no record) is always tried, and never pruned.
TEST(KnownIncompatible, EachOsSkipsTheOthersFiles) {
  const node::OsRelease n = kBooted;
  node::OsRelease n1 = kBooted;
  n1["VERSION_ID"] = "202612.06.0";
  const auto old_file =
      Fetched("probe_1_amd64.raw", {{"ID", "hull"}, {"VERSION_ID", "202612.05.0"}});
  const auto new_file =
      Fetched("probe_2_amd64.raw", {{"ID", "hull"}, {"VERSION_ID", "202612.06.0"}});
  const auto level = Fetched("cni_1_amd64.raw", {{"ID", "hull"}, {"SYSEXT_LEVEL", "12"}});
  const auto operators = *ParseExtensionFileName("gpu.raw");
  // On N+1 (the newer file first in ActivationOrder anyway) N's is skipped.
  EXPECT_EQ(KnownIncompatible(new_file, n1), std::nullopt);
  ASSERT_NE(KnownIncompatible(old_file, n1), std::nullopt);
  EXPECT_EQ(*KnownIncompatible(old_file, n1),
            "extension probe: built for VERSION_ID=202612.05.0, this node has "
            "VERSION_ID=202612.06.0: rebuild or publish it for this OS");
  // After a rollback to N, N+1's (the newer version) is not tried.
  EXPECT_NE(KnownIncompatible(new_file, n), std::nullopt);
  EXPECT_EQ(KnownIncompatible(old_file, n), std::nullopt);
  EXPECT_EQ(KnownIncompatible(level, n), std::nullopt);
  EXPECT_EQ(KnownIncompatible(level, n1), std::nullopt);
  EXPECT_EQ(KnownIncompatible(operators, n1), std::nullopt);

  const std::vector<ExtensionFile> dir = {old_file, new_file, level, operators};
  EXPECT_THAT(FilesToPrune(dir, n1), ElementsAre("probe_1_amd64.raw", "probe_1_amd64.json"));
  EXPECT_THAT(FilesToPrune(dir, n), ElementsAre("probe_2_amd64.raw", "probe_2_amd64.json"));
}

}  // namespace
}  // namespace hull::agent

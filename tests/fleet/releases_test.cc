// Unit tests: release reports and halts (counts by distinct node, the halt
// policy, the halt guard inside pre-reboot's transaction, resume), the
// record's corruption matrix, held-since keys, and the status page's
// escaping, against the in-memory KvStore.
#include "fleet/releases.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fleet/fake_kv.h"
#include "fleet/lock_service.h"
#include "fleet/status.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const HullParams kBad{"202612.05.0", "k8s", "amd64"};

ClientParams Node(const std::string& id, const HullParams& r = kBad) { return {id, "default", r}; }
Report Failed(const std::string& id) { return {Node(id), ReportResult::kRolledBack}; }
Report Healthy(const std::string& id) { return {Node(id), ReportResult::kHealthy}; }

struct Fleet {
  FakeKv kv;
  LockService locks{kv, {{{"default", 10}}, 0s, 8, [] { return int64_t{1000}; }}};
  ReleaseTracker releases;
  explicit Fleet(HaltPolicy p) : releases(kv, p, 8, [] { return int64_t{2000}; }) {
    EXPECT_TRUE(locks.EnsureGroups().ok());
  }
  Result<bool> PreReboot(const ClientParams& p) {
    return locks.PreReboot(p, [&] { return releases.GuardPreReboot(p); });
  }
  ReleaseRecord Record() {
    auto r = ParseReleaseRecord(kv.kv[ReleaseKey(kBad)].value);
    EXPECT_OK(r);
    return r.ok() ? *r : ReleaseRecord{};
  }
};

TEST(Releases, KeyLayout) {
  EXPECT_EQ(ReleaseKey(kBad), "hull.fleetlock/releases/k8s/amd64/202612.05.0");
}

TEST(Releases, GrantRecordsTriedInTheSameTransaction) {
  Fleet f({2, 0});
  int before = f.kv.txns;
  ASSERT_OK_AND_ASSIGN(bool got, f.PreReboot(Node("n1")));
  EXPECT_TRUE(got);
  EXPECT_EQ(f.kv.txns, before + 1);
  EXPECT_THAT(f.Record().tried, ::testing::ElementsAre("n1"));
  EXPECT_EQ(f.kv.kv[HeldSinceKey("default", "n1")].value, "1000");
  // A Zincati request (no hull) records nothing.
  ASSERT_OK(f.locks.PreReboot({"z1", "default"}));
  EXPECT_THAT(f.Record().tried, ::testing::ElementsAre("n1"));
}

// Ids of `len` bytes: "<i>" padded with 'x'.
std::vector<std::string> Ids(size_t n, size_t len, const std::string& prefix = "") {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) {
    std::string id = prefix + std::to_string(i);
    id.resize(len, 'x');
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// A list at kMaxReleaseNodes takes no more: the report is answered as
// recorded (the agent frees its slot after it), the record unchanged.
TEST(Releases, AFullListAnswersRecordedAndChangesNothing) {
  Fleet f({2, 0});
  ReleaseRecord full{.release = kBad};
  full.tried = Ids(kMaxReleaseNodes, 8);
  full.rolled_back = Ids(kMaxReleaseNodes, 8);
  f.kv.Set(ReleaseKey(kBad), EncodeReleaseRecord(full));
  const std::string before = f.kv.kv[ReleaseKey(kBad)].value;
  ASSERT_OK_AND_ASSIGN(bool halted, f.releases.Record(Failed("newnode")));
  EXPECT_FALSE(halted);
  EXPECT_EQ(f.kv.kv[ReleaseKey(kBad)].value, before);
}

// etcd refuses a request above --max-request-bytes (1.5 MiB by default):
// no write makes the record reach that size, whatever the ids' length.
TEST(Releases, TheRecordStaysBelowEtcdsRequestLimit) {
  constexpr size_t kEtcdRequestLimit = 1536 * 1024;
  Fleet f({0, 0});
  ReleaseRecord big{.release = kBad};
  // Long ids (kMaxIdLength), as many as fit just below the limit: one more
  // would pass it.
  const size_t base = EncodeReleaseRecord(big).size();
  size_t n = (kEtcdRequestLimit - base) / (kMaxIdLength + 3) - 3;
  for (;; ++n) {
    big.tried = Ids(n + 1, kMaxIdLength);
    if (EncodeReleaseRecord(big).size() + kMaxIdLength + 3 > kEtcdRequestLimit) break;
  }
  f.kv.Set(ReleaseKey(kBad), EncodeReleaseRecord(big));
  const std::string id(kMaxIdLength, 'z');
  ASSERT_OK(f.PreReboot(Node(id)));
  ASSERT_OK(f.locks.SteadyState(Node(id)));
  ASSERT_OK(f.releases.Record(Healthy(id)));
  EXPECT_LT(f.kv.kv[ReleaseKey(kBad)].value.size(), kEtcdRequestLimit);
}

TEST(Releases, HaltsAfterKDistinctFailuresOnly) {
  Fleet f({2, 0});
  for (const char* id : {"n1", "n2", "n3"}) ASSERT_OK(f.PreReboot(Node(id)));
  ASSERT_OK_AND_ASSIGN(bool halted, f.releases.Record(Failed("n1")));
  EXPECT_FALSE(halted);
  // The same node again, and a healthy node: still one failure.
  ASSERT_OK_AND_ASSIGN(halted, f.releases.Record(Failed("n1")));
  EXPECT_FALSE(halted);
  ASSERT_OK_AND_ASSIGN(halted, f.releases.Record(Healthy("n3")));
  EXPECT_FALSE(halted);
  EXPECT_FALSE(f.Record().halted);
  ASSERT_OK_AND_ASSIGN(halted, f.releases.Record(Failed("n2")));
  EXPECT_TRUE(halted);
  ReleaseRecord r = f.Record();
  EXPECT_TRUE(r.halted);
  EXPECT_EQ(r.halted_at, 2000);
  EXPECT_THAT(r.rolled_back, ::testing::ElementsAre("n1", "n2"));
  EXPECT_THAT(r.healthy, ::testing::ElementsAre("n3"));
  // Refused from now on, for a new node; its slot is not taken.
  auto refused = f.PreReboot(Node("n4"));
  EXPECT_ERROR(refused, ErrorCode::kRefused);
  EXPECT_THAT(refused.error().message(), HasSubstr("release 202612.05.0 (k8s/amd64) is halted"));
  EXPECT_THAT(f.kv.kv[SemaphoreKey("default")].value, Not(HasSubstr("n4")));
  // Another version is not halted.
  HullParams fixed{"202612.06.0", "k8s", "amd64"};
  EXPECT_OK(f.PreReboot(Node("n4", fixed)));
}

// A node that named the release before the halt is inside it: the next try
// of its trial (its slot asked again) and its rollback reboot are granted;
// a node that never named it, or that reported its rollback, is refused.
TEST(Releases, AHaltNeverStrandsANodeAlreadyOnTheRelease) {
  Fleet f({2, 0});
  for (const char* id : {"n1", "n2", "n3"}) ASSERT_OK(f.PreReboot(Node(id)));
  ASSERT_OK(f.releases.Record(Failed("n1")));
  ASSERT_OK_AND_ASSIGN(bool halted, f.releases.Record(Failed("n2")));
  ASSERT_TRUE(halted);
  EXPECT_OK(f.PreReboot(Node("n3")));
  EXPECT_ERROR(f.PreReboot(Node("n4")), ErrorCode::kRefused);
  // n1 and n2 tried it and are back on their old release: they are out.
  EXPECT_ERROR(f.PreReboot(Node("n1")), ErrorCode::kRefused);
  EXPECT_ERROR(f.PreReboot(Node("n2")), ErrorCode::kRefused);
}

TEST(Releases, FractionOfNodesThatTried) {
  Fleet f({0, 0.5});
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_OK(f.PreReboot(Node(id)));
  ASSERT_OK_AND_ASSIGN(bool halted, f.releases.Record(Failed("a")));
  EXPECT_FALSE(halted);  // 1 of 4 < 50%
  ASSERT_OK_AND_ASSIGN(halted, f.releases.Record(Failed("b")));
  EXPECT_TRUE(halted);  // 2 of 4
}

TEST(Releases, BothRulesMustHold) {
  ReleaseRecord r;
  r.tried = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  r.rolled_back = {"a", "b"};
  EXPECT_TRUE(ShouldHalt({2, 0}, r));
  EXPECT_FALSE(ShouldHalt({2, 0.3}, r));  // 2 of 10 < 30%
  r.rolled_back.push_back("c");
  EXPECT_TRUE(ShouldHalt({2, 0.3}, r));
  EXPECT_FALSE(ShouldHalt({0, 0}, r));  // no policy: never
  EXPECT_FALSE(ShouldHalt({4, 0}, r));
}

TEST(Releases, HaltCommittedDuringAGrantMakesItRetryAndRefuse) {
  Fleet f({1, 0});
  ASSERT_OK(f.PreReboot(Node("n1")));
  ASSERT_OK(f.PreReboot(Node("n2")));
  // Between n3's read and its transaction another replica records a failure
  // that halts the release: the grant's comparison fails, the retry refuses.
  f.kv.before_txn = [&] {
    ReleaseTracker other(f.kv, {1, 0});
    f.kv.before_txn = nullptr;
    EXPECT_OK(other.Record(Failed("n1")));
    return false;
  };
  EXPECT_ERROR(f.PreReboot(Node("n3")), ErrorCode::kRefused);
  EXPECT_THAT(f.kv.kv[SemaphoreKey("default")].value, Not(HasSubstr("n3")));
  EXPECT_THAT(f.Record().tried, ::testing::ElementsAre("n1", "n2"));
}

TEST(Releases, ReportForAVersionNobodyNamedIsRefused) {
  Fleet f({1, 0});
  auto r = f.releases.Record(Failed("n1"));
  EXPECT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message(),
            "no node named release 202612.05.0 (k8s/amd64) in a pre-reboot; nothing to report on");
  // Named for another arch only: still unknown for this one.
  ASSERT_OK(f.PreReboot(Node("n1", {"202612.05.0", "k8s", "arm64"})));
  EXPECT_ERROR(f.releases.Record(Failed("n1")), ErrorCode::kNotFound);
}

TEST(Releases, ResumeLiftsAndCountsOnlyLaterFailures) {
  Fleet f({2, 0});
  for (const char* id : {"a", "b", "c", "d", "e"}) ASSERT_OK(f.PreReboot(Node(id)));
  ASSERT_OK(f.releases.Record(Failed("a")));
  ASSERT_OK(f.releases.Record(Failed("b")));
  EXPECT_ERROR(f.releases.Resume("202612.06.0"), ErrorCode::kNotFound);
  EXPECT_ERROR(f.releases.Resume("202612.05.0", "other"), ErrorCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(auto resumed, f.releases.Resume("202612.05.0"));
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0], kBad);
  EXPECT_OK(f.PreReboot(Node("f")));
  ASSERT_OK_AND_ASSIGN(bool halted, f.releases.Record(Failed("c")));
  EXPECT_FALSE(halted);  // one failure since the resume
  ASSERT_OK_AND_ASSIGN(halted, f.releases.Record(Failed("d")));
  EXPECT_TRUE(halted);
  // Resuming a release that is not halted: nothing to do.
  ASSERT_OK(f.releases.Resume("202612.05.0"));
  EXPECT_ERROR(f.releases.Resume("202612.05.0"), ErrorCode::kNotFound);
}

// A fleet whose server clock the test moves, with record limits.
struct ClockedFleet {
  FakeKv kv;
  int64_t now = 1000;
  LockService locks{kv, {{{"default", 100}}, 0s, 8, [] { return int64_t{1000}; }}};
  ReleaseTracker releases;
  ClockedFleet(HaltPolicy p, RecordLimits limits) : releases(kv, p, 8, [this] { return now; }) {
    releases.set_limits(limits);
    EXPECT_TRUE(locks.EnsureGroups().ok());
  }
  // A node boots `version` of k8s/`arch` (granted, then its slot freed).
  void Boots(const std::string& id, const std::string& version, const std::string& arch = "amd64") {
    ClientParams p{id, "default", HullParams{version, "k8s", arch}};
    auto got = locks.PreReboot(p, [&] { return releases.GuardPreReboot(p); });
    EXPECT_TRUE(got.ok() && *got) << id << " " << version;
    EXPECT_OK(locks.SteadyState({id, "default"}));
  }
  Status Fails(const std::string& id, const std::string& version) {
    auto r = releases.Record(
        {{id, "default", HullParams{version, "k8s", "amd64"}}, ReportResult::kRolledBack});
    return r.ok() ? Ok() : Status(std::move(r).error());
  }
  // The versions (of k8s/arch) with a record, as stored.
  std::vector<std::string> Versions(const std::string& arch = "amd64") {
    std::vector<std::string> out;
    const std::string prefix = std::string(kReleasePrefix) + "k8s/" + arch + "/";
    for (const auto& [k, _] : kv.kv)
      if (k.rfind(prefix, 0) == 0) out.push_back(k.substr(prefix.size()));
    return out;
  }
};

TEST(RecordLimits, RetentionRemovesRecordsNobodyWroteTo) {
  ClockedFleet f({0, 0}, {.retention = 100, .per_platform = 0, .total = 0});
  f.Boots("n1", "202612.01.0");
  f.now = 1050;
  f.Boots("n2", "202612.08.0");
  f.now = 1100;  // 202612.01.0 last written 100 s ago
  ASSERT_OK_AND_ASSIGN(auto removed, f.releases.Collect());
  EXPECT_EQ(removed, (std::vector<HullParams>{{"202612.01.0", "k8s", "amd64"}}));
  EXPECT_EQ(f.Versions(), std::vector<std::string>{"202612.08.0"});
  // A grant that adds a node is a write: it keeps the record.
  f.now = 1140;
  f.Boots("n3", "202612.08.0");
  f.now = 1200;
  ASSERT_OK_AND_ASSIGN(removed, f.releases.Collect());
  EXPECT_TRUE(removed.empty());
  f.now = 1240;
  ASSERT_OK_AND_ASSIGN(removed, f.releases.Collect());
  EXPECT_EQ(removed.size(), 1u);
  EXPECT_TRUE(f.Versions().empty());
  // Gone means unknown: a report for it is refused until a node names it again.
  EXPECT_ERROR(f.Fails("n3", "202612.08.0"), ErrorCode::kNotFound);
}

TEST(RecordLimits, AHaltedRecordStaysUntilResumedOrSuperseded) {
  ClockedFleet f({1, 0}, {.retention = 100, .per_platform = 1, .total = 0});
  f.Boots("n1", "202612.08.0");
  ASSERT_OK(f.Fails("n1", "202612.08.0"));  // halted
  f.Boots("n2", "202612.01.0");             // a lower version, not halted
  f.now = 5000;                             // both long unwritten
  ASSERT_OK_AND_ASSIGN(auto removed, f.releases.Collect());
  EXPECT_EQ(removed, (std::vector<HullParams>{{"202612.01.0", "k8s", "amd64"}}));
  EXPECT_EQ(f.Versions(), std::vector<std::string>{"202612.08.0"});
  // Superseded: a higher version, not halted, of the same flavor and arch.
  // A higher one of another arch, or a halted one, does not supersede it.
  f.Boots("n3", "202612.15.0", "arm64");
  f.Boots("n4", "202612.15.0");
  ASSERT_OK(f.Fails("n4", "202612.15.0"));  // halted too
  ASSERT_OK_AND_ASSIGN(removed, f.releases.Collect());
  EXPECT_TRUE(removed.empty()) << removed.size();
  f.Boots("n5", "202612.22.0");
  f.now = 5050;  // 202612.08.0 and .15.0 are superseded; .08.0 is old
  ASSERT_OK_AND_ASSIGN(removed, f.releases.Collect());
  // .15.0 is recent but beyond the one per platform (.22.0 ranks first).
  EXPECT_EQ(removed, (std::vector<HullParams>{{"202612.15.0", "k8s", "amd64"},
                                              {"202612.08.0", "k8s", "amd64"}}));
  EXPECT_EQ(f.Versions(), std::vector<std::string>{"202612.22.0"});
  EXPECT_EQ(f.Versions("arm64"), std::vector<std::string>{"202612.15.0"});
}

TEST(RecordLimits, ResumedRecordAgesLikeAnyOther) {
  ClockedFleet f({1, 0}, {.retention = 100, .per_platform = 0, .total = 0});
  f.Boots("n1", "202612.08.0");
  ASSERT_OK(f.Fails("n1", "202612.08.0"));
  f.now = 2000;
  ASSERT_OK(f.releases.Resume("202612.08.0"));  // written at 2000
  f.now = 2099;
  ASSERT_OK_AND_ASSIGN(auto removed, f.releases.Collect());
  EXPECT_TRUE(removed.empty());
  f.now = 2100;
  ASSERT_OK_AND_ASSIGN(removed, f.releases.Collect());
  EXPECT_EQ(removed.size(), 1u);
}

TEST(RecordLimits, PerPlatformCapRemovesTheLowestVersionsFirst) {
  ClockedFleet f({0, 0}, {.retention = 0, .per_platform = 2, .total = 0});
  // Versions compare part by part as integers: .10 is above .9.
  for (const char* v : {"202612.10.0", "202612.8.0", "202612.9.0"}) f.Boots("n", v);
  f.Boots("n", "202612.1.0", "arm64");
  ASSERT_OK_AND_ASSIGN(auto removed, f.releases.Collect());
  EXPECT_EQ(removed, (std::vector<HullParams>{{"202612.8.0", "k8s", "amd64"}}));
  EXPECT_EQ(f.Versions(), (std::vector<std::string>{"202612.10.0", "202612.9.0"}));
  EXPECT_EQ(f.Versions("arm64"), std::vector<std::string>{"202612.1.0"});
}

TEST(RecordLimits, TotalCapGrantsButRecordsNothingNew) {
  ClockedFleet f({1, 0}, {.retention = 0, .per_platform = 0, .total = 2});
  f.Boots("a", "202612.01.0");
  f.Boots("b", "202612.02.0");
  f.Boots("c", "202612.03.0");  // granted: a forged name cannot fill etcd
  EXPECT_EQ(f.Versions(), (std::vector<std::string>{"202612.01.0", "202612.02.0"}));
  EXPECT_ERROR(f.Fails("c", "202612.03.0"), ErrorCode::kNotFound);
  // Existing records still take nodes and reports.
  f.Boots("c", "202612.02.0");
  ASSERT_OK(f.Fails("c", "202612.02.0"));
  auto rec = ParseReleaseRecord(f.kv.kv[ReleaseKey({"202612.02.0", "k8s", "amd64"})].value);
  ASSERT_OK(rec);
  EXPECT_THAT(rec->tried, ::testing::ElementsAre("b", "c"));
  EXPECT_TRUE(rec->halted);
  EXPECT_EQ(rec->updated_at, 1000);
}

TEST(RecordLimits, ALostCompareAndDeleteKeepsTheRecord) {
  ClockedFleet f({0, 0}, {.retention = 10, .per_platform = 0, .total = 0});
  f.Boots("a", "202612.01.0");
  f.now = 2000;
  // The record is written (a node granted toward it) just as the collector
  // deletes it.
  const std::string key = ReleaseKey({"202612.01.0", "k8s", "amd64"});
  f.kv.before_txn = [&] {
    f.kv.Set(key, f.kv.kv[key].value);
    return false;
  };
  ASSERT_OK_AND_ASSIGN(auto removed, f.releases.Collect());
  EXPECT_TRUE(removed.empty());
  EXPECT_EQ(f.Versions(), std::vector<std::string>{"202612.01.0"});
}

TEST(Releases, UnlockDeletesHeldSince) {
  Fleet f({0, 0});
  ASSERT_OK(f.PreReboot(Node("n1")));
  ASSERT_OK_AND_ASSIGN(auto snap, f.locks.Snapshot());
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].held_since.at("n1"), 1000);
  ASSERT_OK(f.locks.SteadyState({"n1", "default"}));
  EXPECT_EQ(f.kv.kv.count(HeldSinceKey("default", "n1")), 0u);
}

TEST(ReleaseRecordCodec, CorruptionMatrix) {
  const char* base = R"("version":"1","flavor":"f","arch":"a")";
  auto v = [&](const std::string& rest) { return "{" + std::string(base) + rest + "}"; };
  ASSERT_OK(ParseReleaseRecord(v("")));
  const std::pair<std::string, std::string> cases[] = {
      {"nope", "release record: not a JSON object"},
      {"[]", "release record: not a JSON object"},
      {R"({"flavor":"f","arch":"a"})", "release record: missing string 'version'"},
      {R"({"version":"1/2","flavor":"f","arch":"a"})",
       "release record: version does not match ^[A-Za-z0-9._+-]+$"},
      {v(R"(,"tried":"x")"), "release record: 'tried' is not a list"},
      {v(R"(,"healthy":[1])"), "release record: 'healthy' holds a non-string"},
      {v(R"(,"rolled_back":["a b"])"),
       "release record: 'rolled_back': id has a forbidden byte 0x20"},
      {v(R"(,"halted":"yes")"), "release record: 'halted' is not a boolean"},
      {v(R"(,"halted_at":1.5)"), "release record: 'halted_at' is not an integer"},
      {v(R"(,"resumed_failures":-1)"), "release record: 'resumed_failures' is not a count"},
  };
  for (const auto& [value, message] : cases) {
    auto r = ParseReleaseRecord(value);
    EXPECT_ERROR(r, ErrorCode::kCorrupt);
    if (!r.ok()) {
      EXPECT_EQ(r.error().message(), message) << value;
    }
  }
  ReleaseRecord r;
  r.release = kBad;
  r.tried = {"a", "b"};
  r.rolled_back = {"b"};
  r.halted = true;
  r.halted_at = 7;
  ASSERT_OK_AND_ASSIGN(auto again, ParseReleaseRecord(EncodeReleaseRecord(r)));
  EXPECT_EQ(again, r);
  // Unsorted duplicates (a hand edit) are normalized.
  ASSERT_OK_AND_ASSIGN(auto norm, ParseReleaseRecord(v(R"(,"tried":["b","a","b"])")));
  EXPECT_THAT(norm.tried, ::testing::ElementsAre("a", "b"));
}

TEST(StatusPage, EscapesHostileNamesAndShowsHoldersAndHalts) {
  FleetStatus st;
  st.now = 1000;
  GroupState g;
  g.group = "workers";
  g.semaphore.total_slots = 3;
  g.semaphore.holders = {"<script>alert(1)</script>", "n&2"};
  g.held_since["n&2"] = 1000 - 187;
  st.groups.push_back(g);
  ReleaseRecord r;
  r.release = kBad;
  r.tried = {"x", "y"};
  r.rolled_back = {"'\"><img src=x>"};
  r.halted = true;
  st.releases.push_back(r);
  std::string page = StatusPage(st, 5);
  EXPECT_THAT(page, Not(HasSubstr("<script>")));
  EXPECT_THAT(page, Not(HasSubstr("<img")));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(page, HasSubstr("&#39;&quot;&gt;&lt;img src=x&gt;"));
  EXPECT_THAT(page, HasSubstr("<td class=\"id\">n&amp;2</td><td>3m07s</td>"));
  EXPECT_THAT(page, HasSubstr("group workers: 2 of 3 slots held"));
  EXPECT_THAT(page, HasSubstr("<li class=\"halted\">202612.05.0 (k8s/amd64)</li>"));
  EXPECT_THAT(page, HasSubstr("<meta http-equiv=\"refresh\" content=\"5\">"));
  EXPECT_THAT(page, Not(HasSubstr("src=\"http")));
  auto j = StatusJson(st);
  EXPECT_EQ(j["groups"][0]["holders"][0], "<script>alert(1)</script>");
  EXPECT_FALSE(j["groups"][0]["held_seconds"].contains("<script>alert(1)</script>"));
  EXPECT_EQ(j["groups"][0]["held_seconds"]["n&2"], 187);
  EXPECT_EQ(j["releases"][0]["halted"], true);
}

TEST(StatusPage, Durations) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(59), "59s");
  EXPECT_EQ(FormatDuration(60), "1m00s");
  EXPECT_EQ(FormatDuration(3599), "59m59s");
  EXPECT_EQ(FormatDuration(3600 * 26 + 60 * 5 + 9), "26h05m");
  EXPECT_EQ(FormatDuration(-3), "?");
}

}  // namespace
}  // namespace hull::fleet

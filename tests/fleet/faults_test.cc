// Oracle: the FleetLock service under faults, with a real etcd and real
// `hull fleetlock serve` processes: etcd killed and restarted mid-run, a
// replica killed, and a holder that dies (freed by lease expiry with
// --holder-ttl, by `hull fleetlock release` without).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "fleet/client.h"
#include "fleet/etcd.h"
#include "fleet/fixture.h"
#include "fleet/semaphore.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

using namespace std::chrono_literals;
using testing::HullBin;

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("fleet-faults");
    ASSERT_OK(dir);
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    auto etcd = testing::Etcd::Start(dir_->path());
    ASSERT_OK(etcd);
    etcd_ = std::move(*etcd);
  }
  testing::Replica StartReplica(const std::vector<std::string>& args, const std::string& name) {
    auto r = testing::StartReplica(etcd_->url(), args, dir_->path() + "/" + name + ".log");
    EXPECT_OK(r);
    return r.ok() ? std::move(*r) : testing::Replica{};
  }
  std::string Semaphore() {
    auto v = testing::EtcdctlGet(etcd_->url(), SemaphoreKey("default"));
    return v.ok() ? *v : v.error().ToString();
  }
  ProcessOutput Hull(std::vector<std::string> args) {
    args.insert(args.begin(), HullBin());
    auto out = RunAllowFailure(Command{.argv = args, .timeout = 60s});
    EXPECT_OK(out);
    return out.ok() ? *out : ProcessOutput{};
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<testing::Etcd> etcd_;
};

struct FaultTally {
  std::atomic<int> grants_before{0}, grants_after{0}, errors{0}, violations{0}, unverified{0};
  std::atomic<int> phase{0};  // 0 before the outage, 1 during, 2 after
  std::atomic<bool> stop{false};
};

// Retries `call` for up to `limit`; true once it succeeded.
bool RetryFor(FleetLockClient& c, Status (FleetLockClient::*call)(), std::chrono::seconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if ((c.*call)().ok()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

void FaultClient(int i, std::string url, std::string etcd_url, FaultTally& t) {
  NetworkPoster http(4s);
  std::string id = "node-" + std::to_string(i);
  FleetLockClient c(http, url, {id, "default"});
  auto etcd = EtcdClient::Create({etcd_url}, 2s);
  Backoff poll(100ms, 100ms, uint64_t(i) + 11);
  std::mt19937 rng(unsigned(i) + 3);
  while (!t.stop) {
    Status st = c.PreReboot();
    if (!st) {
      if (c.last_status() != 409) ++t.errors;
      std::this_thread::sleep_for(poll.Next());
      continue;
    }
    (t.phase.load() == 2 ? t.grants_after : t.grants_before)++;
    // A grant must be backed by etcd: this id is in the stored holders.
    bool checked = false;
    for (int k = 0; k < 100 && !checked; ++k) {
      auto kv = (*etcd)->Get(SemaphoreKey("default"));
      if (kv.ok() && *kv) {
        auto sem = ParseSemaphore((**kv).value);
        if (!sem.ok() || !sem->Holds(id)) ++t.violations;
        checked = true;
      } else {
        std::this_thread::sleep_for(100ms);
      }
    }
    if (!checked) ++t.unverified;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution(5, 50)(rng)));
    RetryFor(c, &FleetLockClient::SteadyState, 10s);
  }
  // A grant whose reply was lost in the outage may still be recorded: release
  // on the way out, as the agent does at start.
  RetryFor(c, &FleetLockClient::SteadyState, 10s);
}

TEST_F(Faults, EtcdRestartMidRunKeepsTheInvariant) {
  const std::vector<std::string> args{"--group", "default=2"};
  auto r1 = StartReplica(args, "replica1");
  auto r2 = StartReplica(args, "replica2");
  ASSERT_TRUE(r1.child && r2.child);
  FaultTally t;
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back(FaultClient, i, (i % 2 ? r2 : r1).base_url, etcd_->url(), std::ref(t));
  }
  // Phases end on what the clients did, not on the clock: a loaded machine
  // only makes them longer (each bounded).
  auto wait_for = [&](const std::atomic<int>& grants, int at_least, std::chrono::seconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (grants.load() < at_least && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(50ms);
  };
  wait_for(t.grants_before, 10, 60s);
  t.phase = 1;
  etcd_->Kill();
  std::this_thread::sleep_for(2s);
  Status restarted = etcd_->Restart();
  t.phase = 2;
  wait_for(t.grants_after, 10, 60s);
  t.stop = true;
  for (auto& th : threads) th.join();
  ASSERT_OK(restarted);

  auto history = testing::HistoryOfKey(etcd_->url(), SemaphoreKey("default"), dir_->path());
  ASSERT_OK(history);
  size_t max_seen = 0;
  for (const auto& v : *history) {
    auto sem = ParseSemaphore(v);
    ASSERT_OK(sem) << v;
    max_seen = std::max(max_seen, sem->holders.size());
  }
  std::printf(
      "grants before outage %d, after restart %d; client errors %d; history %zu values, "
      "max holders %zu\n",
      t.grants_before.load(), t.grants_after.load(), t.errors.load(), history->size(), max_seen);
  EXPECT_LE(max_seen, 2u);
  EXPECT_GT(t.grants_before.load(), 0);
  EXPECT_GT(t.grants_after.load(), 0) << "service did not recover after etcd came back";
  EXPECT_GT(t.errors.load(), 0) << "clients never noticed the outage";
  EXPECT_EQ(t.violations.load(), 0) << "a client was granted a slot etcd does not record";
  EXPECT_EQ(t.unverified.load(), 0);
  EXPECT_EQ(Semaphore(), R"({"holders":[],"total_slots":2})");
}

TEST_F(Faults, KilledReplicaTheOtherServesOnAndEtcdEndpointsFailOver) {
  const std::vector<std::string> args{"--group", "default=1"};
  auto r1 = StartReplica(args, "replica1");
  // The second replica lists a dead etcd endpoint first: it must fail over.
  std::string dead = "http://127.0.0.1:" + std::to_string(testing::FreePort());
  auto r2r = testing::StartReplica(dead + "," + etcd_->url(), args, dir_->path() + "/replica2.log");
  ASSERT_OK(r2r);
  testing::Replica r2 = std::move(*r2r);
  ASSERT_TRUE(r1.child && r2.child);
  NetworkPoster http(3s);
  FleetLockClient a1(http, r1.base_url, {"a", "default"}), a2(http, r2.base_url, {"a", "default"});
  FleetLockClient b2(http, r2.base_url, {"b", "default"});
  ASSERT_OK(a1.PreReboot());
  r1.child->Stop(SIGKILL);
  Status gone = a1.PreReboot();
  EXPECT_ERROR(gone, ErrorCode::kUnavailable);
  // The survivor sees the slot taken through the dead replica...
  Status full = b2.PreReboot();
  EXPECT_ERROR(full, ErrorCode::kRefused);
  EXPECT_EQ(b2.last_kind(), "failed_lock_semaphore_full");
  // ...lets its holder continue (recursive) and release, then grants it on.
  EXPECT_OK(a2.PreReboot());
  EXPECT_OK(a2.SteadyState());
  EXPECT_OK(b2.PreReboot());
  EXPECT_EQ(Semaphore(), R"({"holders":["b"],"total_slots":1})");
}

TEST_F(Faults, DeadHolderIsFreedByLeaseExpiry) {
  auto r = StartReplica({"--group", "default=1", "--holder-ttl", "2"}, "replica");
  ASSERT_TRUE(r.child);
  NetworkPoster http(3s);
  FleetLockClient a(http, r.base_url, {"a", "default"}), b(http, r.base_url, {"b", "default"});
  ASSERT_OK(a.PreReboot());
  // While `a` keeps calling pre-reboot its lease is renewed: 4 s > TTL.
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(500ms);
    ASSERT_OK(a.PreReboot());
    EXPECT_ERROR(b.PreReboot(), ErrorCode::kRefused);
    EXPECT_EQ(b.last_kind(), "failed_lock_semaphore_full");
  }
  // Now `a` dies holding the slot (its last renewal: now); `b` waits with
  // the CLI and gets it.
  auto t0 = std::chrono::steady_clock::now();
  auto holder = testing::EtcdctlGet(etcd_->url(), HolderKey("default", "a"));
  ASSERT_OK(holder);
  auto out = Hull({"fleetlock", "lock", "--url", r.base_url, "--id", "b", "--wait", "20"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "granted\n");
  std::printf("dead holder freed after %.1f s (TTL 2 s)\n", secs);
  EXPECT_GE(secs, 1.0);
  EXPECT_LT(secs, 15.0);
  EXPECT_EQ(Semaphore(), R"({"holders":["b"],"total_slots":1})");
  auto metrics = testing::RawRequest("GET", r.base_url + "metrics", {}, "");
  EXPECT_THAT(metrics->body, ::testing::HasSubstr("hull_fleetlock_pruned_holders_total 1\n"));
}

TEST_F(Faults, DeadHolderWithoutTtlIsFreedByRelease) {
  auto r = StartReplica({"--group", "default=1", "--json-log"}, "replica");
  ASSERT_TRUE(r.child);
  auto a = Hull({"fleetlock", "lock", "--url", r.base_url, "--id", "a"});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  auto b = Hull({"fleetlock", "lock", "--url", r.base_url, "--id", "b", "--wait", "1.5"});
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_THAT(b.err,
              ::testing::HasSubstr(
                  "not granted before the deadline; last: failed_lock_semaphore_full (HTTP 409): "
                  "all 1 semaphore slots currently locked"));
  auto status = Hull({"fleetlock", "status", "--etcd", etcd_->url()});
  // "a" was granted within the last few seconds of this test.
  EXPECT_THAT(status.out,
              ::testing::MatchesRegex("default: 1/1 slots held\n  a \\(held [0-9]+s\\)\n"));
  auto rel =
      Hull({"fleetlock", "release", "--etcd", etcd_->url(), "--group", "default", "--id", "a"});
  EXPECT_EQ(rel.exit_code, 0) << rel.err;
  EXPECT_EQ(rel.out, "released\n");
  rel = Hull({"fleetlock", "release", "--etcd", etcd_->url(), "--group", "default", "--id", "a"});
  EXPECT_EQ(rel.out, "not a holder (nothing to release)\n");
  auto unknown =
      Hull({"fleetlock", "release", "--etcd", etcd_->url(), "--group", "nope", "--id", "a"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "hull: fleetlock release: group 'nope' has no semaphore in etcd\n");
  b = Hull({"fleetlock", "lock", "--url", r.base_url, "--id", "b"});
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(Semaphore(), R"({"holders":["b"],"total_slots":1})");
  // SIGTERM stops the server cleanly; its request log is one JSON object a line.
  int wstatus = r.child->Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
  auto log = ReadFileText(dir_->path() + "/replica.log");
  ASSERT_OK(log);
  int full = 0, granted = 0;
  size_t pos = 0;
  while (pos < log->size()) {
    size_t nl = log->find('\n', pos);
    if (nl == std::string::npos) nl = log->size();
    auto j = nlohmann::json::parse(log->substr(pos, nl - pos), nullptr, false);
    pos = nl + 1;
    if (!j.is_object()) continue;
    if (j.value("kind", "") == "failed_lock_semaphore_full" && j.value("id", "") == "b") ++full;
    if (j.value("status", 0) == 200 && j.value("changed", false)) ++granted;
  }
  EXPECT_GE(full, 2);     // b was refused while a held the slot
  EXPECT_EQ(granted, 2);  // a's grant and b's grant
}

}  // namespace
}  // namespace hull::fleet

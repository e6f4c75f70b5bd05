// Unit tests: the lock service's compare-and-swap logic and holder expiry
// against an in-memory KvStore with etcd's version semantics, where a test
// can slip a competing write in just before a transaction (a lost race).
#include "fleet/lock_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "fleet/fake_kv.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

using namespace std::chrono_literals;

const std::string kSem = SemaphoreKey("default");

TEST(LockService, CreatesGroupsWithVersionZeroAndAdjustsSlots) {
  FakeKv kv;
  LockService s(kv, {{{"default", 2}}, 0s, 8});
  ASSERT_OK(s.EnsureGroups());
  EXPECT_EQ(kv.kv[kSem].value, R"({"holders":[],"total_slots":2})");
  kv.Set(kSem, R"({"holders":["a","b","c"],"total_slots":5})");
  ASSERT_OK(s.EnsureGroups());
  EXPECT_EQ(kv.kv[kSem].value, R"({"holders":["a","b","c"],"total_slots":2})");
  EXPECT_EQ(s.PreReboot({"d", "default"}).error().message(),
            "all 2 semaphore slots currently locked");
}

TEST(LockService, LostRaceIsRetriedOnTheNewValue) {
  FakeKv kv;
  LockService s(kv, {{{"default", 2}}, 0s, 8});
  ASSERT_OK(s.EnsureGroups());
  // Another replica grants "other" between our read and our transaction.
  kv.before_txn = [&] {
    kv.Set(kSem, R"({"holders":["other"],"total_slots":2})");
    return false;
  };
  auto r = s.PreReboot({"me", "default"});
  ASSERT_OK(r);
  EXPECT_TRUE(*r);
  EXPECT_EQ(kv.kv[kSem].value, R"({"holders":["me","other"],"total_slots":2})");
  EXPECT_EQ(s.counters().cas_conflicts.load(), 1u);
}

TEST(LockService, LostRaceThatFillsTheSemaphoreRefuses) {
  FakeKv kv;
  LockService s(kv, {{{"default", 1}}, 0s, 8});
  ASSERT_OK(s.EnsureGroups());
  kv.before_txn = [&] {
    kv.Set(kSem, R"({"holders":["other"],"total_slots":1})");
    return false;
  };
  auto r = s.PreReboot({"me", "default"});
  EXPECT_ERROR(r, ErrorCode::kRefused);
  EXPECT_EQ(kv.kv[kSem].value, R"({"holders":["other"],"total_slots":1})");
}

TEST(LockService, EndlessContentionIsBounded) {
  FakeKv kv;
  LockService s(kv, {{{"default", 5}}, 0s, 4});
  ASSERT_OK(s.EnsureGroups());
  kv.txns = 0;
  kv.before_txn = [&] {
    kv.Set(kSem, kv.kv[kSem].value);  // same value, new version
    return true;
  };
  auto r = s.PreReboot({"me", "default"});
  EXPECT_ERROR(r, ErrorCode::kConflict);
  EXPECT_EQ(r.error().message(), "group default: lost the compare-and-swap 4 times");
  EXPECT_EQ(kv.txns, 4);
}

TEST(LockService, RecursiveLockWritesNothingUnlockIsIdempotent) {
  FakeKv kv;
  LockService s(kv, {{{"default", 1}}, 0s, 8});
  ASSERT_OK(s.EnsureGroups());
  EXPECT_TRUE(*s.PreReboot({"a", "default"}));
  int64_t v = kv.kv[kSem].version;
  EXPECT_FALSE(*s.PreReboot({"a", "default"}));
  EXPECT_EQ(kv.kv[kSem].version, v);
  EXPECT_TRUE(*s.SteadyState({"a", "default"}));
  EXPECT_FALSE(*s.SteadyState({"a", "default"}));
  EXPECT_EQ(kv.kv[kSem].version, v + 1);
}

TEST(LockService, UnknownGroupAndCorruptValue) {
  FakeKv kv;
  LockService s(kv, {{{"default", 1}}, 0s, 8});
  EXPECT_ERROR(s.PreReboot({"a", "x"}), ErrorCode::kNotFound);
  EXPECT_EQ(s.SteadyState({"a", "x"}).error().message(), "group 'x' is not configured");
  kv.Set(kSem, "{");
  auto r = s.PreReboot({"a", "default"});
  EXPECT_ERROR(r, ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().ToString(),
            "com.coreos.airlock/groups/default/v1/semaphore: semaphore value is not a JSON object");
  EXPECT_EQ(s.Release("nope", "a").error().message(), "group 'nope' has no semaphore in etcd");
}

TEST(LockServiceTtl, GrantWritesHolderKeyWithLeaseAndRefreshRenewsIt) {
  FakeKv kv;
  LockService s(kv, {{{"default", 1}}, 30s, 8});
  ASSERT_OK(s.EnsureGroups());
  ASSERT_TRUE(*s.PreReboot({"a", "default"}));
  const std::string hk = HolderKey("default", "a");
  ASSERT_TRUE(kv.kv.count(hk));
  EXPECT_EQ(kv.kv[hk].lease, 100);
  EXPECT_FALSE(*s.PreReboot({"a", "default"}));
  EXPECT_EQ(kv.kv[hk].lease, 101);
  EXPECT_TRUE(*s.SteadyState({"a", "default"}));
  EXPECT_FALSE(kv.kv.count(hk));
}

// An id may hold '/': a holder key that ends in "/v1/semaphore" is still a
// holder key, and the snapshot (status, page, metrics) reads.
TEST(LockServiceTtl, HolderIdEndingLikeASemaphoreKey) {
  FakeKv kv;
  LockService s(kv, {{{"default", 2}}, 30s, 8});
  ASSERT_OK(s.EnsureGroups());
  ASSERT_TRUE(*s.PreReboot({"x/v1/semaphore", "default"}));
  ASSERT_TRUE(kv.kv.count("com.coreos.airlock/groups/default/v1/holders/x/v1/semaphore"));
  ASSERT_OK_AND_ASSIGN(auto snap, s.Snapshot());
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].group, "default");
  EXPECT_EQ(snap[0].semaphore.holders, std::vector<std::string>{"x/v1/semaphore"});
  EXPECT_EQ(snap[0].live_holder_keys, std::vector<std::string>{"x/v1/semaphore"});
}

TEST(LockServiceTtl, ExpiredHolderIsPrunedWhenFull) {
  FakeKv kv;
  LockService s(kv, {{{"default", 1}}, 30s, 8});
  ASSERT_OK(s.EnsureGroups());
  ASSERT_TRUE(*s.PreReboot({"a", "default"}));
  // b is refused while a's key lives...
  EXPECT_ERROR(s.PreReboot({"b", "default"}), ErrorCode::kRefused);
  // ...and granted once the lease (and so the key) is gone.
  kv.kv.erase(HolderKey("default", "a"));
  auto r = s.PreReboot({"b", "default"});
  ASSERT_OK(r);
  EXPECT_EQ(kv.kv[kSem].value, R"({"holders":["b"],"total_slots":1})");
  EXPECT_EQ(s.counters().pruned_holders.load(), 1u);
}

TEST(LockServiceTtl, HolderRefreshingDuringPruneKeepsItsSlot) {
  FakeKv kv;
  LockService s(kv, {{{"default", 1}}, 30s, 8});
  ASSERT_OK(s.EnsureGroups());
  ASSERT_TRUE(*s.PreReboot({"a", "default"}));
  const std::string hk = HolderKey("default", "a");
  kv.kv.erase(hk);
  // a's refresh lands between the pruner's read and its transaction.
  kv.before_txn = [&] {
    kv.Set(hk, "");
    return false;
  };
  auto r = s.PreReboot({"b", "default"});
  EXPECT_ERROR(r, ErrorCode::kRefused);
  EXPECT_EQ(kv.kv[kSem].value, R"({"holders":["a"],"total_slots":1})");
  EXPECT_EQ(s.counters().pruned_holders.load(), 0u);
}

}  // namespace
}  // namespace hull::fleet

// Oracle: the semaphore invariant under load. Two `hull fleetlock serve`
// replicas share one real etcd; 50 clients in a group of 3 slots loop
// lock -> hold a random short time -> unlock for a bounded time. The whole
// history of the semaphore key is then replayed by etcdctl (an independent
// watcher) and every holder set checked: never more than 3 holders, and every
// change adds or removes exactly one holder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <random>
#include <thread>

#include "fleet/client.h"
#include "fleet/fixture.h"
#include "fleet/semaphore.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

using namespace std::chrono_literals;

constexpr int kClients = 50;
constexpr uint64_t kSlots = 3;
// At least this long, then until every client had the lock (at most kCap).
constexpr auto kRunFor = 15s;
constexpr auto kCap = 90s;

struct Tally {
  std::atomic<int> holding{0}, max_holding{0};
  std::atomic<int> refused{0}, errors{0}, unlock_failures{0};
  std::array<std::atomic<int>, kClients> grants{};
  std::atomic<bool> stop{false};

  bool EveryClientGranted() const {
    for (const auto& g : grants)
      if (g.load() == 0) return false;
    return true;
  }
};

void ClientLoop(int i, const std::string& url, Tally& t) {
  NetworkPoster http(5s);
  char id[16];
  std::snprintf(id, sizeof id, "node-%02d", i);
  FleetLockClient c(http, url, {id, "default"});
  // Every client polls at the same jittered pace, so none is favoured.
  Backoff poll(200ms, 200ms, uint64_t(i) + 1);
  std::mt19937 rng(unsigned(i) * 7919u);
  std::uniform_int_distribution<int> hold_ms(5, 60), think_ms(0, 200);
  while (!t.stop) {
    Status st = c.PreReboot();
    if (!st) {
      (st.error().code() == ErrorCode::kRefused && c.last_status() == 409 ? t.refused : t.errors)++;
      std::this_thread::sleep_for(poll.Next());
      continue;
    }
    int n = ++t.holding;
    for (int m = t.max_holding.load(); n > m && !t.max_holding.compare_exchange_weak(m, n);) {
    }
    ++t.grants[size_t(i)];
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms(rng)));
    --t.holding;  // before the release: the slot is still ours in etcd
    bool released = false;
    for (int k = 0; k < 100 && !released; ++k) {
      released = c.SteadyState().ok();
      if (!released) std::this_thread::sleep_for(20ms);
    }
    if (!released) ++t.unlock_failures;
    std::this_thread::sleep_for(std::chrono::milliseconds(think_ms(rng)));
  }
}

TEST(Concurrency, FiftyClientsTwoReplicasThreeSlotsNeverExceedThree) {
  auto dir = TempDir::Create("fleet-concurrency");
  ASSERT_OK(dir);
  auto etcd = testing::Etcd::Start(dir->path());
  ASSERT_OK(etcd);
  const std::vector<std::string> args{"--group", "default=3", "--max-rps",
                                      "100000",  "--threads", "32"};
  auto r1 = testing::StartReplica((*etcd)->url(), args, dir->path() + "/replica1.log");
  ASSERT_OK(r1);
  auto r2 = testing::StartReplica((*etcd)->url(), args, dir->path() + "/replica2.log");
  ASSERT_OK(r2);

  Tally t;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    const std::string& url = (i % 2 ? r2 : r1)->base_url;
    threads.emplace_back(ClientLoop, i, url, std::ref(t));
  }
  for (;;) {
    auto ran = std::chrono::steady_clock::now() - start;
    if (ran >= kCap ||
        (ran >= kRunFor && t.EveryClientGranted() && t.max_holding.load() == int(kSlots)))
      break;
    std::this_thread::sleep_for(100ms);
  }
  t.stop = true;
  for (auto& th : threads) th.join();
  std::printf("ran %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  auto history = testing::HistoryOfKey((*etcd)->url(), SemaphoreKey("default"), dir->path());
  ASSERT_OK(history);
  size_t max_seen = 0;
  std::vector<size_t> sets_by_size(kSlots + 2, 0);
  std::vector<std::string> prev;
  for (size_t k = 0; k < history->size(); ++k) {
    auto sem = ParseSemaphore((*history)[k]);
    ASSERT_OK(sem) << (*history)[k];
    ASSERT_EQ(sem->total_slots, kSlots);
    max_seen = std::max(max_seen, sem->holders.size());
    ++sets_by_size[std::min(sem->holders.size(), kSlots + 1)];
    EXPECT_LE(sem->holders.size(), kSlots) << "revision #" << k << ": " << (*history)[k];
    if (k > 0) {
      size_t a = prev.size(), b = sem->holders.size();
      EXPECT_EQ(a > b ? a - b : b - a, 1u) << "change #" << k << " did not move one holder";
    }
    prev = sem->holders;
  }
  int total = 0, min_grants = 1 << 30, max_grants = 0;
  for (const auto& a : t.grants) {
    int g = a.load();
    total += g;
    min_grants = std::min(min_grants, g);
    max_grants = std::max(max_grants, g);
  }
  std::printf("clients=%d slots=%llu grants=%d (per client min %d max %d) refused=%d errors=%d\n",
              kClients, (unsigned long long)kSlots, total, min_grants, max_grants, t.refused.load(),
              t.errors.load());
  std::printf(
      "etcd history: %zu values; holder-set sizes 0:%zu 1:%zu 2:%zu 3:%zu >3:%zu; "
      "max seen by watcher %zu, by clients %d\n",
      history->size(), sets_by_size[0], sets_by_size[1], sets_by_size[2], sets_by_size[3],
      sets_by_size[4], max_seen, t.max_holding.load());
  EXPECT_LE(max_seen, kSlots);
  EXPECT_LE(t.max_holding.load(), int(kSlots));
  EXPECT_EQ(max_seen, kSlots) << "the run never filled the semaphore: load too light to prove much";
  EXPECT_GE(min_grants, 1) << "a client never got the lock";
  EXPECT_EQ(t.unlock_failures.load(), 0);
  EXPECT_EQ(t.errors.load(), 0);
  // Every grant and every release is one write: creation + 2 per grant.
  EXPECT_EQ(history->size(), size_t(1 + 2 * total));
  EXPECT_TRUE(prev.empty()) << "holders left at the end";
}

}  // namespace
}  // namespace hull::fleet

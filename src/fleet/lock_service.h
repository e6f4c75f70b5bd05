// The FleetLock server's state machine on etcd (REFERENCE.md §2.1, airlock
// internal/lock/lock.go): every change is one etcd transaction that compares
// the semaphore key's version with the version read, so any number of
// replicas against one etcd cluster stay correct (a lost race re-reads and
// retries, bounded).
//
// Holder expiry (optional, a Hull extension): with holder_ttl > 0 each holder
// also owns com.coreos.airlock/groups/<g>/v1/holders/<id>, attached to an etcd
// lease of holder_ttl seconds. The key is written in the same transaction that
// grants the slot and rewritten with a fresh lease on every pre-reboot from a
// holder. When a lock finds the semaphore full it prunes holders whose key is
// gone, in a transaction that also checks each pruned key is still absent, so
// a holder refreshing at that moment keeps its slot. The semaphore key stays
// the single authority and its value stays airlock's format. All replicas of
// a deployment must use the same holder_ttl setting.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "fleet/etcd.h"
#include "fleet/protocol.h"
#include "fleet/semaphore.h"

namespace hull::fleet {

struct ServiceOptions {
  std::map<std::string, uint64_t> groups{{"default", 1}};  // name -> slots
  std::chrono::seconds holder_ttl{0};                      // 0 = holders never expire
  int max_cas_attempts = 64;
  std::function<int64_t()> now = nullptr;  // unix seconds; null = system clock
};

// hull.fleetlock/held-since/<group>/<id>: when the holder was granted its
// slot (unix seconds, server clock), written in the granting transaction and
// deleted with the slot; for the status page only. airlock ignores it.
inline constexpr std::string_view kHeldSincePrefix = "hull.fleetlock/held-since/";
std::string HeldSinceKey(std::string_view group, std::string_view id);

struct GroupState {
  std::string group;
  Semaphore semaphore;
  int64_t version = 0;
  std::vector<std::string> live_holder_keys;  // ids with a holder key (TTL mode)
  std::map<std::string, int64_t> held_since;  // holder -> unix seconds, when known
};

// Called on each compare-and-swap attempt of a pre-reboot; its comparisons
// and operations join the granting transaction, its error refuses the call.
using PreRebootGuard = std::function<Result<TxnExtra>()>;

struct ServiceCounters {
  std::atomic<uint64_t> cas_conflicts{0};
  std::atomic<uint64_t> pruned_holders{0};
};

class LockService {
 public:
  // `etcd` (an EtcdClient, or a fake) must outlive the service.
  LockService(KvStore& etcd, ServiceOptions options);

  // Creates each configured group's semaphore if absent and sets total_slots
  // to the configured value if it differs. Errors: etcd's; kCorrupt when a
  // stored value does not parse.
  Status EnsureGroups();

  // RecursiveLock. Returns true when newly acquired, false when already held.
  // Errors: kNotFound (group not configured), kRefused (semaphore full),
  // kCorrupt (stored value), kConflict (lost the CAS race max_cas_attempts
  // times), etcd's kUnavailable/kTimeout.
  // `guard` (optional): see PreRebootGuard.
  Result<bool> PreReboot(const ClientParams& params, const PreRebootGuard& guard = nullptr);
  // UnlockIfHeld. Returns true when a slot was released. Errors as PreReboot
  // without kRefused.
  Result<bool> SteadyState(const ClientParams& params);
  // Operator release: like SteadyState but for any group present in etcd.
  // Errors: kNotFound when the group has no semaphore.
  Result<bool> Release(const std::string& group, const std::string& id);

  // Every group found under com.coreos.airlock/groups/ in etcd.
  Result<std::vector<GroupState>> Snapshot();

  const ServiceOptions& options() const { return options_; }
  const ServiceCounters& counters() const { return counters_; }

 private:
  struct Current {
    bool exists = false;
    Semaphore sem;
    int64_t version = 0;
  };
  Result<Current> Read(const std::string& group);
  Status EnsureGroup(const std::string& group, uint64_t slots);
  Result<bool> Unlock(const std::string& group, const std::string& id, bool need_configured);
  // Removes holders whose lease key expired; true when it changed something.
  Result<bool> PruneExpired(const std::string& group, const Current& cur);
  Result<int64_t> Lease();
  int64_t Now() const;

  KvStore& etcd_;
  ServiceOptions options_;
  ServiceCounters counters_;
};

}  // namespace hull::fleet

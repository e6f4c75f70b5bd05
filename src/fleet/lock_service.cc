#include "fleet/lock_service.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace hull::fleet {

std::string HeldSinceKey(std::string_view group, std::string_view id) {
  return std::string(kHeldSincePrefix) + std::string(group) + "/" + std::string(id);
}

LockService::LockService(KvStore& etcd, ServiceOptions options)
    : etcd_(etcd), options_(std::move(options)) {}

int64_t LockService::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<LockService::Current> LockService::Read(const std::string& group) {
  HULL_ASSIGN_OR_RETURN(auto kv, etcd_.Get(SemaphoreKey(group)));
  Current cur;
  if (!kv) return cur;
  cur.exists = true;
  cur.version = kv->version;
  HULL_ASSIGN_OR_RETURN(cur.sem, ParseSemaphore(kv->value).Context(SemaphoreKey(group)));
  return cur;
}

Status LockService::EnsureGroup(const std::string& group, uint64_t slots) {
  for (int i = 0; i < options_.max_cas_attempts; ++i) {
    HULL_ASSIGN_OR_RETURN(Current cur, Read(group));
    if (cur.exists && cur.sem.total_slots == slots) return Ok();
    Semaphore next = cur.sem;
    next.total_slots = slots;
    if (!cur.exists) next.holders.clear();
    // Version 0 = absent: airlock's If(Version(key)=0) Then(Put) initializer.
    HULL_ASSIGN_OR_RETURN(
        bool done, etcd_.Txn({{SemaphoreKey(group), cur.version}},
                             {{TxnOp::Type::kPut, SemaphoreKey(group), EncodeSemaphore(next)}}));
    if (done) return Ok();
    ++counters_.cas_conflicts;
  }
  return Errorf(ErrorCode::kConflict, "group {}: too much contention to initialize", group);
}

Status LockService::EnsureGroups() {
  for (const auto& [group, slots] : options_.groups) {
    // Not HULL_TRY(...Context()): the macro would bind to the dying temporary.
    if (Status st = EnsureGroup(group, slots); !st) {
      return std::move(st).error().Wrap("group " + group);
    }
  }
  return Ok();
}

Result<int64_t> LockService::Lease() {
  return etcd_.LeaseGrant(int64_t(options_.holder_ttl.count()));
}

Result<bool> LockService::PruneExpired(const std::string& group, const Current& cur) {
  HULL_ASSIGN_OR_RETURN(auto keys, etcd_.GetPrefix(HolderKeyPrefix(group)));
  std::set<std::string> alive;
  std::string prefix = HolderKeyPrefix(group);
  for (const auto& kv : keys) alive.insert(kv.key.substr(prefix.size()));
  Semaphore next = cur.sem;
  std::vector<VersionEquals> compare{{SemaphoreKey(group), cur.version}};
  for (const auto& id : cur.sem.holders) {
    if (alive.count(id)) continue;
    next.Unlock(id);
    compare.push_back({HolderKey(group, id), 0});  // still absent at commit time
  }
  if (compare.size() == 1) return false;
  HULL_ASSIGN_OR_RETURN(
      bool done,
      etcd_.Txn(compare, {{TxnOp::Type::kPut, SemaphoreKey(group), EncodeSemaphore(next)}}));
  if (done) counters_.pruned_holders += compare.size() - 1;
  return done;
}

Result<bool> LockService::PreReboot(const ClientParams& p, const PreRebootGuard& guard) {
  auto cfg = options_.groups.find(p.group);
  if (cfg == options_.groups.end()) {
    return Errorf(ErrorCode::kNotFound, "group '{}' is not configured", p.group);
  }
  const bool ttl = options_.holder_ttl.count() > 0;
  int64_t lease = 0;
  for (int i = 0; i < options_.max_cas_attempts; ++i) {
    HULL_ASSIGN_OR_RETURN(Current cur, Read(p.group));
    if (!cur.exists) {
      HULL_TRY(EnsureGroup(p.group, cfg->second));
      continue;
    }
    TxnExtra extra;
    if (guard) {
      HULL_ASSIGN_OR_RETURN(extra, guard());
    }
    Semaphore next = cur.sem;
    Semaphore::LockResult r = next.Lock(p.id);
    if (r == Semaphore::LockResult::kAlreadyHeld && !ttl && extra.ops.empty()) return false;
    if (r == Semaphore::LockResult::kFull) {
      if (ttl) {
        HULL_ASSIGN_OR_RETURN(bool pruned, PruneExpired(p.group, cur));
        if (pruned) continue;
      }
      return Errorf(ErrorCode::kRefused, "all {} semaphore slots currently locked",
                    cur.sem.total_slots);
    }
    std::vector<TxnOp> ops = std::move(extra.ops);
    if (r == Semaphore::LockResult::kAcquired) {
      ops.push_back({TxnOp::Type::kPut, SemaphoreKey(p.group), EncodeSemaphore(next)});
      ops.push_back({TxnOp::Type::kPut, HeldSinceKey(p.group, p.id), std::to_string(Now())});
    }
    if (ttl) {
      if (!lease) {
        HULL_ASSIGN_OR_RETURN(lease, Lease());
      }
      ops.push_back({TxnOp::Type::kPut, HolderKey(p.group, p.id), "", lease});
    }
    // The holder key is (re)written only while the semaphore is unchanged
    // since the read, so a refresh cannot race with a prune.
    std::vector<VersionEquals> compare{{SemaphoreKey(p.group), cur.version}};
    compare.insert(compare.end(), extra.compare.begin(), extra.compare.end());
    HULL_ASSIGN_OR_RETURN(bool done, etcd_.Txn(compare, ops));
    if (done) return r == Semaphore::LockResult::kAcquired;
    ++counters_.cas_conflicts;
  }
  return Errorf(ErrorCode::kConflict, "group {}: lost the compare-and-swap {} times", p.group,
                options_.max_cas_attempts);
}

Result<bool> LockService::Unlock(const std::string& group, const std::string& id,
                                 bool need_configured) {
  if (need_configured && !options_.groups.count(group)) {
    return Errorf(ErrorCode::kNotFound, "group '{}' is not configured", group);
  }
  for (int i = 0; i < options_.max_cas_attempts; ++i) {
    HULL_ASSIGN_OR_RETURN(Current cur, Read(group));
    if (!cur.exists) {
      if (need_configured) return false;
      return Errorf(ErrorCode::kNotFound, "group '{}' has no semaphore in etcd", group);
    }
    Semaphore next = cur.sem;
    if (!next.Unlock(id)) {
      if (options_.holder_ttl.count() > 0) HULL_TRY(etcd_.Delete(HolderKey(group, id)));
      return false;
    }
    HULL_ASSIGN_OR_RETURN(
        bool done, etcd_.Txn({{SemaphoreKey(group), cur.version}},
                             {{TxnOp::Type::kPut, SemaphoreKey(group), EncodeSemaphore(next)},
                              {TxnOp::Type::kDelete, HolderKey(group, id)},
                              {TxnOp::Type::kDelete, HeldSinceKey(group, id)}}));
    if (done) return true;
    ++counters_.cas_conflicts;
  }
  return Errorf(ErrorCode::kConflict, "group {}: lost the compare-and-swap {} times", group,
                options_.max_cas_attempts);
}

Result<bool> LockService::SteadyState(const ClientParams& p) { return Unlock(p.group, p.id, true); }

Result<bool> LockService::Release(const std::string& group, const std::string& id) {
  HULL_TRY(ValidateGroup(group));
  HULL_TRY(ValidateId(id));
  return Unlock(group, id, false);
}

Result<std::vector<GroupState>> LockService::Snapshot() {
  HULL_ASSIGN_OR_RETURN(auto kvs, etcd_.GetPrefix(std::string(kAirlockPrefix)));
  std::map<std::string, GroupState> groups;
  const std::string sem_suffix = "/v1/semaphore", holders_part = "/v1/holders/";
  for (const auto& kv : kvs) {
    std::string rest = kv.key.substr(kAirlockPrefix.size());
    // Holder keys first: a group has no '/', so the first "/v1/holders/"
    // ends the group, while the id after it may end in the semaphore suffix.
    if (auto pos = rest.find(holders_part); pos != std::string::npos) {
      std::string group = rest.substr(0, pos);
      groups[group].group = group;
      groups[group].live_holder_keys.push_back(rest.substr(pos + holders_part.size()));
    } else if (rest.size() > sem_suffix.size() &&
               rest.compare(rest.size() - sem_suffix.size(), sem_suffix.size(), sem_suffix) == 0) {
      std::string group = rest.substr(0, rest.size() - sem_suffix.size());
      HULL_ASSIGN_OR_RETURN(Semaphore sem, ParseSemaphore(kv.value).Context(kv.key));
      groups[group].group = group;
      groups[group].semaphore = std::move(sem);
      groups[group].version = kv.version;
    }
  }
  HULL_ASSIGN_OR_RETURN(auto since, etcd_.GetPrefix(std::string(kHeldSincePrefix)));
  for (const auto& kv : since) {
    std::string rest = kv.key.substr(kHeldSincePrefix.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos) continue;
    auto g = groups.find(rest.substr(0, slash));
    std::string id = rest.substr(slash + 1);
    if (g == groups.end() || !g->second.semaphore.Holds(id)) continue;
    int64_t t = 0;
    // A value that is not a plain number is ignored: the page shows "?".
    if (std::from_chars(kv.value.data(), kv.value.data() + kv.value.size(), t).ec == std::errc{}) {
      g->second.held_since[id] = t;
    }
  }
  std::vector<GroupState> out;
  for (auto& [name, g] : groups) {
    if (g.version > 0) out.push_back(std::move(g));
  }
  return out;
}

}  // namespace hull::fleet

// The reboot semaphore stored in etcd, airlock-compatible (REFERENCE.md §2.1;
// airlock internal/lock/semaphore.go):
//   key   com.coreos.airlock/groups/<group>/v1/semaphore
//   value {"total_slots":N,"holders":["id",...]}   holders sorted, unique
// A lock is recursive (a holder locking again changes nothing) and an unlock
// of a non-holder is a no-op, so both are safe to retry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::fleet {

inline constexpr std::string_view kAirlockPrefix = "com.coreos.airlock/groups/";
// Caps on a value read back from etcd (it may have been written by anyone).
inline constexpr size_t kMaxSemaphoreValue = 1 << 20;
inline constexpr uint64_t kMaxSlots = 100000;
inline constexpr size_t kMaxHolders = 100000;

// com.coreos.airlock/groups/<group>/v1/semaphore. Valid group names need no
// escaping (url.QueryEscape leaves [a-zA-Z0-9.-] alone).
std::string SemaphoreKey(std::string_view group);
// com.coreos.airlock/groups/<group>/v1/holders/<id>: the per-holder lease key
// used only when holder expiry is on (a Hull extension; airlock ignores it).
std::string HolderKey(std::string_view group, std::string_view id);
std::string HolderKeyPrefix(std::string_view group);

struct Semaphore {
  uint64_t total_slots = 1;
  std::vector<std::string> holders;  // sorted, unique

  enum class LockResult { kAlreadyHeld, kAcquired, kFull };
  // Adds `id` if a slot is free. kAlreadyHeld and kFull leave it unchanged.
  LockResult Lock(const std::string& id);
  // Removes `id`; false (no change) when it was not a holder.
  bool Unlock(const std::string& id);
  bool Holds(std::string_view id) const;
  bool operator==(const Semaphore&) const = default;
};

// Parses a stored value. Errors (kCorrupt): not JSON, missing or mistyped
// fields, total_slots above kMaxSlots, too many holders, invalid or duplicate
// ids. "holders": null (Go's empty slice) reads as no holders; holders are
// sorted on read so a hand-edited value is normalized.
Result<Semaphore> ParseSemaphore(std::string_view value);
// {"total_slots":N,"holders":[...]} with holders sorted.
std::string EncodeSemaphore(const Semaphore& sem);

}  // namespace hull::fleet

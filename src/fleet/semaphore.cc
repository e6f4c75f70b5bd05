#include "fleet/semaphore.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "fleet/protocol.h"

namespace hull::fleet {

std::string SemaphoreKey(std::string_view group) {
  return std::string(kAirlockPrefix) + std::string(group) + "/v1/semaphore";
}

std::string HolderKeyPrefix(std::string_view group) {
  return std::string(kAirlockPrefix) + std::string(group) + "/v1/holders/";
}

std::string HolderKey(std::string_view group, std::string_view id) {
  return HolderKeyPrefix(group) + std::string(id);
}

Semaphore::LockResult Semaphore::Lock(const std::string& id) {
  auto it = std::lower_bound(holders.begin(), holders.end(), id);
  if (it != holders.end() && *it == id) return LockResult::kAlreadyHeld;
  if (holders.size() >= total_slots) return LockResult::kFull;
  holders.insert(it, id);
  return LockResult::kAcquired;
}

bool Semaphore::Unlock(const std::string& id) {
  auto it = std::lower_bound(holders.begin(), holders.end(), id);
  if (it == holders.end() || *it != id) return false;
  holders.erase(it);
  return true;
}

bool Semaphore::Holds(std::string_view id) const {
  return std::binary_search(holders.begin(), holders.end(), id);
}

Result<Semaphore> ParseSemaphore(std::string_view value) {
  if (value.size() > kMaxSemaphoreValue) {
    return Errorf(ErrorCode::kCorrupt, "semaphore value is {} bytes (at most {})", value.size(),
                  kMaxSemaphoreValue);
  }
  auto j = nlohmann::json::parse(value.begin(), value.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kCorrupt, "semaphore value is not a JSON object");
  }
  if (!j.contains("total_slots") || !j["total_slots"].is_number_unsigned()) {
    return Error(ErrorCode::kCorrupt, "semaphore 'total_slots' missing or not a whole number");
  }
  Semaphore sem;
  sem.total_slots = j["total_slots"].get<uint64_t>();
  if (sem.total_slots > kMaxSlots) {
    return Errorf(ErrorCode::kCorrupt, "semaphore total_slots {} above the cap {}", sem.total_slots,
                  kMaxSlots);
  }
  if (j.contains("holders") && !j["holders"].is_null()) {
    const auto& h = j["holders"];
    if (!h.is_array()) return Error(ErrorCode::kCorrupt, "semaphore 'holders' is not an array");
    if (h.size() > kMaxHolders) {
      return Errorf(ErrorCode::kCorrupt, "semaphore has {} holders (at most {})", h.size(),
                    kMaxHolders);
    }
    for (const auto& e : h) {
      if (!e.is_string()) return Error(ErrorCode::kCorrupt, "semaphore holder is not a string");
      std::string id = e.get<std::string>();
      if (Status st = ValidateId(id); !st) {
        return Errorf(ErrorCode::kCorrupt, "semaphore holder: {}", st.error().message());
      }
      sem.holders.push_back(std::move(id));
    }
  }
  std::sort(sem.holders.begin(), sem.holders.end());
  if (std::adjacent_find(sem.holders.begin(), sem.holders.end()) != sem.holders.end()) {
    return Error(ErrorCode::kCorrupt, "semaphore lists a holder twice");
  }
  return sem;
}

std::string EncodeSemaphore(const Semaphore& sem) {
  std::vector<std::string> sorted = sem.holders;
  std::sort(sorted.begin(), sorted.end());
  nlohmann::json j{{"total_slots", sem.total_slots}, {"holders", sorted}};
  return j.dump();
}

}  // namespace hull::fleet

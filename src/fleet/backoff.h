// Jittered exponential backoff for FleetLock retries, so a fleet whose
// semaphore is full does not poll in lockstep ("equal jitter": the n-th delay
// is uniform in [d/2, d] with d = min(max, initial * 2^n)).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace hull::fleet {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed);
  // The next delay; grows until max.
  std::chrono::milliseconds Next();
  // Back to the initial delay (after a success).
  void Reset() { attempt_ = 0; }
  unsigned attempt() const { return attempt_; }

 private:
  std::chrono::milliseconds initial_, max_;
  unsigned attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace hull::fleet

#include "fleet/backoff.h"

#include <algorithm>

namespace hull::fleet {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      rng_(seed) {}

std::chrono::milliseconds Backoff::Next() {
  int64_t d = initial_.count();
  for (unsigned i = 0; i < attempt_ && d < max_.count(); ++i) d *= 2;
  d = std::min<int64_t>(d, max_.count());
  if (attempt_ < 64) ++attempt_;
  std::uniform_int_distribution<int64_t> dist(d / 2, d);
  return std::chrono::milliseconds(dist(rng_));
}

}  // namespace hull::fleet

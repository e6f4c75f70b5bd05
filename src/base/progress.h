// Progress for long work: a redrawn bar on a terminal, a plain line every
// ~10% otherwise (logs stay readable), nothing when quiet.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace hull {

enum class ProgressMode { kAuto, kBar, kLines, kQuiet };

class Progress {
 public:
  // `total` in units (bytes usually); `out` defaults to stderr.
  Progress(std::string label, uint64_t total, ProgressMode mode = ProgressMode::kAuto,
           std::FILE* out = nullptr);
  ~Progress();

  // Thread-safe; cheap enough to call per block.
  void Advance(uint64_t units);
  // Prints the final line (idempotent).
  void Finish();

  // Global default for kAuto: --quiet sets kQuiet.
  static void SetDefaultMode(ProgressMode mode);

 private:
  void Draw(uint64_t done, bool final);

  std::string label_;
  uint64_t total_;
  ProgressMode mode_;
  std::FILE* out_;
  std::atomic<uint64_t> done_{0};
  std::mutex mu_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool finished_ = false;
};

}  // namespace hull

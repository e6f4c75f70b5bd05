#include "base/progress.h"

#include <unistd.h>

namespace hull {
namespace {
ProgressMode g_default = ProgressMode::kAuto;
}

void Progress::SetDefaultMode(ProgressMode mode) { g_default = mode; }

Progress::Progress(std::string label, uint64_t total, ProgressMode mode, std::FILE* out)
    : label_(std::move(label)), total_(total), mode_(mode), out_(out ? out : stderr) {
  if (mode_ == ProgressMode::kAuto) mode_ = g_default;
  if (mode_ == ProgressMode::kAuto) {
    mode_ = ::isatty(::fileno(out_)) ? ProgressMode::kBar : ProgressMode::kLines;
  }
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() { Finish(); }

void Progress::Advance(uint64_t units) {
  uint64_t done = done_.fetch_add(units) + units;
  if (mode_ == ProgressMode::kQuiet) return;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  Draw(done, false);
}

void Progress::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_ || mode_ == ProgressMode::kQuiet) return;
  finished_ = true;
  Draw(done_.load(), true);
}

void Progress::Draw(uint64_t done, bool final) {
  auto now = std::chrono::steady_clock::now();
  double secs = std::chrono::duration<double>(now - start_).count();
  double frac = total_ ? double(std::min(done, total_)) / double(total_) : 1.0;
  if (mode_ == ProgressMode::kBar) {
    if (!final && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 30;
    int fill = int(frac * kWidth);
    std::fprintf(out_, "\r%s [%.*s%*s] %3d%% %.1fs", label_.c_str(), fill,
                 "##############################", kWidth - fill, "", int(frac * 100), secs);
    if (final) std::fputc('\n', out_);
    std::fflush(out_);
    return;
  }
  int decile = int(frac * 10);
  if (!final && decile == last_decile_) return;
  if (final && last_decile_ == 10) return;
  last_decile_ = decile;
  std::fprintf(out_, "%s: %d%% (%.1fs)\n", label_.c_str(), int(frac * 100), secs);
  std::fflush(out_);
}

}  // namespace hull

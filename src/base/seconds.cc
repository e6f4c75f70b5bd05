#include "base/seconds.h"

#include <limits>

namespace hull {

Result<int64_t> ParseUnixSeconds(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.back() == '\n') digits.remove_suffix(1);
  auto bad = [&](const char* why) {
    return Errorf(ErrorCode::kCorrupt, "'{}' is not a time in Unix seconds: {}",
                  std::string(text.substr(0, 40)), why);
  };
  if (digits.empty()) return bad("empty");
  int64_t v = 0;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (char c : digits) {
    if (c < '0' || c > '9') return bad("only decimal digits are allowed");
    if (v > (kMax - (c - '0')) / 10) return bad("larger than 2^63-1");
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace hull

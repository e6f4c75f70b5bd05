// Unix seconds as Hull's files keep them (the image's build time, the TUF
// client's latest known time): decimal digits, then at most one newline.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace hull {

// kCorrupt for anything else: empty text, a sign, blanks, other characters,
// or a value beyond INT64_MAX.
Result<int64_t> ParseUnixSeconds(std::string_view text);

}  // namespace hull

#include "base/uuid.h"

#include <algorithm>

#include "base/hex.h"

namespace hull {
namespace {
// GPT stores time_low (4), time_mid (2), time_hi (2) little-endian.
std::array<uint8_t, 16> SwapMixed(const std::array<uint8_t, 16>& in) {
  std::array<uint8_t, 16> out = in;
  std::reverse(out.begin(), out.begin() + 4);
  std::reverse(out.begin() + 4, out.begin() + 6);
  std::reverse(out.begin() + 6, out.begin() + 8);
  return out;
}
}  // namespace

Uuid Uuid::FromBytes(ByteSpan sixteen) {
  Uuid u;
  std::copy_n(sixteen.begin(), std::min<size_t>(16, sixteen.size()), u.bytes_.begin());
  return u;
}

Uuid Uuid::FromGptBytes(ByteSpan sixteen) {
  Uuid u = FromBytes(sixteen);
  u.bytes_ = SwapMixed(u.bytes_);
  return u;
}

std::array<uint8_t, 16> Uuid::GptBytes() const { return SwapMixed(bytes_); }

Result<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return Errorf(ErrorCode::kInvalidArgument,
                  "'{}' is not a UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", text);
  }
  std::string hex;
  for (char c : text) {
    if (c != '-') hex.push_back(c);
  }
  auto bytes = HexDecode(hex);
  if (!bytes) return std::move(bytes).error().Wrap(fmt::format("UUID '{}'", text));
  return FromBytes(*bytes);
}

std::string Uuid::ToString() const {
  std::string h = HexEncode(bytes_);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

bool Uuid::IsNil() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace hull

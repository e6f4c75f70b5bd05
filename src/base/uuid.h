// UUIDs (RFC 4122 text form) and their two binary encodings:
//  - big-endian ("network order"), as in the verity superblock and DPS root
//    hash derivation;
//  - mixed-endian, as GPT and EFI store GUIDs: the first three fields
//    little-endian, the last eight bytes as written (UEFI 2.10 App. A).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace hull {

class Uuid {
 public:
  Uuid() = default;  // the nil UUID
  // From 16 bytes in text order (big-endian).
  static Uuid FromBytes(ByteSpan sixteen);
  // From 16 bytes in GPT/EFI mixed-endian order.
  static Uuid FromGptBytes(ByteSpan sixteen);
  // "8484680c-9521-48c6-9c11-b0720656f69e"; also accepts upper case.
  static Result<Uuid> Parse(std::string_view text);

  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  std::array<uint8_t, 16> GptBytes() const;
  std::string ToString() const;  // lowercase, hyphenated
  bool IsNil() const;

  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend auto operator<=>(const Uuid&, const Uuid&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace hull

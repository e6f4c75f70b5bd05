// Lowercase hex encoding and strict decoding.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace hull {

std::string HexEncode(ByteSpan data);
// Accepts upper or lower case; rejects odd length and non-hex characters.
Result<Bytes> HexDecode(std::string_view hex);

}  // namespace hull

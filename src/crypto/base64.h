// Base64 (RFC 4648 §4, the standard alphabet with '=' padding): etcd's JSON
// gateway, DPS signature partitions and sigstore signatures all carry raw
// bytes this way.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::crypto {

std::string Base64Encode(ByteSpan data);
inline std::string Base64Encode(std::string_view data) { return Base64Encode(AsBytes(data)); }

// kCorrupt for a length that is not a multiple of 4 or a character outside
// the alphabet.
Result<Bytes> Base64Decode(std::string_view text);

}  // namespace hull::crypto

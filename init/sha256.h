// SHA-256 (FIPS 180-4 §6.2) for hull-init's PCR phase values, so the static
// binary does not need OpenSSL's libcrypto. Checked against OpenSSL in
// tests/init/sha256_test.cc.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace hull::init {

Bytes Sha256(ByteSpan data);

// The same digest over data given in pieces of any size (the live root
// template, hashed while it is copied: docs/iso.md).
class Sha256Stream {
 public:
  void Update(ByteSpan data);
  Bytes Final();  // once; the stream is spent after it

 private:
  std::array<uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t buf_[64] = {};
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

}  // namespace hull::init

// SHA-256 (FIPS 180-4 §6.2) for hull-init's PCR phase values, so the static
// binary does not need OpenSSL's libcrypto. Checked against OpenSSL in
// tests/init/sha256_test.cc.
#pragma once

#include "base/bytes.h"

namespace hull::init {

Bytes Sha256(ByteSpan data);

}  // namespace hull::init

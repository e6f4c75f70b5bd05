// Tampering in tests: one byte of a file changed for certain.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace hull::test_support {

// Replaces the byte at `offset` of `path` with its complement, in place: the
// file differs whatever it held there (a constant written over random or
// unknown bytes leaves it unchanged one time in 256).
Status FlipByte(const std::string& path, uint64_t offset);

}  // namespace hull::test_support

// A file's digest, read in 1 MiB pieces (constant memory for any size).
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/digest.h"

namespace hull::crypto {

// Errors: the file's open/read errors (kNotFound, kIo).
Result<Bytes> DigestFile(DigestAlgorithm algorithm, const std::string& path);

}  // namespace hull::crypto

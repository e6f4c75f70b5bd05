// The digest algorithms Hull names (verity superblocks, kernel tables, TUF
// metadata): their names and output sizes, without OpenSSL. Hashing is
// crypto/digest.h; hull-init, which hashes with its own init/sha256, links
// only this (docs/init.md).
#pragma once

#include <cstddef>
#include <string_view>

#include "base/result.h"

namespace hull::crypto {

enum class DigestAlgorithm { kSha1, kSha256, kSha384, kSha512 };

// "sha256" etc.; the error lists what is supported.
Result<DigestAlgorithm> ParseDigestAlgorithm(std::string_view name);
const char* DigestName(DigestAlgorithm alg);
size_t DigestSize(DigestAlgorithm alg);

}  // namespace hull::crypto

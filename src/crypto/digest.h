// Message digests over OpenSSL 3 EVP: one-shot and incremental.
#pragma once

#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "crypto/digest_algorithm.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_md_st EVP_MD;

namespace hull::crypto {

const EVP_MD* DigestMd(DigestAlgorithm alg);

Bytes Digest(DigestAlgorithm alg, ByteSpan data);
inline Bytes Sha256(ByteSpan data) { return Digest(DigestAlgorithm::kSha256, data); }

// Incremental hashing. Reset() reuses the context; Copy() forks a state
// (used by the verity engine to pre-hash the salt once).
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm alg);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;

  void Reset();
  void Update(ByteSpan data);
  // Writes DigestSize() bytes to out and leaves the hasher needing Reset().
  void Final(uint8_t* out);
  Bytes Final();
  // Replaces this state with a copy of `other`'s (same algorithm).
  void CopyFrom(const Hasher& other);

  DigestAlgorithm algorithm() const { return alg_; }
  size_t size() const { return DigestSize(alg_); }

 private:
  DigestAlgorithm alg_;
  EVP_MD_CTX* ctx_;
};

}  // namespace hull::crypto

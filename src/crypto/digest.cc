#include "crypto/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace hull::crypto {

// Explicitly fetched once: the legacy EVP_sha256() handles make OpenSSL 3
// fetch the provider implementation again on every EVP_DigestInit_ex, which
// costs more than hashing a 4 KiB block.
const EVP_MD* DigestMd(DigestAlgorithm alg) {
  static const EVP_MD* const kMds[] = {
      EVP_MD_fetch(nullptr, "SHA1", nullptr),
      EVP_MD_fetch(nullptr, "SHA256", nullptr),
      EVP_MD_fetch(nullptr, "SHA384", nullptr),
      EVP_MD_fetch(nullptr, "SHA512", nullptr),
  };
  return kMds[int(alg)];
}

Bytes Digest(DigestAlgorithm alg, ByteSpan data) {
  Bytes out(DigestSize(alg));
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, DigestMd(alg), nullptr) != 1) {
    std::abort();  // only fails on allocation failure
  }
  return out;
}

Hasher::Hasher(DigestAlgorithm alg) : alg_(alg), ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();
  Reset();
}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

Hasher::Hasher(Hasher&& o) noexcept : alg_(o.alg_), ctx_(o.ctx_) { o.ctx_ = nullptr; }

Hasher& Hasher::operator=(Hasher&& o) noexcept {
  std::swap(alg_, o.alg_);
  std::swap(ctx_, o.ctx_);
  return *this;
}

void Hasher::Reset() {
  if (EVP_DigestInit_ex(ctx_, DigestMd(alg_), nullptr) != 1) std::abort();
}

void Hasher::Update(ByteSpan data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

void Hasher::Final(uint8_t* out) {
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, out, &len);
}

Bytes Hasher::Final() {
  Bytes out(size());
  Final(out.data());
  return out;
}

void Hasher::CopyFrom(const Hasher& other) {
  alg_ = other.alg_;
  if (EVP_MD_CTX_copy_ex(ctx_, other.ctx_) != 1) std::abort();
}

}  // namespace hull::crypto

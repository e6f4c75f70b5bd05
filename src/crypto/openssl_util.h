// Internal to src/crypto: the small OpenSSL plumbing the key, signature and
// PKCS#7 code share (memory BIOs, DER/PEM encoding). Not part of the API.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace hull::crypto::internal {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

// A read-only memory BIO over `data` (which must outlive it).
inline BioPtr MemBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), int(data.size())));
}
inline BioPtr MemBio(ByteSpan data) {
  return BioPtr(BIO_new_mem_buf(data.data(), int(data.size())));
}

// What `write(BIO*)` writes into a fresh memory BIO, as text (PEM, names).
template <typename Write>
std::string WriteToString(Write&& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  write(bio.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size_t(len > 0 ? len : 0));
}

// The DER `i2d(object, &out)` encodes (empty on failure).
template <typename T>
Bytes ToDerWith(int (*i2d)(const T*, unsigned char**), const T* object) {
  unsigned char* der = nullptr;
  int len = i2d(object, &der);
  Bytes out(der, der + (len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}

// The SubjectPublicKeyInfo DER of a key (public half of a private key too).
inline Bytes PublicKeyDer(const EVP_PKEY* key) { return ToDerWith(i2d_PUBKEY, key); }

}  // namespace hull::crypto::internal

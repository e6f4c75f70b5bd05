// Private keys and self-signed X.509 certificates (OpenSSL 3, RAII).
//
// A PrivateKey is the signer every signing function takes. Its private half
// is either in memory (Generate, FromPem) or held elsewhere (Adopt: a key in a
// PKCS#11 token, loaded by the host library src/pkcs11); signing goes through
// the EVP_PKEY either way, so this library never loads engines or modules.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/bytes.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace hull::crypto {

enum class KeyType { kRsa2048, kRsa4096, kEcdsaP256, kEd25519, kEcdsaP384 };

// rsa2048 rsa4096 ecdsa-p256 ecdsa-p384 ed25519
Result<KeyType> ParseKeyType(std::string_view name);

class PrivateKey {
 public:
  PrivateKey() = default;
  static Result<PrivateKey> Generate(KeyType type);
  static Result<PrivateKey> FromPem(std::string_view pem);
  static Result<PrivateKey> LoadPem(const std::string& path);
  // A key whose private operations are carried out by whoever made `pkey`
  // (an OpenSSL ENGINE over a token). Takes ownership of `pkey`; `owner` is
  // kept alive as long as any copy of the key (the engine or session).
  static PrivateKey Adopt(EVP_PKEY* pkey, std::shared_ptr<void> owner);

  // Whether the private half is in memory (false for adopted token keys).
  bool exportable() const { return owner_ == nullptr; }
  std::string ToPem() const;   // PKCS#8, unencrypted; empty unless exportable()
  Bytes PublicKeyDer() const;  // SubjectPublicKeyInfo
  EVP_PKEY* get() const { return pkey_.get(); }

 private:
  struct Free {
    void operator()(EVP_PKEY* p) const;
  };
  std::shared_ptr<EVP_PKEY> pkey_;
  std::shared_ptr<void> owner_;
};

struct CertificateOptions {
  std::string common_name;
  uint64_t serial = 1;
  // Validity start as Unix time; 0 means SOURCE_DATE_EPOCH if set, else now.
  int64_t not_before = 0;
  int days = 3650;
  bool is_ca = true;
  // Adds the code-signing extended key usage (for Authenticode signers).
  bool code_signing = false;
};

class Certificate {
 public:
  Certificate() = default;
  static Result<Certificate> CreateSelfSigned(const PrivateKey& key,
                                              const CertificateOptions& options);
  static Result<Certificate> FromPem(std::string_view pem);
  static Result<Certificate> FromDer(ByteSpan der);
  // PEM or DER, detected.
  static Result<Certificate> Load(const std::string& path);

  std::string ToPem() const;
  Bytes ToDer() const;
  // SHA-256 of the DER encoding.
  Bytes Fingerprint() const;
  // "CN=..., O=..." one-line form.
  std::string Subject() const;
  X509* get() const { return x509_.get(); }

 private:
  std::shared_ptr<X509> x509_;
};

// Reads the current SOURCE_DATE_EPOCH (or -1 when unset or malformed).
int64_t SourceDateEpoch();

// The OpenSSL error queue as text, cleared.
std::string OpenSslErrors();

}  // namespace hull::crypto

// Raw (non-PKCS#7) signatures over a message, as TUF metadata carries them:
// Ed25519 (RFC 8032, pure), ECDSA P-256 with SHA-256 (DER), RSA-PSS with
// SHA-256. Public keys travel as SubjectPublicKeyInfo DER or, for Ed25519, as
// the raw 32-byte key.
#pragma once

#include "base/bytes.h"
#include "crypto/key.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace hull::crypto {

Result<Bytes> SignMessage(const PrivateKey& key, ByteSpan message);

class PublicKey {
 public:
  PublicKey() = default;
  static Result<PublicKey> FromDer(ByteSpan spki_der);
  static Result<PublicKey> FromPem(std::string_view pem);
  static Result<PublicKey> FromEd25519Raw(ByteSpan raw32);
  static PublicKey Of(const PrivateKey& key);

  KeyType type() const;
  // Raw 32 bytes for Ed25519; empty otherwise.
  Bytes Ed25519Raw() const;
  std::string ToPem() const;
  Bytes ToDer() const;
  EVP_PKEY* get() const { return pkey_.get(); }

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
};

// kBadSignature when the signature does not verify (or does not parse).
Status VerifyMessage(const PublicKey& key, ByteSpan message, ByteSpan signature);

}  // namespace hull::crypto

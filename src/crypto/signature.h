// Raw (non-PKCS#7) signatures over a message, as TUF metadata carries them:
// Ed25519 (RFC 8032, pure), ECDSA P-256 with SHA-256 and P-384 with SHA-384
// (DER-encoded r,s), RSA-PSS with SHA-256 (MGF1-SHA-256; signing uses a salt
// as long as the digest, as securesystemslib's CryptoSigner does; verifying
// accepts any salt length, as its SSlibKey does). Public keys travel as
// SubjectPublicKeyInfo DER/PEM or, for Ed25519, as the raw 32-byte key.
#pragma once

#include "base/bytes.h"
#include "crypto/key.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace hull::crypto {

// The schemes TUF names (securesystemslib's scheme strings in comments).
enum class SignatureScheme {
  kEd25519,          // "ed25519"
  kEcdsaP256Sha256,  // "ecdsa-sha2-nistp256"
  kEcdsaP384Sha384,  // "ecdsa-sha2-nistp384"
  kRsaPssSha256,     // "rsassa-pss-sha256"
};
// kUnsupported for any other name.
Result<SignatureScheme> ParseSignatureScheme(std::string_view name);
const char* SignatureSchemeName(SignatureScheme scheme);

// Signs with the scheme the key's type implies (SchemeFor).
Result<Bytes> SignMessage(const PrivateKey& key, ByteSpan message);
// kInvalidArgument when the key does not fit the scheme (type or curve).
Result<Bytes> SignMessage(const PrivateKey& key, ByteSpan message, SignatureScheme scheme);

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

// The scheme for a key: Ed25519, ECDSA by curve, RSA-PSS-SHA256 for RSA.
SignatureScheme SchemeFor(const PublicKey& key);
// Whether `key` is of the type and curve `scheme` needs.
bool KeyFitsScheme(const PublicKey& key, SignatureScheme scheme);

// kBadSignature when the signature does not verify (or does not parse).
Status VerifyMessage(const PublicKey& key, ByteSpan message, ByteSpan signature);
// The same under an explicit scheme; kBadSignature also when the key does not
// fit the scheme (a P-256 key named under ecdsa-sha2-nistp384 never verifies).
Status VerifyMessage(const PublicKey& key, ByteSpan message, ByteSpan signature,
                     SignatureScheme scheme);

}  // namespace hull::crypto

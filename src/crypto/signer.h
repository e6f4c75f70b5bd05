// The one seam every signature Hull makes goes through (docs/keys.md,
// "Offline signing").
//
// Each signing rule (Authenticode's signed attributes, pe/authenticode.h; a
// root hash's PKCS#7, crypto/pkcs7.h) reduces its signature to one raw
// signature over one message under one algorithm, asks a Signer for it, and
// puts the bytes where its format wants them (TUF metadata too:
// tuf::SignEnvelope asks one request per key). So a rule exists once whether its signature is made
// here with a key (KeySigner, a file or a token key alike), recorded to be made elsewhere, or taken
// from what was made elsewhere (the host library src/signing).
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/key.h"
#include "crypto/signature.h"

namespace hull::crypto {

// The raw signature algorithms the rules use; each is one openssl(1) command
// line (docs/keys.md).
enum class SignatureAlgorithm {
  kRsaPkcs1Sha256,  // "rsa-pkcs1v15-sha256": RSASSA-PKCS1-v1_5, SHA-256 (RFC 8017 §8.2)
  kRsaPssSha256,    // "rsassa-pss-sha256": MGF1-SHA-256, salt as long as the digest
  kEcdsaSha256,     // "ecdsa-sha256": DER (r, s) over SHA-256, any curve
  kEcdsaSha384,     // "ecdsa-sha384": DER (r, s) over SHA-384
  kEd25519,         // "ed25519": pure Ed25519 (RFC 8032)
};
const char* SignatureAlgorithmName(SignatureAlgorithm algorithm);
// kUnsupported for any other name.
Result<SignatureAlgorithm> ParseSignatureAlgorithm(std::string_view name);
// What a PKCS#7 signer (Authenticode, verity) uses with `key`: PKCS#1 v1.5
// for RSA, ECDSA for EC, both over SHA-256; kUnsupported for other keys.
Result<SignatureAlgorithm> Pkcs7AlgorithmFor(const PublicKey& key);
// The algorithm behind a TUF scheme.
SignatureAlgorithm AlgorithmOf(SignatureScheme scheme);

// The certificate's subject public key.
PublicKey CertificateKey(const Certificate& cert);

// The raw signature over `message`; kInvalidArgument when the key's type does
// not fit the algorithm.
Result<Bytes> SignRaw(const PrivateKey& key, SignatureAlgorithm algorithm, ByteSpan message);
// kBadSignature when `signature` does not verify (or the key does not fit).
Status VerifyRaw(const PublicKey& key, SignatureAlgorithm algorithm, ByteSpan message,
                 ByteSpan signature);

// Which signature a rule asks for: the caller names the item and the key's
// role; the rule adds what the message is.
struct SigningItem {
  std::string name;  // unique within one signing run: [A-Za-z0-9._-]+
  std::string role;  // "db", "verity", "root", "targets", ...
};

struct SignRequest {
  SigningItem item;
  std::string kind;  // "authenticode-signed-attributes", "verity-root-hash", "tuf-metadata"
  SignatureAlgorithm algorithm = SignatureAlgorithm::kRsaPkcs1Sha256;
  PublicKey key;     // the signature must verify against this key
  ByteSpan message;  // valid for the call only
};

class Signer {
 public:
  virtual ~Signer() = default;
  // The raw signature over request.message under request.algorithm, by the
  // private half of request.key.
  virtual Result<Bytes> Sign(const SignRequest& request) = 0;
};

// Signs with private keys in hand: the one whose public half is the
// request's key. Errors: kInvalidArgument "the key for 'ROLE' does not belong
// to the expected certificate or public key" when it holds none; SignRaw's.
class KeySigner : public Signer {
 public:
  KeySigner() = default;
  explicit KeySigner(PrivateKey key) { Add(std::move(key)); }
  void Add(PrivateKey key) { keys_.push_back(std::move(key)); }
  Result<Bytes> Sign(const SignRequest& request) override;

 private:
  std::vector<PrivateKey> keys_;
};

}  // namespace hull::crypto

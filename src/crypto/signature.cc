#include "crypto/signature.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/openssl_util.h"
#include "crypto/signer.h"

namespace hull::crypto {
namespace {
bool IsEd25519(EVP_PKEY* k) { return EVP_PKEY_get_id(k) == EVP_PKEY_ED25519; }
bool IsRsa(EVP_PKEY* k) { return EVP_PKEY_get_id(k) == EVP_PKEY_RSA; }
bool IsEc(EVP_PKEY* k) { return EVP_PKEY_get_id(k) == EVP_PKEY_EC; }

// The curve's group name ("prime256v1", "secp384r1"); empty for non-EC keys.
std::string CurveName(EVP_PKEY* k) {
  char name[64] = {};
  size_t len = 0;
  if (!IsEc(k) || EVP_PKEY_get_group_name(k, name, sizeof name, &len) != 1) return {};
  return std::string(name, len);
}

bool Fits(EVP_PKEY* k, SignatureScheme s) {
  if (!k) return false;
  switch (s) {
    case SignatureScheme::kEd25519:
      return IsEd25519(k);
    case SignatureScheme::kEcdsaP256Sha256:
      return CurveName(k) == "prime256v1";
    case SignatureScheme::kEcdsaP384Sha384:
      return CurveName(k) == "secp384r1";
    case SignatureScheme::kRsaPssSha256:
      return IsRsa(k);
  }
  return false;
}

SignatureScheme SchemeOf(EVP_PKEY* k) {
  if (IsEd25519(k)) return SignatureScheme::kEd25519;
  if (CurveName(k) == "secp384r1") return SignatureScheme::kEcdsaP384Sha384;
  if (IsEc(k)) return SignatureScheme::kEcdsaP256Sha256;
  return SignatureScheme::kRsaPssSha256;
}

}  // namespace

Result<SignatureScheme> ParseSignatureScheme(std::string_view name) {
  for (auto s : {SignatureScheme::kEd25519, SignatureScheme::kEcdsaP256Sha256,
                 SignatureScheme::kEcdsaP384Sha384, SignatureScheme::kRsaPssSha256}) {
    if (name == SignatureSchemeName(s)) return s;
  }
  return Errorf(ErrorCode::kUnsupported, "signature scheme '{}' is not supported", name);
}

const char* SignatureSchemeName(SignatureScheme s) {
  switch (s) {
    case SignatureScheme::kEd25519:
      return "ed25519";
    case SignatureScheme::kEcdsaP256Sha256:
      return "ecdsa-sha2-nistp256";
    case SignatureScheme::kEcdsaP384Sha384:
      return "ecdsa-sha2-nistp384";
    case SignatureScheme::kRsaPssSha256:
      return "rsassa-pss-sha256";
  }
  return "?";
}

SignatureScheme SchemeFor(const PublicKey& key) { return SchemeOf(key.get()); }
bool KeyFitsScheme(const PublicKey& key, SignatureScheme scheme) { return Fits(key.get(), scheme); }

Result<Bytes> SignMessage(const PrivateKey& key, ByteSpan message) {
  if (!key.get()) return Error(ErrorCode::kInvalidArgument, "no private key");
  return SignMessage(key, message, SchemeOf(key.get()));
}

Result<Bytes> SignMessage(const PrivateKey& key, ByteSpan message, SignatureScheme scheme) {
  if (!Fits(key.get(), scheme)) {
    return Errorf(ErrorCode::kInvalidArgument, "the key does not fit scheme {}",
                  SignatureSchemeName(scheme));
  }
  return SignRaw(key, AlgorithmOf(scheme), message);
}

Status VerifyMessage(const PublicKey& key, ByteSpan message, ByteSpan signature) {
  if (!key.get()) return Error(ErrorCode::kInvalidArgument, "no public key");
  return VerifyMessage(key, message, signature, SchemeOf(key.get()));
}

Status VerifyMessage(const PublicKey& key, ByteSpan message, ByteSpan signature,
                     SignatureScheme scheme) {
  if (!key.get()) return Error(ErrorCode::kInvalidArgument, "no public key");
  if (!Fits(key.get(), scheme)) {
    return Errorf(ErrorCode::kBadSignature, "the key does not fit scheme {}",
                  SignatureSchemeName(scheme));
  }
  return VerifyRaw(key, AlgorithmOf(scheme), message, signature);
}

Result<PublicKey> PublicKey::FromDer(ByteSpan der) {
  const unsigned char* p = der.data();
  EVP_PKEY* k = d2i_PUBKEY(nullptr, &p, long(der.size()));
  if (!k) {
    OpenSslErrors();
    return Error(ErrorCode::kInvalidArgument, "not a DER SubjectPublicKeyInfo");
  }
  PublicKey out;
  out.pkey_.reset(k, EVP_PKEY_free);
  return out;
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  EVP_PKEY* k = PEM_read_bio_PUBKEY(internal::MemBio(pem).get(), nullptr, nullptr, nullptr);
  if (!k) {
    OpenSslErrors();
    return Error(ErrorCode::kInvalidArgument, "not a PEM public key");
  }
  PublicKey out;
  out.pkey_.reset(k, EVP_PKEY_free);
  return out;
}

Result<PublicKey> PublicKey::FromEd25519Raw(ByteSpan raw) {
  if (raw.size() != 32) {
    return Errorf(ErrorCode::kInvalidArgument, "an Ed25519 public key is 32 bytes, not {}",
                  raw.size());
  }
  EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size());
  if (!k) return Error(ErrorCode::kInvalidArgument, "bad Ed25519 public key");
  PublicKey out;
  out.pkey_.reset(k, EVP_PKEY_free);
  return out;
}

PublicKey PublicKey::Of(const PrivateKey& key) {
  return std::move(FromDer(key.PublicKeyDer()).value());
}

KeyType PublicKey::type() const {
  switch (EVP_PKEY_get_id(pkey_.get())) {
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    case EVP_PKEY_EC:
      return SchemeOf(pkey_.get()) == SignatureScheme::kEcdsaP384Sha384 ? KeyType::kEcdsaP384
                                                                        : KeyType::kEcdsaP256;
    default:
      return EVP_PKEY_get_bits(pkey_.get()) > 2048 ? KeyType::kRsa4096 : KeyType::kRsa2048;
  }
}

Bytes PublicKey::Ed25519Raw() const {
  if (!IsEd25519(pkey_.get())) return {};
  Bytes raw(32);
  size_t len = raw.size();
  EVP_PKEY_get_raw_public_key(pkey_.get(), raw.data(), &len);
  return raw;
}

std::string PublicKey::ToPem() const {
  return internal::WriteToString([&](BIO* bio) { PEM_write_bio_PUBKEY(bio, pkey_.get()); });
}

Bytes PublicKey::ToDer() const { return internal::PublicKeyDer(pkey_.get()); }

}  // namespace hull::crypto

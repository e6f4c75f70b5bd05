#include "crypto/signature.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/openssl_util.h"

namespace hull::crypto {
namespace {
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

bool IsEd25519(EVP_PKEY* k) { return EVP_PKEY_get_id(k) == EVP_PKEY_ED25519; }
bool IsRsa(EVP_PKEY* k) { return EVP_PKEY_get_id(k) == EVP_PKEY_RSA; }

// Ed25519 signs the message itself; the others hash with SHA-256.
const EVP_MD* MdFor(EVP_PKEY* k) { return IsEd25519(k) ? nullptr : EVP_sha256(); }

void UsePss(EVP_PKEY_CTX* pctx) {
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
}
}  // namespace

Result<Bytes> SignMessage(const PrivateKey& key, ByteSpan message) {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, MdFor(key.get()), nullptr, key.get()) != 1) {
    return Errorf(ErrorCode::kInvalidArgument, "cannot sign with this key: {}", OpenSslErrors());
  }
  if (IsRsa(key.get())) UsePss(pctx);
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return Errorf(ErrorCode::kInternal, "signing failed: {}", OpenSslErrors());
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return Errorf(ErrorCode::kInternal, "signing failed: {}", OpenSslErrors());
  }
  sig.resize(len);
  return sig;
}

Status VerifyMessage(const PublicKey& key, ByteSpan message, ByteSpan signature) {
  if (!key.get()) return Error(ErrorCode::kInvalidArgument, "no public key");
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, MdFor(key.get()), nullptr, key.get()) != 1) {
    return Errorf(ErrorCode::kInvalidArgument, "cannot verify with this key: {}", OpenSslErrors());
  }
  if (IsRsa(key.get())) UsePss(pctx);
  int ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                            message.size());
  OpenSslErrors();
  if (ok != 1) return Error(ErrorCode::kBadSignature, "signature does not verify");
  return Ok();
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
    case EVP_PKEY_ED25519: return KeyType::kEd25519;
    case EVP_PKEY_EC: return KeyType::kEcdsaP256;
    default: return EVP_PKEY_get_bits(pkey_.get()) > 2048 ? KeyType::kRsa4096 : KeyType::kRsa2048;
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

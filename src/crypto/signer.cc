#include "crypto/signer.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

#include "crypto/openssl_util.h"

namespace hull::crypto {
namespace {
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

constexpr SignatureAlgorithm kAll[] = {
    SignatureAlgorithm::kRsaPkcs1Sha256, SignatureAlgorithm::kRsaPssSha256,
    SignatureAlgorithm::kEcdsaSha256, SignatureAlgorithm::kEcdsaSha384,
    SignatureAlgorithm::kEd25519};

bool Fits(EVP_PKEY* k, SignatureAlgorithm a) {
  if (!k) return false;
  switch (a) {
    case SignatureAlgorithm::kRsaPkcs1Sha256:
    case SignatureAlgorithm::kRsaPssSha256:
      return EVP_PKEY_get_id(k) == EVP_PKEY_RSA;
    case SignatureAlgorithm::kEcdsaSha256:
    case SignatureAlgorithm::kEcdsaSha384:
      return EVP_PKEY_get_id(k) == EVP_PKEY_EC;
    case SignatureAlgorithm::kEd25519:
      return EVP_PKEY_get_id(k) == EVP_PKEY_ED25519;
  }
  return false;
}

// Ed25519 signs the message itself; the others hash it first.
const EVP_MD* MdFor(SignatureAlgorithm a) {
  switch (a) {
    case SignatureAlgorithm::kEd25519:
      return nullptr;
    case SignatureAlgorithm::kEcdsaSha384:
      return EVP_sha384();
    default:
      return EVP_sha256();
  }
}

// Signing: salt as long as the digest (securesystemslib's CryptoSigner);
// verifying: whatever salt length the signature carries (its SSlibKey uses
// PSS.AUTO), so signatures from either salt convention verify.
void UsePss(EVP_PKEY_CTX* pctx, bool sign) {
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, sign ? RSA_PSS_SALTLEN_DIGEST : RSA_PSS_SALTLEN_AUTO);
}
}  // namespace

const char* SignatureAlgorithmName(SignatureAlgorithm a) {
  switch (a) {
    case SignatureAlgorithm::kRsaPkcs1Sha256:
      return "rsa-pkcs1v15-sha256";
    case SignatureAlgorithm::kRsaPssSha256:
      return "rsassa-pss-sha256";
    case SignatureAlgorithm::kEcdsaSha256:
      return "ecdsa-sha256";
    case SignatureAlgorithm::kEcdsaSha384:
      return "ecdsa-sha384";
    case SignatureAlgorithm::kEd25519:
      return "ed25519";
  }
  return "?";
}

Result<SignatureAlgorithm> ParseSignatureAlgorithm(std::string_view name) {
  for (SignatureAlgorithm a : kAll) {
    if (name == SignatureAlgorithmName(a)) return a;
  }
  return Errorf(ErrorCode::kUnsupported, "signature algorithm '{}' is not supported", name);
}

Result<SignatureAlgorithm> Pkcs7AlgorithmFor(const PublicKey& key) {
  if (Fits(key.get(), SignatureAlgorithm::kRsaPkcs1Sha256))
    return SignatureAlgorithm::kRsaPkcs1Sha256;
  if (Fits(key.get(), SignatureAlgorithm::kEcdsaSha256)) return SignatureAlgorithm::kEcdsaSha256;
  return Error(ErrorCode::kUnsupported, "PKCS#7 signatures need an RSA or ECDSA key");
}

SignatureAlgorithm AlgorithmOf(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kEd25519:
      return SignatureAlgorithm::kEd25519;
    case SignatureScheme::kEcdsaP256Sha256:
      return SignatureAlgorithm::kEcdsaSha256;
    case SignatureScheme::kEcdsaP384Sha384:
      return SignatureAlgorithm::kEcdsaSha384;
    case SignatureScheme::kRsaPssSha256:
      return SignatureAlgorithm::kRsaPssSha256;
  }
  return SignatureAlgorithm::kEd25519;
}

PublicKey CertificateKey(const Certificate& cert) {
  auto key = PublicKey::FromDer(internal::PublicKeyDer(X509_get0_pubkey(cert.get())));
  return key.ok() ? std::move(*key) : PublicKey();
}

Result<Bytes> SignRaw(const PrivateKey& key, SignatureAlgorithm algorithm, ByteSpan message) {
  if (!Fits(key.get(), algorithm)) {
    return Errorf(ErrorCode::kInvalidArgument, "the key does not fit {}",
                  SignatureAlgorithmName(algorithm));
  }
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, MdFor(algorithm), nullptr, key.get()) != 1) {
    return Errorf(ErrorCode::kInvalidArgument, "cannot sign with this key: {}", OpenSslErrors());
  }
  if (algorithm == SignatureAlgorithm::kRsaPssSha256) UsePss(pctx, /*sign=*/true);
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

Status VerifyRaw(const PublicKey& key, SignatureAlgorithm algorithm, ByteSpan message,
                 ByteSpan signature) {
  if (!Fits(key.get(), algorithm)) {
    return Errorf(ErrorCode::kBadSignature, "the key does not fit {}",
                  SignatureAlgorithmName(algorithm));
  }
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, MdFor(algorithm), nullptr, key.get()) != 1) {
    return Errorf(ErrorCode::kInvalidArgument, "cannot verify with this key: {}", OpenSslErrors());
  }
  if (algorithm == SignatureAlgorithm::kRsaPssSha256) UsePss(pctx, /*sign=*/false);
  int ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                            message.size());
  OpenSslErrors();
  if (ok != 1) return Error(ErrorCode::kBadSignature, "signature does not verify");
  return Ok();
}

Result<Bytes> KeySigner::Sign(const SignRequest& request) {
  for (const PrivateKey& k : keys_) {
    if (EVP_PKEY_eq(k.get(), request.key.get()) == 1) {
      return SignRaw(k, request.algorithm, request.message);
    }
  }
  OpenSslErrors();
  return Errorf(ErrorCode::kInvalidArgument,
                "the key for '{}' does not belong to the expected certificate or public key",
                request.item.role);
}

}  // namespace hull::crypto

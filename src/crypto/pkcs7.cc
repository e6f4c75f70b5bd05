#include "crypto/pkcs7.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/openssl_util.h"

namespace hull::crypto {
namespace {
// CMS (RFC 5652) rather than the legacy PKCS7 API: it produces the same
// SignedData for RSA and ECDSA, and also handles Ed25519 (RFC 8419).
struct CmsFree {
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
};
using internal::BioPtr;
using internal::MemBio;
}  // namespace

Result<Bytes> Pkcs7SignDetached(ByteSpan content, const Certificate& cert, Signer& signer,
                                const SigningItem& item, std::string_view kind) {
  PublicKey key = CertificateKey(cert);
  HULL_ASSIGN_OR_RETURN(SignatureAlgorithm algorithm, Pkcs7AlgorithmFor(key));
  // The SignedData is laid out with the certificate's public key and left
  // partial (CMS_final would sign with the key it was given); the signer's
  // raw signature is then set as the SignerInfo's signature.
  const unsigned flags =
      CMS_DETACHED | CMS_BINARY | CMS_NOCERTS | CMS_NOATTR | CMS_NOSMIMECAP | CMS_PARTIAL;
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms(
      CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  CMS_SignerInfo* si =
      cms ? CMS_add1_signer(cms.get(), cert.get(), key.get(), EVP_sha256(), flags) : nullptr;
  if (!si) {
    return Errorf(ErrorCode::kInvalidArgument, "PKCS#7 signing failed: {}", OpenSslErrors());
  }
  HULL_ASSIGN_OR_RETURN(Bytes sig, signer.Sign({.item = item,
                                                .kind = std::string(kind),
                                                .algorithm = algorithm,
                                                .key = key,
                                                .message = content}));
  if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig.data(), int(sig.size())) != 1 ||
      CMS_set_detached(cms.get(), 1) != 1) {
    return Errorf(ErrorCode::kInternal, "PKCS#7 signing failed: {}", OpenSslErrors());
  }
  Bytes out = internal::ToDerWith<CMS_ContentInfo>(i2d_CMS_ContentInfo, cms.get());
  if (out.empty()) {
    return Errorf(ErrorCode::kInternal, "PKCS#7 encoding failed: {}", OpenSslErrors());
  }
  return out;
}

Result<Bytes> Pkcs7SignDetached(ByteSpan content, const PrivateKey& key, const Certificate& cert) {
  if (EVP_PKEY_get_id(key.get()) == EVP_PKEY_ED25519) {
    // The kernel's PKCS#7 parser (dm-verity, module signing) and sbverify
    // take RSA and ECDSA signers only.
    return Error(ErrorCode::kUnsupported,
                 "PKCS#7 signatures need an RSA or ECDSA key, not Ed25519");
  }
  KeySigner signer(key);
  return Pkcs7SignDetached(content, cert, signer, {.name = "content", .role = "signer"}, "content");
}

Status Pkcs7VerifyDetached(ByteSpan content, ByteSpan signature, const Certificate& cert) {
  const unsigned char* p = signature.data();
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms(
      d2i_CMS_ContentInfo(nullptr, &p, long(signature.size())));
  if (!cms || p != signature.data() + signature.size()) {
    OpenSslErrors();
    return Error(ErrorCode::kCorrupt, "signature is not a DER PKCS#7 structure");
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    return Error(ErrorCode::kCorrupt, "PKCS#7 structure is not SignedData");
  }
  BioPtr in = MemBio(content);
  STACK_OF(X509)* signers = sk_X509_new_null();
  sk_X509_push(signers, cert.get());
  unsigned flags = CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY | CMS_DETACHED;
  int ok = CMS_verify(cms.get(), signers, nullptr, in.get(), nullptr, flags);
  sk_X509_free(signers);
  if (ok != 1) {
    return Errorf(ErrorCode::kBadSignature, "signature does not verify against '{}': {}",
                  cert.Subject(), OpenSslErrors());
  }
  return Ok();
}

}  // namespace hull::crypto

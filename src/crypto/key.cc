#include "crypto/key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <ctime>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "crypto/openssl_util.h"

namespace hull::crypto {
namespace {

using internal::BioPtr;
using internal::MemBio;
using internal::WriteToString;

Error SslError(ErrorCode code, std::string_view what) {
  std::string detail = OpenSslErrors();
  return Error(code, detail.empty() ? std::string(what) : fmt::format("{}: {}", what, detail));
}

bool AddExt(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

std::string OpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

int64_t SourceDateEpoch() {
  const char* s = std::getenv("SOURCE_DATE_EPOCH");
  if (!s || !*s) return -1;
  char* end = nullptr;
  long long v = std::strtoll(s, &end, 10);
  if (*end != '\0' || v < 0) return -1;
  return v;
}

Result<KeyType> ParseKeyType(std::string_view name) {
  if (name == "rsa2048") return KeyType::kRsa2048;
  if (name == "rsa4096") return KeyType::kRsa4096;
  if (name == "ecdsa-p256") return KeyType::kEcdsaP256;
  if (name == "ecdsa-p384") return KeyType::kEcdsaP384;
  if (name == "ed25519") return KeyType::kEd25519;
  return Errorf(ErrorCode::kUnsupported,
                "unknown key type '{}' (known: rsa2048, rsa4096, ecdsa-p256, ecdsa-p384, ed25519)",
                name);
}

void PrivateKey::Free::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

Result<PrivateKey> PrivateKey::Generate(KeyType type) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kRsa2048:
      raw = EVP_RSA_gen(2048);
      break;
    case KeyType::kRsa4096:
      raw = EVP_RSA_gen(4096);
      break;
    case KeyType::kEcdsaP256:
      raw = EVP_EC_gen("P-256");
      break;
    case KeyType::kEcdsaP384:
      raw = EVP_EC_gen("P-384");
      break;
    case KeyType::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (!raw) return SslError(ErrorCode::kInternal, "key generation failed");
  PrivateKey k;
  k.pkey_.reset(raw, Free());
  return k;
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  BioPtr bio = MemBio(pem);
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!raw) return SslError(ErrorCode::kInvalidArgument, "not a PEM private key");
  PrivateKey k;
  k.pkey_.reset(raw, Free());
  return k;
}

Result<PrivateKey> PrivateKey::LoadPem(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(std::string pem, ReadFileText(path, 1 << 20));
  return FromPem(pem).Context(fmt::format("key '{}'", path));
}

PrivateKey PrivateKey::Adopt(EVP_PKEY* pkey, std::shared_ptr<void> owner) {
  PrivateKey k;
  // The key is freed before its owner (an engine must outlive its keys).
  k.pkey_.reset(pkey, [owner](EVP_PKEY* p) { EVP_PKEY_free(p); });
  k.owner_ = owner ? std::move(owner) : std::make_shared<int>(0);
  return k;
}

std::string PrivateKey::ToPem() const {
  if (!exportable()) return {};
  return WriteToString([&](BIO* bio) {
    PEM_write_bio_PrivateKey(bio, pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}

Bytes PrivateKey::PublicKeyDer() const { return internal::PublicKeyDer(pkey_.get()); }

Result<Certificate> Certificate::CreateSelfSigned(const PrivateKey& key,
                                                  const CertificateOptions& o) {
  std::shared_ptr<X509> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), o.serial);
  int64_t start = o.not_before;
  if (start == 0) start = SourceDateEpoch();
  if (start < 0) start = std::time(nullptr);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), time_t(start));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), time_t(start + int64_t(o.days) * 86400));
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(o.common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  bool ok = AddExt(cert.get(), NID_basic_constraints, o.is_ca ? "critical,CA:TRUE" : "CA:FALSE") &&
            AddExt(cert.get(), NID_subject_key_identifier, "hash") &&
            AddExt(cert.get(), NID_key_usage,
                   o.is_ca ? "critical,digitalSignature,keyCertSign,cRLSign"
                           : "critical,digitalSignature");
  if (ok && o.code_signing) ok = AddExt(cert.get(), NID_ext_key_usage, "codeSigning");
  if (!ok) return SslError(ErrorCode::kInternal, "cannot add certificate extensions");
  bool eddsa = EVP_PKEY_get_id(key.get()) == EVP_PKEY_ED25519;
  if (X509_sign(cert.get(), key.get(), eddsa ? nullptr : EVP_sha256()) <= 0) {
    return SslError(ErrorCode::kInternal, "cannot sign certificate");
  }
  Certificate c;
  c.x509_ = std::move(cert);
  return c;
}

Result<Certificate> Certificate::FromPem(std::string_view pem) {
  BioPtr bio = MemBio(pem);
  X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (!raw) return SslError(ErrorCode::kInvalidArgument, "not a PEM certificate");
  Certificate c;
  c.x509_.reset(raw, X509_free);
  return c;
}

Result<Certificate> Certificate::FromDer(ByteSpan der) {
  const unsigned char* p = der.data();
  X509* raw = d2i_X509(nullptr, &p, long(der.size()));
  if (!raw) return SslError(ErrorCode::kInvalidArgument, "not a DER certificate");
  Certificate c;
  c.x509_.reset(raw, X509_free);
  return c;
}

Result<Certificate> Certificate::Load(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(path, 1 << 20));
  std::string_view text = AsChars(data);
  auto cert = text.find("-----BEGIN") != std::string_view::npos ? FromPem(text) : FromDer(data);
  return std::move(cert).Context(fmt::format("certificate '{}'", path));
}

std::string Certificate::ToPem() const {
  return WriteToString([&](BIO* bio) { PEM_write_bio_X509(bio, x509_.get()); });
}

Bytes Certificate::ToDer() const { return internal::ToDerWith(i2d_X509, x509_.get()); }

Bytes Certificate::Fingerprint() const { return Sha256(ToDer()); }

std::string Certificate::Subject() const {
  return WriteToString([&](BIO* bio) {
    X509_NAME_print_ex(bio, X509_get_subject_name(x509_.get()), 0, XN_FLAG_ONELINE);
  });
}

}  // namespace hull::crypto

#include "fleet/tls_identity.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>

namespace hull::fleet {
namespace {

bool Printable(const unsigned char* data, int len) {
  if (len <= 0) return false;
  for (int i = 0; i < len; ++i) {
    if (data[i] < 0x21 || data[i] > 0x7e) return false;
  }
  return true;
}

// Only string types whose bytes are the characters: a BMPString (UTF-16)
// or a UniversalString could carry bytes that read as another node's id.
bool CnType(int type) {
  return type == V_ASN1_UTF8STRING || type == V_ASN1_PRINTABLESTRING || type == V_ASN1_IA5STRING;
}

void AddName(std::vector<std::string>& out, const ASN1_STRING* s, bool (*allowed)(int)) {
  if (!s || !allowed(ASN1_STRING_type(s))) return;
  const unsigned char* d = ASN1_STRING_get0_data(s);
  int len = ASN1_STRING_length(s);
  if (Printable(d, len)) out.emplace_back(reinterpret_cast<const char*>(d), size_t(len));
}

}  // namespace

std::vector<std::string> PeerIdentities(const SSL* ssl) {
  std::vector<std::string> out;
  if (!ssl) return out;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return out;
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    AddName(out, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)), CnType);
  }
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    auto ia5 = [](int type) { return type == V_ASN1_IA5STRING; };
    if (n->type == GEN_DNS) AddName(out, n->d.dNSName, ia5);
    if (n->type == GEN_URI) AddName(out, n->d.uniformResourceIdentifier, ia5);
  }
  GENERAL_NAMES_free(sans);
  X509_free(cert);
  return out;
}

Result<CaStore> CaStore::Load(const std::vector<std::string>& pem_files) {
  X509_STORE* store = X509_STORE_new();
  CaStore out(store);
  for (const auto& path : pem_files) {
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return Errorf(ErrorCode::kInvalidArgument, "CA file {} cannot be opened", path);
    int n = 0;
    while (X509* ca = PEM_read_X509(f, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, ca);
      X509_free(ca);
      ++n;
    }
    (void)std::fclose(f);
    if (n == 0) {
      return Errorf(ErrorCode::kInvalidArgument, "CA file {} holds no PEM certificate", path);
    }
  }
  return out;
}

CaStore::~CaStore() {
  if (store_) X509_STORE_free(store_);
}

X509_STORE* CaStore::NewRef() const {
  X509_STORE_up_ref(store_);
  return store_;
}

bool CaStore::VerifiesPeer(const SSL* ssl) const {
  if (!ssl) return false;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return false;
  // On a server the chain the peer sent excludes its own certificate.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  bool ok = ctx && X509_STORE_CTX_init(ctx, store_, cert, chain) == 1;
  if (ok) {
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
    ok = X509_verify_cert(ctx) == 1;
  }
  X509_STORE_CTX_free(ctx);
  X509_free(cert);
  return ok;
}

}  // namespace hull::fleet

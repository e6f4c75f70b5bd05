// Who is on the other end of a FleetLock server's TLS connection
// (docs/fleetlock.md "Who may lock"). The handshake (OpenSSL, with the trust
// store of --client-ca and --operator-ca) has already verified the peer's
// chain; these helpers read what the certificate says:
//   * a node's identities: its subject CN and every DNS and URI SAN; a
//     request's client_params.id must be one of them;
//   * an operator: a certificate whose chain verifies against the operator
//     CA alone (so a node CA cannot mint operators).
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace hull::fleet {

// CN first, then the SANs in certificate order; empty without a peer
// certificate. Names with bytes outside printable ASCII are skipped, and so
// are CNs not of type UTF8String, PrintableString or IA5String and SANs not
// IA5String (a BMPString's bytes are not its characters).
std::vector<std::string> PeerIdentities(const SSL* ssl);

// Owns an X509_STORE loaded from PEM CA files.
class CaStore {
 public:
  // Errors: kInvalidArgument naming the file when it holds no certificate.
  static Result<CaStore> Load(const std::vector<std::string>& pem_files);
  CaStore(CaStore&& other) noexcept : store_(other.store_) { other.store_ = nullptr; }
  CaStore& operator=(CaStore&&) = delete;
  ~CaStore();
  // The peer's certificate (with the chain it sent) verifies against this
  // store. False without a peer certificate.
  bool VerifiesPeer(const SSL* ssl) const;
  // A new reference to the store (for SSL_CTX_set_cert_store, which takes it).
  X509_STORE* NewRef() const;

 private:
  explicit CaStore(X509_STORE* store) : store_(store) {}
  X509_STORE* store_;
};

}  // namespace hull::fleet

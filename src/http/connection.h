// One TCP connection, optionally wrapped in TLS, with deadlines on every step.
//
// Connect: getaddrinfo (no timeout of its own: the system resolver's), then a
// non-blocking connect to each address in turn until one answers, all within
// connect_timeout. TLS (OpenSSL): version >= 1.2, SNI for DNS names, the peer
// certificate verified against the trust store and the URL's host name
// (RFC 6125 via X509_VERIFY_PARAM_set1_host, or the IP address for literals).
// Trust: ConnectOptions::ca_file, else env HULL_CA_FILE, else OpenSSL's
// default paths (Debian: /usr/lib/ssl/certs, from ca-certificates).
//
// Errors name "host:port": kUnavailable when the name does not resolve, no
// address accepts the connection, the TLS handshake fails or the certificate
// is refused (the reason from OpenSSL, e.g. "hostname mismatch"); kTimeout
// when a deadline passes with no progress, or when ConnectOptions::deadline
// passes (connect and every wait end by then at the latest).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "http/url.h"

namespace hull::http {

struct ConnectOptions {
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);  // resolve excluded
  std::chrono::milliseconds io_timeout = std::chrono::seconds(30);  // per read/write, no progress
  std::string ca_file;  // PEM bundle; empty: $HULL_CA_FILE, else the system store
  // The whole exchange ends by then (kTimeout "...: deadline passed"): the
  // connect timeout and every wait are cut to what is left.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // A client certificate for https (PEM: the certificate with its chain,
  // and its private key); both empty: none is presented.
  std::string cert_file, key_file;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const Url& url, const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status WriteAll(ByteSpan data);
  // Some bytes into `buf`; 0 at the end of the stream (a TLS close_notify or,
  // as HTTP/1.1 servers often skip it, a plain TCP close).
  Result<size_t> Read(MutableByteSpan buf);

  const std::string& peer() const { return peer_; }

 private:
  Connection(int fd, std::string peer, std::chrono::milliseconds io_timeout,
             std::chrono::steady_clock::time_point deadline)
      : fd_(fd), peer_(std::move(peer)), io_timeout_(io_timeout), deadline_(deadline) {}
  Status StartTls(const Url& url, const ConnectOptions& options);
  // Waits until fd is readable (POLLIN) or writable (POLLOUT) within
  // io_timeout_ and before deadline_.
  Status Wait(short events, std::string_view doing);
  Status TlsError(int ret, std::string_view doing, bool* retry, short* events);

  int fd_ = -1;
  std::string peer_;
  std::chrono::milliseconds io_timeout_;
  std::chrono::steady_clock::time_point deadline_;
  void* ctx_ = nullptr;  // SSL_CTX*, kept opaque so callers do not see OpenSSL headers
  void* ssl_ = nullptr;  // SSL*
};

}  // namespace hull::http

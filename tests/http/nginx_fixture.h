// An nginx started on loopback for the HTTP oracle tests: a plain server and
// two TLS servers, certificates made here with the openssl CLI from a
// throwaway CA ("trusted" for localhost, and one for the wrong name), plus a
// second CA that signed nothing the servers use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/file.h"
#include "base/result.h"
#include "support/free_port.h"

namespace hull::http::test {

// Every path is also served under /slow/ at 4 KiB/s (nginx limit_rate): a
// server that trickles bytes, each well within the inactivity timeout.
struct Nginx {
  std::string dir;                    // scratch root (www/ is served)
  uint16_t plain_port = 0;            // http://127.0.0.1:plain_port
  uint16_t tls_port = 0;              // cert for DNS:localhost, signed by ca.pem
  uint16_t tls_other_port = 0;        // cert for DNS:other.test, signed by ca.pem
  std::string ca_file;                // the CA that signed both server certs
  std::string foreign_ca_file;        // an unrelated CA
  std::string big_path;               // www/big.bin, several MiB of random bytes
  std::string chunked_expected_path;  // what /ssi/chunked.shtml expands to

  std::string Plain(std::string_view path) const;
  std::string Tls(std::string_view path) const;
  ~Nginx();
};

// Starts nginx (daemonized; stopped by ~Nginx). Errors name the failing step.
Result<std::unique_ptr<Nginx>> StartNginx(TempDir& scratch);

// `sha256sum path`, the independent oracle for the bytes received.
Result<std::string> Sha256Sum(const std::string& path);

using test_support::FreePort;

}  // namespace hull::http::test

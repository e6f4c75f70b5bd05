// nginx serving a directory on a free loopback port, for the VM tests' guests
// (QEMU's user network: the host's loopback is 10.0.2.2) and the host's tools.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace hull::test_support {

class Nginx {
 public:
  Nginx() = default;
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;
  // Starts nginx (a daemon) with its configuration, pid, logs and temp files
  // in `dir`, serving `root`; access.log in `dir` records every request.
  // Its workers run as another user (nobody): every directory above `root`
  // must let others search it, and what is served be readable by them.
  Status Start(const std::string& dir, const std::string& root);
  ~Nginx();  // stops it
  int port() const { return port_; }
  std::string access_log() const { return dir_ + "/access.log"; }

 private:
  int port_ = 0;
  bool started_ = false;
  std::string conf_, dir_;
};

}  // namespace hull::test_support

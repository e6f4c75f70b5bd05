// Loopback TCP ports for the services tests start (etcd, nginx, FleetLock).
#pragma once

#include <cstdint>

namespace hull::test_support {

// A loopback TCP port that is free now and that this process was never
// given before: the kernel may hand the same ephemeral port out twice in a
// row, and a fixture that asks for several ports needs them distinct.
// (Another process may still take it before the caller binds it.)
uint16_t FreePort();

// A loopback port bound but not listening for as long as this lives: a
// connection to it is refused, and nothing else can take the port meanwhile.
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace hull::test_support

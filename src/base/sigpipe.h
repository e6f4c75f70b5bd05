// Writing to a pipe or socket whose reader may have gone, without SIGPIPE.
//
// A library must not change process-wide signal state (signal(SIGPIPE,
// SIG_IGN) would change how every other write of the program behaves), so
// the signal is blocked for the calling thread only, around the write, and one
// that became pending meanwhile is discarded: the write's EPIPE carries the
// news. The approach of curl's sigpipe.h.
#pragma once

#include <signal.h>

namespace hull {

class SigpipeGuard {
 public:
  SigpipeGuard();
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_;
};

}  // namespace hull

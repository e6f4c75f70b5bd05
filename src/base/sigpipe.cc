#include "base/sigpipe.h"

#include <pthread.h>

#include <ctime>

namespace hull {

SigpipeGuard::SigpipeGuard() {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &old_);
}

SigpipeGuard::~SigpipeGuard() {
  sigset_t pending;
  sigpending(&pending);
  // Had the thread blocked SIGPIPE already, a pending one is not ours to drop.
  if (sigismember(&pending, SIGPIPE) && !sigismember(&old_, SIGPIPE)) {
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGPIPE);
    timespec zero{0, 0};
    sigtimedwait(&only, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace hull

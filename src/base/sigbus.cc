#include "base/sigbus.h"

#include <setjmp.h>
#include <signal.h>

#include <mutex>

namespace hull {
namespace {

thread_local sigjmp_buf* t_jump = nullptr;

void OnSigbus(int, siginfo_t*, void*) {
  if (t_jump) siglongjmp(*t_jump, 1);
  // Not inside a guard: restore the default action; the faulting access runs
  // again on return and the program dies as without the handler.
  ::signal(SIGBUS, SIG_DFL);
}

void InstallOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, nullptr);
  });
}

}  // namespace

Status CatchSigbusRaw(std::string_view what, void (*fn)(void*), void* ctx) {
  InstallOnce();
  sigjmp_buf jump;
  sigjmp_buf* const outer = t_jump;
  if (sigsetjmp(jump, 1) != 0) {
    t_jump = outer;
    return Errorf(ErrorCode::kIo, "I/O error on a mapped page of {}", what);
  }
  t_jump = &jump;
  fn(ctx);
  t_jump = outer;
  return Ok();
}

}  // namespace hull

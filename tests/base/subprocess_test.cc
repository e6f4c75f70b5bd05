#include "base/subprocess.h"

#include <signal.h>

#include <string>

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull {
namespace {

using namespace std::chrono_literals;

TEST(Subprocess, CapturesStdoutAndStdin) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", "cat; echo done"}, .stdin_data = "in\n"});
  ASSERT_OK(r);
  EXPECT_EQ(r->out, "in\ndone\n");
  EXPECT_EQ(r->exit_code, 0);
}

TEST(Subprocess, NoShellInterpretation) {
  auto r = hull::Run(Command{.argv = {"echo", "$HOME;", "a b"}});
  ASSERT_OK(r);
  EXPECT_EQ(r->out, "$HOME; a b\n");
}

TEST(Subprocess, NonZeroExitCarriesStderrTail) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", "echo oops >&2; exit 3"}});
  ASSERT_ERROR(r, ErrorCode::kProcessFailed);
  EXPECT_EQ(r.error().message(), "'sh -c 'echo oops >&2; exit 3'' exited with status 3: oops");
  auto allowed = RunAllowFailure(Command{.argv = {"sh", "-c", "exit 3"}});
  ASSERT_OK(allowed);
  EXPECT_EQ(allowed->exit_code, 3);
}

TEST(Subprocess, MissingProgramIsNotFoundWithHint) {
  auto r = hull::Run(
      Command{.argv = {"hull-no-such-program"}, .install_hint = "apt-get install nothing"});
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message(),
            "program 'hull-no-such-program' not found (install it: apt-get install nothing)");
}

TEST(Subprocess, TimeoutKillsProcessGroup) {
  auto start = std::chrono::steady_clock::now();
  auto r = hull::Run(Command{.argv = {"sh", "-c", "sleep 30 & sleep 30"}, .timeout = 300ms});
  ASSERT_ERROR(r, ErrorCode::kTimeout);
  // The grandchild holding the pipe open must not keep us waiting.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(Subprocess, SignalIsReported) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", "kill -9 $$"}});
  ASSERT_ERROR(r, ErrorCode::kProcessFailed);
  EXPECT_NE(r.error().message().find("killed by signal 9"), std::string::npos);
}

TEST(Subprocess, EnvironmentAndCwd) {
  auto r = hull::Run(
      Command{.argv = {"sh", "-c", "echo $HULL_X; pwd"}, .env = {"HULL_X=42"}, .cwd = "/"});
  ASSERT_OK(r);
  EXPECT_EQ(r->out, "42\n/\n");
}

// A child that exits without reading its stdin makes our write fail with
// EPIPE. That must neither kill this process (SIGPIPE's default action) nor
// leave the process ignoring SIGPIPE: a library does not change signal state.
TEST(Subprocess, ChildClosingStdinLeavesSigpipeAlone) {
  struct sigaction before {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &before), 0);
  ASSERT_EQ(before.sa_handler, SIG_DFL);
  auto r = RunAllowFailure(
      Command{.argv = {"sh", "-c", "exit 0"}, .stdin_data = std::string(8 << 20, 'x')});
  ASSERT_OK(r);
  EXPECT_EQ(r->exit_code, 0);
  struct sigaction after {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, SIG_DFL);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
}

TEST(ShellQuote, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(ShellQuote({"a", "b c", "it's", ""}), "a 'b c' 'it'\\''s' ''");
}

}  // namespace
}  // namespace hull

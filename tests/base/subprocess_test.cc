#include "base/subprocess.h"

#include <gtest/gtest.h>

namespace hull {
namespace {

using namespace std::chrono_literals;

TEST(Subprocess, CapturesStdoutAndStdin) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", "cat; echo done"}, .stdin_data = "in\n"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->out, "in\ndone\n");
  EXPECT_EQ(r->exit_code, 0);
}

TEST(Subprocess, NoShellInterpretation) {
  auto r = hull::Run(Command{.argv = {"echo", "$HOME;", "a b"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "$HOME; a b\n");
}

TEST(Subprocess, NonZeroExitCarriesStderrTail) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", "echo oops >&2; exit 3"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kProcessFailed);
  EXPECT_EQ(r.error().message(), "'sh -c 'echo oops >&2; exit 3'' exited with status 3: oops");
  auto allowed = RunAllowFailure(Command{.argv = {"sh", "-c", "exit 3"}});
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->exit_code, 3);
}

TEST(Subprocess, MissingProgramIsNotFoundWithHint) {
  auto r = hull::Run(Command{.argv = {"hull-no-such-program"}, .install_hint = "apt-get install nothing"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message(),
            "program 'hull-no-such-program' not found (install it: apt-get install nothing)");
}

TEST(Subprocess, TimeoutKillsProcessGroup) {
  auto start = std::chrono::steady_clock::now();
  auto r = hull::Run(Command{.argv = {"sh", "-c", "sleep 30 & sleep 30"}, .timeout = 300ms});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kTimeout);
  // The grandchild holding the pipe open must not keep us waiting.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(Subprocess, SignalIsReported) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", "kill -9 $$"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kProcessFailed);
  EXPECT_NE(r.error().message().find("killed by signal 9"), std::string::npos);
}

TEST(Subprocess, EnvironmentAndCwd) {
  auto r = hull::Run(Command{.argv = {"sh", "-c", "echo $HULL_X; pwd"}, .env = {"HULL_X=42"}, .cwd = "/"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "42\n/\n");
}

TEST(ShellQuote, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(ShellQuote({"a", "b c", "it's", ""}), "a 'b c' 'it'\\''s' ''");
}

}  // namespace
}  // namespace hull

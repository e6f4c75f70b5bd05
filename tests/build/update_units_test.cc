// The units that run the agent's updates: a run always ends (the agent's
// --deadline, then TimeoutStartSec), and the timer starts it again after a
// failed or stopped run. systemd-analyze verify (systemd 252 here) is the
// oracle for every directive's syntax and meaning: it prints a line for
// each directive it ignores and fails on a unit it cannot load.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "base/file.h"
#include "base/subprocess.h"
#include "build/node_files.h"
#include "support/status_matchers.h"

namespace hull::build {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(UpdateUnits, ServiceEndsItsDownloadsThenItself) {
  const std::string unit = UpdateServiceUnit();
  EXPECT_THAT(unit, HasSubstr("\nTimeoutStartSec=3600\n"));
  EXPECT_THAT(unit, HasSubstr("\nExecStart=/usr/libexec/hull/hull-agent update --deadline 3000\n"));
  EXPECT_THAT(unit, HasSubstr("\nSuccessExitStatus=143\n"));
  // The downloads end first, leaving time to write and verify the slot.
  EXPECT_LT(kUpdateDeadline, kUpdateStartTimeout);
}

TEST(UpdateUnits, TimerCountsFromBootAndFromEachStart) {
  spec::Update u;
  u.check_interval = "6h";
  const std::string timer = UpdateTimerUnit(u);
  EXPECT_THAT(timer, HasSubstr("\nOnBootSec=15min\n"));
  EXPECT_THAT(timer, HasSubstr("\nOnUnitActiveSec=6h\n"));
  // Counts from the last deactivation: no time to count from while a run
  // hangs, nor before the first run.
  EXPECT_THAT(timer, Not(HasSubstr("OnUnitInactiveSec")));
}

TEST(UpdateUnits, SystemdAnalyzeVerifyAcceptsEveryDirective) {
  auto dir = TempDir::Create("hull-units");
  ASSERT_OK(dir);
  // The agent is not on this machine: verify checks that ExecStart names an
  // executable, so the copy runs /bin/true with the same arguments.
  std::string service = UpdateServiceUnit();
  const std::string agent = "/usr/libexec/hull/hull-agent";
  for (size_t at; (at = service.find(agent)) != std::string::npos;)
    service.replace(at, agent.size(), "/bin/true");
  spec::Update u;
  const std::string s = dir->path() + "/hull-update.service";
  const std::string t = dir->path() + "/hull-update.timer";
  ASSERT_OK(WriteFileAtomic(s, service));
  ASSERT_OK(WriteFileAtomic(t, UpdateTimerUnit(u)));
  auto out = RunAllowFailure(Command{.argv = {"systemd-analyze", "verify", "--man=no", s, t},
                                     .install_hint = "apt-get install systemd"});
  ASSERT_OK(out);
  EXPECT_EQ(out->exit_code, 0) << out->err;
  EXPECT_EQ(out->err, "");
  EXPECT_EQ(out->out, "");
}

// The unattended install runs only on a live boot, after a requested
// validation has started, and shows its events on the console.
TEST(InstallUnit, RunsOnLiveBootsOnlyAndVerifies) {
  std::string unit = InstallServiceUnit();
  EXPECT_THAT(unit, HasSubstr("\nConditionPathExists=/run/hull/live\n"));
  EXPECT_THAT(unit, HasSubstr("\nAfter=multi-user.target hull-validate.service\n"));
  EXPECT_THAT(unit, HasSubstr("\nExecStart=/usr/libexec/hull/hull-agent install --from-seed\n"));
  EXPECT_THAT(unit, HasSubstr("\nStandardOutput=journal+console\n"));
  auto dir = TempDir::Create("hull-units");
  ASSERT_OK(dir);
  const std::string agent = "/usr/libexec/hull/hull-agent";
  unit.replace(unit.find(agent), agent.size(), "/bin/true");
  const std::string s = dir->path() + "/hull-install.service";
  ASSERT_OK(WriteFileAtomic(s, unit));
  auto out = RunAllowFailure(Command{.argv = {"systemd-analyze", "verify", "--man=no", s},
                                     .install_hint = "apt-get install systemd"});
  ASSERT_OK(out);
  EXPECT_EQ(out->exit_code, 0) << out->err;
  EXPECT_EQ(out->err, "");
  EXPECT_EQ(out->out, "");
}

}  // namespace
}  // namespace hull::build

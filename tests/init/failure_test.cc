// hull-init's failure policy (init/failure.h): every failure of the boot
// resets the machine after a short delay (boot counting needs the reset); a
// watchdog that cannot be armed does not stop the boot.
#include "init/failure.h"

#include <gtest/gtest.h>

namespace hull::init {
namespace {

TEST(Failure, ABootStepRebootsAfterADelaySayingWhy) {
  const Error e(ErrorCode::kNotFound, "usrhash= missing from the kernel command line");
  FailurePlan p = PlanFailure(Step::kBoot, e);
  EXPECT_EQ(p.next, Next::kReboot);
  EXPECT_EQ(p.delay_s, 5);
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0], "FAILED: usrhash= missing from the kernel command line");
  EXPECT_EQ(p.lines[1],
            "rebooting in 5 s: /usr is not mounted; boot counting falls back to the previous "
            "entry once this one's tries are used");
}

TEST(Failure, WatchdogFailureContinuesTheBoot) {
  FailurePlan p = PlanFailure(Step::kWatchdog, Error(ErrorCode::kNotFound,
                                                     "module softdog: not in modules.dep and not "
                                                     "built in"));
  EXPECT_EQ(p.next, Next::kContinue);
  EXPECT_EQ(p.delay_s, 0);
  ASSERT_EQ(p.lines.size(), 1u);
  EXPECT_EQ(p.lines[0],
            "watchdog not armed: module softdog: not in modules.dep and not built in (a hang "
            "before systemd starts will not reset the machine)");
}

}  // namespace
}  // namespace hull::init

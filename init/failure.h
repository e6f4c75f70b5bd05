// What hull-init does when a step of the boot fails (docs/init.md,
// "Failures"). Pure, so the policy is tested on the host; main.cc carries it
// out. A failure that leaves /usr unverified or unmounted ends the boot in a
// reset after a short delay, never in a halt: systemd-boot's boot counting
// (node/boot_count.h) then spends one of the entry's tries and, once they are
// used up, boots the previous entry with no one at the console. A failure to
// arm the watchdog only loses that safety net, so the boot goes on.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace hull::init {

// Seconds between the failure message and the reset: time for the console
// line to reach a serial log, and no tight loop if every entry fails.
inline constexpr int kRebootDelaySeconds = 5;

enum class Step {
  kBoot,      // any step the verified /usr depends on (API mounts, command
              // line, modules, TPM, disk, dm-verity, mounts, switch_root)
  kWatchdog,  // loading softdog and arming /dev/watchdog
};

enum class Next { kContinue, kReboot };

struct FailurePlan {
  Next next = Next::kReboot;
  std::vector<std::string> lines;  // console lines (after the "hull-init: " prefix)
  int delay_s = 0;                 // before the reset (kReboot)
};

// kContinue with one "watchdog not armed: <reason> (...)" line for kWatchdog;
// otherwise kReboot with "FAILED: <reason>" and "rebooting in N s: ...".
FailurePlan PlanFailure(Step step, const Error& error);

}  // namespace hull::init

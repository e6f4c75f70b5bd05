#include "init/failure.h"

#include <fmt/format.h>

namespace hull::init {

FailurePlan PlanFailure(Step step, const Error& error) {
  if (step == Step::kWatchdog)
    return {.next = Next::kContinue,
            .lines = {"watchdog not armed: " + error.ToString() +
                      " (a hang before systemd starts will not reset the machine)"}};
  return {.next = Next::kReboot,
          .lines = {"FAILED: " + error.ToString(),
                    fmt::format("rebooting in {} s: /usr is not mounted; boot counting falls back "
                                "to the previous entry once this one's tries are used",
                                kRebootDelaySeconds)},
          .delay_s = kRebootDelaySeconds};
}

}  // namespace hull::init

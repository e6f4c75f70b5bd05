// Hull's node files, added to the image's /usr by every build (docs/agent.md):
//   /usr/libexec/hull/hull-agent, hull-init       the static node binaries
//   /usr/lib/hull/update.json                     the spec's `update` section
//   /usr/lib/hull/root.json                       the repository's trusted root
//   /usr/lib/hull/build-time                      SOURCE_DATE_EPOCH: the agent's clock floor
//   hull-update.service + .timer                  checks and installs releases
//   hull-health.service                           the gate before boot-complete.target
//   hull-bless.service                            marks the boot good after it
//   hull-validate.service                         acts only when the SMBIOS OEM string asks
//   /usr/lib/systemd/network/80-hull-dhcp.network DHCP on every Ethernet link
//   /usr/lib/systemd/system.conf.d/hull-watchdog.conf
//                                                 systemd takes over the watchdog
//                                                 hull-init armed (docs/init.md)
#pragma once

#include <string>

#include "base/result.h"
#include "spec/spec.h"

namespace hull::build {

struct NodeBinaries {
  std::string agent, init;
};

// Writes the generated files under `work`/node and appends every node file
// to `spec.files` (and the units to `spec.services.enable`). `spec_dir`
// resolves a relative update.trusted_root; `build_time` is the image's
// SOURCE_DATE_EPOCH.
Status AddNodeFiles(const NodeBinaries& bin, const std::string& spec_dir, const std::string& work,
                    int64_t build_time, spec::ImageSpec& spec);

// The unit texts (pure, for tests).
std::string UpdateTimerUnit(const spec::Update& u);
std::string HealthUnit(const spec::Update& u);

// The watchdog hand-over (docs/init.md, "Watchdog"): systemd opens
// /dev/watchdog0 (softdog, armed by hull-init) and pings it every half
// timeout while PID 1 runs; at shutdown the reboot watchdog bounds a hang.
inline constexpr int kRuntimeWatchdogSeconds = 60;
inline constexpr int kRebootWatchdogMinutes = 10;
std::string WatchdogDropIn();

}  // namespace hull::build

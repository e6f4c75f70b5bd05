// Hull's node files, added to the image's /usr by every build (docs/agent.md):
//   /usr/libexec/hull/hull-agent, hull-init       the static node binaries
//   /usr/lib/hull/update.json                     the spec's `update` section
//   /usr/lib/hull/root.json                       the repository's trusted root
//   /usr/lib/hull/build-time                      SOURCE_DATE_EPOCH: the agent's clock floor
//   /usr/lib/hull/spec.yaml                       the spec the image was built from
//   /usr/lib/hull/trust/{db,verity}/*.crt         the trust set (slot/trust.h)
//   hull-update.service + .timer                  checks and installs releases
//   hull-health.service                           the gate before boot-complete.target
//   hull-bless.service                            marks the boot good after it
//   hull-validate.service                         acts only when the SMBIOS OEM string asks
//   /usr/lib/systemd/network/80-hull-dhcp.network DHCP on every Ethernet link
//                                                 but a container's veth (its CNI plugin's)
//   /usr/lib/systemd/system.conf.d/hull-watchdog.conf
//                                                 systemd takes over the watchdog
//                                                 hull-init armed (docs/init.md)
#pragma once

#include <string>

#include "base/result.h"
#include "build/artifacts.h"
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

// Writes `spec_text` (the spec as given to the build) under `work`/node and
// appends it to `spec.files` as node::kSpecRecord. Nothing for an empty text.
Status AddSpecRecord(const std::string& spec_text, const std::string& work, spec::ImageSpec& spec);

// hull-update.service runs `hull-agent update --deadline kUpdateDeadline`
// and is stopped after kUpdateStartTimeout (TimeoutStartSec): the downloads
// end first, leaving time to write and verify the slot.
inline constexpr int kUpdateDeadline = 3000;      // seconds
inline constexpr int kUpdateStartTimeout = 3600;  // seconds

// The trust set a node checks releases against (node::kTrustDir): the
// image's own db.crt and verity.crt, and every *.crt in `key_dir`/trust/db/
// and `key_dir`/trust/verity/ (the next certificates, shipped before the
// keys change: rotation without a flag day; `key_dir` "" for development
// keys). Written under `work`/node/trust and appended to `spec.files`.
// kInvalidArgument for an extra certificate named db.crt or verity.crt or
// more than node::kMaxTrustCerts of a kind; kCorrupt for a file that is not
// a certificate.
Status AddTrustSet(const SigningKeys& keys, const std::string& key_dir, const std::string& work,
                   spec::ImageSpec& spec);

// The unit texts (pure, for tests).
std::string UpdateServiceUnit();
std::string UpdateTimerUnit(const spec::Update& u);
std::string HealthUnit(const spec::Update& u);
// hull-install.service: the unattended install of a live boot (docs/iso.md).
std::string InstallServiceUnit();

// The watchdog hand-over (docs/init.md, "Watchdog"): systemd opens
// /dev/watchdog0 (softdog, armed by hull-init) and pings it every half
// timeout while PID 1 runs; at shutdown the reboot watchdog bounds a hang.
inline constexpr int kRuntimeWatchdogSeconds = 60;
inline constexpr int kRebootWatchdogMinutes = 10;
std::string WatchdogDropIn();

}  // namespace hull::build

// `hull-agent update|check|status|health` (docs/agent.md): the node's side of
// image-based A/B updates.
//
//   update  at boot (after the health gate) and on hull-update.timer:
//           gathers the facts and carries out what Decide (decide.h)
//           answers: records versions that rolled back, reads the
//           configured repository (TUF), installs the chosen release into
//           the other slot with a counted boot entry (slot::ApplyRelease)
//           and reboots into it, or reports why it does nothing.
//   check   the TUF refresh and the choice `update` would make, nothing else.
//   status  booted version, slots, boot entries, bad and refused versions,
//           the last update run's outcome, configuration.
//   bless   after boot-complete.target: removes the boot counter from the
//           booted entry ("hull_<v>+1-2.efi" -> "hull_<v>.efi"), as
//           systemd-bless-boot does (Boot Loader Specification, boot
//           counting), matching the entry by its usrhash= instead of the
//           LoaderBootCountPath EFI variable.
//   health  the gate before boot-complete.target: /usr is dm-verity with the
//           booted root hash and every configured unit is active. On failure
//           during a counted boot it reboots, so systemd-boot's counting
//           falls back to the previous entry.
// Every step is an event line (events.h).
#pragma once

#include <string>

namespace hull::agent {

inline constexpr const char* kStateDir = "/var/lib/hull";

struct UpdateOptions {
  bool now = false;        // install even when upgrade_channel is None
  std::string to_version;  // `update --to`: that release only
  bool allow_downgrade = false;
  bool reboot = true;  // reboot after installing (or after a failed gate)
  bool json = false;   // status/check: print JSON
  int health_timeout_seconds = 300;
  // update/check: seconds the run's downloads may take in all; 0: none
  // (each download still has its own deadline, http::FetchTime).
  uint64_t deadline_seconds = 0;
};

int RunUpdate(const UpdateOptions& o);
int RunCheck(const UpdateOptions& o);
int RunStatus(const UpdateOptions& o);
int RunHealth(const UpdateOptions& o);
int RunBless(const UpdateOptions& o);
// Removes the downloads a killed `update` left (what `update` does first);
// `terminated`: the exit status of a SIGTERM death (143), for the handler.
int RunSweep(bool terminated);

}  // namespace hull::agent

// `hull-agent install --from-seed` (docs/iso.md "The seed"): the unattended
// install hull-install.service runs on a live boot. It looks at every disk
// for a GPT partition named hull-seed; with none it does nothing (exit 0);
// with one it reads the seed (agent/seed.h), finds the install medium (the
// disk holding hull-root-image) and the target the seed names, installs
// (agent/install.h) with the seed's configuration in the new node's /etc,
// and powers off or reboots. Each step is a HULL-AGENT event (install-seed,
// install-target, installed; install-failed with the one-line reason).
#pragma once

#include <string>

namespace hull::agent {

struct UnattendedOptions {
  // Also write events here ("" = the seed's update.event_console once it is
  // read, else the image's configuration's).
  std::string console;
};

// Exit status: 0 installed or no seed, 1 refused (nothing written), 2 errors
// (a malformed seed among them: kInvalidArgument).
int RunUnattendedInstall(const UnattendedOptions& o);

}  // namespace hull::agent

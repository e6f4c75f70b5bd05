// `hull-agent install`: writes the image on the install medium to a target
// disk (docs/iso.md). The plan and its refusals are agent/install_plan.h;
// this is the I/O: the facts about the target, the copies, the GPT last.
#pragma once

#include <string>

namespace hull::agent {

struct InstallOptions {
  std::string medium;  // the install medium (a block device or an .iso file)
  std::string target;  // the disk to write (a block device, or a file for tests)
  bool wipe = false;   // replace partitions the target holds
};

// Exit status: 0 installed, 1 refused, 2 errors (src/base/exit_code.h).
int RunInstall(const InstallOptions& o);

}  // namespace hull::agent

// `hull-agent install`: writes the image on the install medium to a target
// disk (docs/iso.md). The plan and its refusals are agent/install_plan.h;
// this is the I/O: the facts about the target, the copies, the GPT last.
#pragma once

#include <string>
#include <vector>

#include "agent/seed.h"
#include "base/result.h"
#include "slot/io.h"

namespace hull::agent {

struct InstallOptions {
  std::string medium;  // the install medium (a block device or an .iso file)
  std::string target;  // the disk to write (a block device, or a file for tests)
  bool wipe = false;   // replace partitions the target holds
  // Written into the installed node's /etc once the image is on the target
  // (an install seed's configuration, agent/install_etc.h).
  std::vector<SeedFile> etc_files;
};

// Exit status: 0 installed, 1 refused, 2 errors (src/base/exit_code.h).
int RunInstall(const InstallOptions& o);

// The install itself (RunInstall without the report): the refusals of
// agent/install_plan.h, then the copies, the new GPT and the /etc files.
Status InstallImage(const InstallOptions& o);

// A non-zero byte in the disk's first MiB (an MBR or GPT, a file system's
// superblock, an LVM or RAID label), or a GPT with entries.
Result<bool> HoldsData(const slot::DiskIo& disk);

}  // namespace hull::agent

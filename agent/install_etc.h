// The seed's files in the installed node's /etc (docs/iso.md "The seed"):
// written into the /etc overlay's upper directory of the target's root file
// system (ext4), mounted from a loop device over the root partition, before
// the node ever boots. Each new file and directory takes the SELinux label of
// the upper directory (the build labels it as /etc), as files in /etc get.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/seed.h"
#include "base/result.h"

namespace hull::agent {

// Where /etc's upper layer is on a Hull root (hull-init mounts the overlay
// from it; src/build makes it in the root template).
inline constexpr const char* kEtcUpper = "/var/lib/hull/etc-overlay/upper";

// Mounts bytes [offset, offset + size) of the open target `fd` (named
// `target` in errors) at a new directory under `run_dir`, writes `files`
// (paths under /etc) into its upper /etc, unmounts. kIo naming the step.
Status WriteEtcFiles(int fd, const std::string& target, uint64_t offset, uint64_t size,
                     const std::vector<SeedFile>& files, const std::string& run_dir);

}  // namespace hull::agent

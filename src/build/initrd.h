// The initrd of a Hull UKI: a newc cpio (libarchive), zstd-compressed, holding
//   /init                                  the hull-init binary (0755)
//   /usr/lib/modules/<kver>/<module>       the kernel modules hull-init needs
//                                          (kInitrdModules closed over
//                                          modules.dep), as in the image
//   /usr/lib/modules/<kver>/modules.dep    modules.dep restricted to those
// plus the directories leading to them. Entries are sorted, owned by 0:0, with
// mtime = the given SOURCE_DATE_EPOCH, so the same inputs give the same bytes.
// zstd -19 of it takes seconds: with a cache directory the compressed initrd
// is kept under initrd/<key>.cpio.zst, keyed by every entry's digest and the
// libarchive and zstd versions, and a build with the same entries copies it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "rootfs/modules.h"

namespace hull::build {

// What hull-init loads before it mounts /usr: block devices (virtio, NVMe,
// Hyper-V, SCSI disks), dm-verity, erofs, ext4, overlay, the verity hash,
// the TPM and softdog (the watchdog it arms: docs/init.md). Names a kernel builds in are simply
// absent from modules.dep.
extern const std::vector<std::string> kInitrdModules;

struct InitrdModules {
  std::vector<std::string> paths;    // relative to /usr/lib/modules/<kver>/, sorted
  std::vector<std::string> builtin;  // wanted names listed in modules.builtin
  std::vector<std::string> absent;   // wanted names neither module nor built-in
};

// Resolves `wanted` names against modules.dep (closed over dependencies) and
// the names of modules.builtin ("kernel/fs/ext4/ext4.ko" lines).
InitrdModules ResolveInitrdModules(const rootfs::ModuleDeps& deps,
                                   const std::vector<std::string>& builtin_lines,
                                   const std::vector<std::string>& wanted);

// modules.dep text for `keep` only (lines in `deps` order).
std::string FilterModulesDep(const rootfs::ModuleDeps& deps, const std::vector<std::string>& keep);

inline constexpr int kKeptInitrds = 4;  // cached initrds kept (most recently used)

struct InitrdOptions {
  std::string init_binary;  // host path of hull-init
  std::string modules_dir;  // <tree>/usr/lib/modules/<kver>
  std::string kernel_version;
  std::vector<std::string> wanted = kInitrdModules;
  std::string output;  // written in place (the build's work dir)
  int64_t mtime = 0;
  std::string cache_dir;  // "" for none
};

struct InitrdResult {
  InitrdModules modules;
  uint64_t bytes = 0;
  bool cache_hit = false;
};

// Errors: kNotFound "hull-init binary '<path>' not found (build it with ...,
// or pass --init PATH)"; kCorrupt for a malformed modules.dep; kIo; kInternal
// for libarchive failures (with its message).
Result<InitrdResult> WriteInitrd(const InitrdOptions& options);

}  // namespace hull::build

// The installer's plan (docs/iso.md): which target disk it may write, and the
// GPT it writes there. Pure: the facts about the target come in, the table
// and the copies go out, so every refusal is tested without a disk.
//
// The target gets the layout `hull build` gives a disk (src/build/plan.cc):
// 1 ESP, 2-4 the A slot, 5-7 an empty B slot of the same sizes (named
// "_empty"), 8 root with grow-fs on the rest of the disk, all on 1 MiB
// boundaries. Partitions 1-4 and the root come from the medium
// (node/medium.h) byte for byte; the disk GUID and the ESP's and root's
// UUIDs are fresh (the installer gives the node identity of init/identity.h),
// so the installed disk and the medium are not copies of one disk
// (docs/boot.md).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/uuid.h"
#include "gpt/gpt.h"

namespace hull::agent {

struct InstallTarget {
  std::string device;        // /dev/vdb
  uint64_t bytes = 0;        // its size
  uint32_t sector_size = 0;  // its logical block size: 512 or 4096
  bool holds_data = false;   // a non-zero byte in its first MiB, or a GPT with entries
  bool booted_from = false;  // the medium, or the disk holding it or the running /usr
};

// New identities for the installed disk (random on the node; fixed in tests).
struct InstallIds {
  Uuid disk, esp, root;
  std::array<Uuid, 3> b;  // the empty B slot's usr, usr-verity, usr-verity-sig
};

struct Copy {
  uint32_t from = 0;  // partition number on the medium
  uint32_t to = 0;    // on the target
  uint64_t bytes = 0;
  bool root_template = false;  // the medium's root template: hashed as copied
};

struct InstallPlan {
  gpt::Table table;
  std::vector<Copy> copies;    // ESP, usr, usr-verity, usr-verity-sig, root
  std::vector<uint32_t> zero;  // the B slot: zeroed, so nothing stale reads as a slot
  uint64_t min_bytes = 0;      // the smallest target that holds the image
};

// Errors, in this order:
//   kCorrupt  "install medium: no <role> partition" (the medium's layout)
//   kRefused  "D is the disk this system booted from"
//   kRefused  "D holds data (...): pass --wipe to replace it"
//   kRefused  "D (N bytes) is smaller than the image (M bytes)"
//   kInvalidArgument for a sector size other than 512/4096
Result<InstallPlan> PlanInstall(const gpt::Table& medium, const InstallTarget& target, bool wipe,
                                const InstallIds& ids);

// The SHA-256 the medium's root template must have (docs/iso.md): the
// running system's hull.roottemplate=, taken only once its usrhash= is seen
// to name the medium's /usr (DPS: the medium's usr and usr-verity partition
// UUIDs are the two halves of the root hash), so the signed command line the
// system booted with vouches for this medium. `cmdline` is /proc/cmdline.
// Errors, before anything is written:
//   kCorrupt  "install medium: no <role> partition"
//   kRefused  "the running system is not a Hull node (no usrhash= ...): ..."
//   kRefused  "install medium: its /usr (partition UUIDs U, V) is not the
//             running system's (usrhash=H): ..."
//   kRefused  "the running system's kernel command line has no
//             hull.roottemplate=: ..."
//   kInvalidArgument: node/usrhash.h's, for a malformed value
Result<std::string> ExpectedRootTemplate(const gpt::Table& medium, std::string_view cmdline);

}  // namespace hull::agent

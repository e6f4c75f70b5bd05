// `hull-agent install`: writes the image on the install medium to a target
// disk (docs/iso.md). The plan and its refusals are agent/install_plan.h;
// this is the I/O: the facts about the target, the copies, the GPT last.
#pragma once

#include <optional>
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
  // The SHA-256 (hex) of the seed that drives an unattended install: kept on
  // the target in its install record (below); "" for a manual install.
  std::string seed_sha256;
};

// What an install did beyond the copies.
struct Installed {
  // "Boot0004 (HD(...)/\EFI\BOOT\BOOTX64.EFI)" once the firmware's boot
  // entry for the target's ESP is written and first in BootOrder; else ""
  // and `no_boot_entry` says why (no efivarfs, read-only: the install
  // stands, the firmware's own order decides what boots).
  std::string boot_entry, no_boot_entry;
  // Why the BootOrder found was replaced rather than kept (it was
  // malformed, agent/boot_entry.h), else "".
  std::string malformed_boot_order;
};

// Exit status: 0 installed, 1 refused, 2 errors (src/base/exit_code.h).
int RunInstall(const InstallOptions& o);

// The install itself (RunInstall without the report): the refusals of
// agent/install_plan.h, then the copies, the install record, the new GPT,
// the /etc files and the boot entry (agent/boot_entry.h, in the efivarfs
// under the environment's root).
Result<Installed> InstallImage(const InstallOptions& o);

// The install record (docs/iso.md "Installing once"): 512 bytes in the gap
// between the GPT's entries and the first partition (all of which start at
// 1 MiB or later; the entries end by 24 KiB on 512- and 4096-byte sectors),
// read and written with pread/pwrite, no file system mounted. It holds
// "hull-install seed-sha256=<64 hex>\n" and zeros for an install made from
// a seed, zeros for a manual one; once the unattended install has rebooted
// into the disk with BootNext, "boot-next=1\n" follows the first line.
inline constexpr uint64_t kInstallRecordOffset = 512 << 10;
inline constexpr size_t kInstallRecordBytes = 512;
// How many times a medium that finds its install done reboots into that
// disk (BootNext) before it powers off instead: a firmware that ignores
// BootNext, or a disk that does not start, brings the medium back, and it
// must not reboot in a loop.
inline constexpr uint32_t kMaxBootNextReboots = 1;
Bytes InstallRecord(std::string_view seed_sha256, uint32_t boot_next = 0);
// The disk's record is the one of an install from the seed with this
// SHA-256: its boot-next count (0 to kMaxBootNextReboots); nullopt when it
// is not (or the disk is too small to have one).
Result<std::optional<uint32_t>> InstalledFromSeed(const slot::DiskIo& disk,
                                                  std::string_view seed_sha256);
// Rewrites that record with boot-next count `boot_next` and syncs.
Status RecordBootNext(slot::DiskIo& disk, std::string_view seed_sha256, uint32_t boot_next);

// A non-zero byte in the disk's first MiB (an MBR or GPT, a file system's
// superblock, an LVM or RAID label), or a GPT with entries.
Result<bool> HoldsData(const slot::DiskIo& disk);

}  // namespace hull::agent

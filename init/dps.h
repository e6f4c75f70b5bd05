// Finding the partitions of a DPS disk from the usr root hash
// (REFERENCE.md §3.1, verity mode #1): the usr and usr-verity partitions by
// the UUIDs gpt::DpsVerityUuids derives from the root hash; the writable root
// is the DPS root partition on the same disk.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/uuid.h"
#include "gpt/gpt.h"
#include "node/load_option.h"

namespace hull::init {

// A scanned disk: its node (/dev/vda), its GPT and the PCI functions from
// the root bridge to its controller (node/load_option.h SysfsPciPath; empty when
// unknown).
struct Disk {
  std::string device;
  gpt::Table table;
  std::vector<node::PciFunction> pci = {};
};

struct Found {
  std::string disk;
  gpt::Partition usr, verity, root;
  std::string usr_dev, verity_dev, root_dev;  // partition device nodes
  // The disk is an install medium (docs/iso.md): no DPS root, `root` is the
  // root template, and the state lives in memory (a live boot).
  bool live = false;
  uint32_t sector_size = 512;  // of the disk's GPT
};

// The partition device node of partition `number` of `disk`: "/dev/vda" + 2 =
// "/dev/vda2"; a disk whose name ends in a digit gets "p" ("/dev/nvme0n1p2").
std::string PartitionDevice(const std::string& disk, uint32_t number);

// Searches the disks for the usr and usr-verity partitions (the DPS usr /
// usr-verity types of the architecture hull-init is built for,
// gpt::kNativeArch) with the root hash's UUIDs, both on one disk, and that
// disk's DPS root partition. When several disks hold the pair (a copy of the
// OS disk attached as a data disk), the one also holding the ESP with UUID
// `boot_esp` (the boot loader's LoaderDevicePartUUID, node/load_option.h) is
// chosen; without `boot_esp` only a single disk is accepted. When several
// disks hold that ESP too (byte-identical copies: the image attached twice, a
// snapshot of the disk), the firmware's boot device decides: `boot_pci`, the
// PCI chain of the load option it started (BootCurrent), picks the one disk
// whose controller sits there; with no such path, or a path that several of
// them (or none) match, nothing is chosen. Errors:
//   kNotFound "no partition with UUID <usr> (usr) and <verity> (usr-verity)
//              on <n> disk(s)"   neither half found
//   kNotFound "usr partition <uuid> found on D but no usr-verity partition
//              <uuid>" (and the reverse; and "usr partition on D but
//              usr-verity partition on E")
//   kCorrupt  "partition D#N has the usr UUID but type <t>, not DPS usr"
//   kConflict "two partitions with UUID <u>" (on one disk)
//   kConflict "usr partition <u> is on N disks (D, E) and the boot loader did
//              not name the disk it booted from (no LoaderDevicePartUUID):
//              detach the copies"
//   kNotFound "usr partition <u> found on D but not on the disk holding the
//              ESP <e> the firmware booted from (LoaderDevicePartUUID)"
//   kConflict "the ESP <e> the firmware booted from and usr partition <u> are
//              on N disks (D, E): copies of one disk, and the firmware's boot
//              device (P) matches none of them|N of them|is unknown: detach
//              the copies"
//   kNotFound "no DPS root partition on D" (and no install medium's root
//             template, node/medium.h, which makes the boot a live one)
//   kInvalidArgument for a root hash shorter than 32 bytes
Result<Found> FindPartitions(const std::vector<Disk>& disks, ByteSpan root_hash,
                             const std::optional<Uuid>& boot_esp = std::nullopt,
                             const std::vector<node::PciFunction>& boot_pci = {});

}  // namespace hull::init

// Growing the writable root to the disk (docs/init.md, "Root growth"): a
// node's disk is usually larger than the image written to it. Before the root
// is mounted, hull-init extends the DPS root partition to the end of the disk
// (a GPT rewrite, backup copy first) and, once it is mounted, the ext4 file
// system to the partition (online, through the kernel). Each step compares
// what is on the disk with what should be, so it is repeated at every boot
// and completes after a power loss at any point.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"
#include "gpt/gpt.h"

namespace hull::init {

// `table` (as read from a disk of table.disk_sectors sectors) with partition
// `root_number` ending at the last usable sector of the whole disk, and the
// headers' usable range moved there (UEFI 2.10 §5.3.2: the backup entry array
// ends right before the backup header in the last sector). nullopt when
// nothing is to be done: the partition lacks the DPS grow-fs flag (the
// image's opt-in), another partition lies after it, or it already reaches the
// end. kNotFound when the table has no partition `root_number`.
Result<std::optional<gpt::Table>> GrowRootPartition(const gpt::Table& table, uint32_t root_number);

// What Hull reads of an ext4 superblock (the 1024 bytes at offset 1024 of the
// partition; Linux Documentation/filesystems/ext4/super.rst).
struct Ext4Size {
  uint64_t blocks = 0;      // s_blocks_count_lo, plus _hi with INCOMPAT_64BIT
  uint32_t block_size = 0;  // 1024 << s_log_block_size
};

// Errors (kCorrupt, starting "ext4 superblock: "): "N bytes, need 1024",
// "bad magic 0xXXXX", "block size 2^N unsupported" (outside 1 KiB..64 KiB).
Result<Ext4Size> DecodeExt4Size(ByteSpan superblock);

// The ext4 block count that fills `partition_bytes`: nullopt when the file
// system is short of it by less than kMinExt4Growth, or is larger. (The
// kernel may leave out a last block group too small to hold its metadata;
// asking again at the next boot then changes nothing.)
inline constexpr uint64_t kMinExt4Growth = 1 << 20;
std::optional<uint64_t> Ext4GrowTarget(const Ext4Size& fs, uint64_t partition_bytes);

}  // namespace hull::init

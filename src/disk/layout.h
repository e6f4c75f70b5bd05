// The disk layout: which partitions, in which order, with what content.
//
// YAML form (docs/disk.md has the full reference):
//   size: 200MiB            # optional; default: partitions + GPT, 1 MiB aligned
//   sector-size: 512        # optional: 512 (default) or 4096
//   uuid: <disk GUID>       # optional; default derived from `seed`
//   seed: "hull-demo"       # optional; seeds every derived UUID (default "")
//   arch: x86-64            # optional: x86-64 (default) or arm64, for "usr", "root", ...
//   partitions:
//     - type: esp           # a GUID or a systemd-repart name (see gpt/types.h)
//       label: ESP
//       size: 64MiB         # or omitted (content size rounded up to 1 MiB), or
//                           # "rest" on the last partition when the disk size is set
//       uuid: <GUID>        # optional; default derived from `seed`
//       attributes: [read-only, no-auto, grow-fs, required, no-block-io,
//                    legacy-bios-bootable, 48]   # names or bit numbers
//       priority: 1         # cgpt fields (0-15, 0-15, bool), optional
//       tries: 0
//       successful: true
//       content: usr.erofs  # a file copied into the partition (relative to the YAML)
//       content-dir: esp/   # or a directory turned into a filesystem image ...
//       format: vfat        # ... of this format (only vfat)
//       volume-id: 1234abcd # vfat volume serial (hex), default derived from `seed`
//
// Parsing is strict: an unknown key, a bad size, an unknown type name or a
// wrong value type is kInvalidArgument "FILE:LINE:COLUMN: what (allowed: ...)".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/uuid.h"
#include "gpt/types.h"

namespace hull::disk {

inline constexpr uint64_t kMiB = 1 << 20;

struct PartitionSpec {
  Uuid type;
  std::string label;
  uint64_t size = 0;  // bytes; 0 = from content
  bool rest = false;  // takes what is left of a sized disk
  std::optional<Uuid> uuid;
  uint64_t attributes = 0;
  std::string content;      // absolute or relative to the working directory
  std::string content_dir;  // with format == "vfat"
  std::string format;
  std::optional<uint32_t> volume_id;
  std::string where;  // "file:line:column" of the entry, for later errors
};

struct Layout {
  std::optional<uint64_t> size;
  uint32_t sector_size = 0;  // 0 = not given
  std::optional<Uuid> disk_guid;
  std::string seed;
  gpt::Arch arch = gpt::Arch::kX86_64;
  std::vector<PartitionSpec> partitions;
};

// "64MiB", "2GiB", "512KiB", "4096" (bytes), "1G" (= GiB); binary units only.
Result<uint64_t> ParseSize(std::string_view text);

// Parses YAML text; relative content paths are resolved against base_dir;
// file_name is used in error messages.
Result<Layout> ParseLayout(std::string_view yaml, std::string_view file_name,
                           const std::string& base_dir);
Result<Layout> LoadLayout(const std::string& path);

}  // namespace hull::disk

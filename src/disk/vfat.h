// FAT32 images from a directory tree, without mounting: mkfs.vfat (dosfstools)
// then mmd/mcopy (mtools), reproducibly: `--invariant`, a fixed volume id,
// SOURCE_DATE_EPOCH in the tools' environment, directories created and files
// copied in sorted order (REFERENCE.md, "Reproducible outputs").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace hull::disk {

struct VfatOptions {
  std::string source_dir;  // tree to copy (may be empty: an empty filesystem)
  std::string image_path;  // created; must not exist
  uint64_t size = 0;       // bytes, a multiple of 1 KiB
  uint32_t volume_id = 0;
  std::string label;  // volume label, at most 11 characters ("" = none)
  uint32_t sector_size = 512;
  int64_t source_date_epoch = 0;
};

// argv of mkfs.vfat for these options (pure, for tests).
std::vector<std::string> MkfsVfatArgv(const VfatOptions& o);
// The environment of every tool run.
std::vector<std::string> VfatToolEnv(const VfatOptions& o);

// Creates the image. kInvalidArgument for bad options, kNotFound when a tool
// is missing (with the Debian package), kProcessFailed with the tool's stderr.
Status MakeVfat(const VfatOptions& o);

}  // namespace hull::disk

// Partitions of a disk the kernel did not split: an optical drive (the sr
// driver sets no partitions, so the install medium's GPT, docs/iso.md, gives
// no /dev/sr0p2). hull-init maps each partition it needs as a read-only
// dm-linear device over the whole-disk node at the partition's offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "gpt/gpt.h"

namespace hull::init {

// One dm-linear device: `sectors` 512-byte sectors of `params` ("DEV START").
struct LinearMap {
  std::string name;  // "hull-medium-<role>"
  uint64_t sectors = 0;
  std::string params;
};

// The map of partition `p` of `table`, read from `device` (`device_bytes`
// long, logical blocks of `logical_block` bytes). Errors:
//   kInvalidArgument "logical block size N is not a power of two from 512"
//   kUnsupported "partition D#N (<role>) at byte X, X bytes long, is not on
//                 N-byte blocks of D" (device-mapper maps whole blocks)
//   kCorrupt "partition D#N (<role>) ends at byte X, beyond the device's Y"
Result<LinearMap> PlanPartitionMap(const std::string& device, uint64_t device_bytes,
                                   uint32_t logical_block, const gpt::Table& table,
                                   const gpt::Partition& p, std::string_view role);

}  // namespace hull::init

#include "init/optical.h"

#include <fmt/format.h>

#include "base/bytes.h"
#include "node/medium.h"

namespace hull::init {

Result<LinearMap> PlanPartitionMap(const std::string& device, uint64_t device_bytes,
                                   uint32_t logical_block, const gpt::Table& table,
                                   const gpt::Partition& p, std::string_view role) {
  if (logical_block < 512 || (logical_block & (logical_block - 1)) != 0)
    return Errorf(ErrorCode::kInvalidArgument,
                  "logical block size {} is not a power of two from 512", logical_block);
  uint64_t start = 0, length = 0, end = 0;
  if (p.last_lba < p.first_lba || !CheckedMul(p.first_lba, table.sector_size, &start) ||
      !CheckedMul(p.sectors(), table.sector_size, &length) || !CheckedAdd(start, length, &end))
    return Errorf(ErrorCode::kCorrupt, "partition {}#{} ({}) has an impossible range", device,
                  p.number, role);
  if (start % logical_block != 0 || length % logical_block != 0)
    return Errorf(ErrorCode::kUnsupported,
                  "partition {}#{} ({}) at byte {}, {} bytes long, is not on {}-byte blocks of {}",
                  device, p.number, role, start, length, logical_block, device);
  if (end > device_bytes)
    return Errorf(ErrorCode::kCorrupt,
                  "partition {}#{} ({}) ends at byte {}, beyond the device's {}", device, p.number,
                  role, end, device_bytes);
  return LinearMap{.name = node::kMediumDmPrefix + std::string(role),
                   .sectors = length / 512,
                   .params = fmt::format("{} {}", device, start / 512)};
}

}  // namespace hull::init

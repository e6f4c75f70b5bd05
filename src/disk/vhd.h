// Fixed VHD: the raw disk followed by a 512-byte footer (Microsoft "Virtual
// Hard Disk Image Format Specification" v1.0, 2006: Hard Disk Footer Format
// and Appendix "CHS Calculation"). Azure's additional rules: fixed type only,
// virtual size a whole number of MiB.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "base/uuid.h"

namespace hull::disk {

inline constexpr size_t kVhdFooterSize = 512;
inline constexpr uint64_t kVhdEpochUnix = 946684800;  // 2000-01-01T00:00:00Z

struct Chs {
  uint16_t cylinders;
  uint8_t heads;
  uint8_t sectors;
};

// The spec's CHS algorithm for a disk of `size` bytes.
Chs VhdGeometry(uint64_t size);

// The footer of a fixed VHD whose data is `size` bytes; `unix_time` is the
// creation time (SOURCE_DATE_EPOCH), stored as seconds since 2000-01-01.
// kInvalidArgument when size is not a whole number of MiB or unix_time is
// before 2000 or does not fit the 32-bit field.
Result<Bytes> VhdFooter(uint64_t size, int64_t unix_time, const Uuid& unique_id);

// The spec's checksum: one's complement of the byte sum with the field zeroed.
uint32_t VhdChecksum(ByteSpan footer);

}  // namespace hull::disk

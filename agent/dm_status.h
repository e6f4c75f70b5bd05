// Reads a device-mapper device's table or status through the control device
// (include/uapi/linux/dm-ioctl.h, DM_TABLE_STATUS), without dmsetup.
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::agent {

struct DmTarget {
  std::string type;    // "verity"
  std::string params;  // the table line, or the status ("V" / "C" for verity)
};

// The first target of a DM_TABLE_STATUS answer (host byte order, as the
// kernel writes it). kCorrupt for a short or inconsistent buffer, kNotFound
// when the device has no target; kUnavailable when the kernel set
// DM_BUFFER_FULL_FLAG.
Result<DmTarget> ParseDmTargetAnswer(ByteSpan answer);

// Asks the kernel about device `name`: its table (table = true) or status.
Result<DmTarget> DmTargetOf(const std::string& name, bool table);

}  // namespace hull::agent

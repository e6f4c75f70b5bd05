// usr slot discovery and checks for `hull inspect`.
#pragma once

#include "base/file.h"
#include "inspect/inspect.h"

namespace hull::inspect {

// Fills report.slots and adds the slot checks; report.partitions must be set.
void InspectSlots(const File& disk, Report& report, const Options& options);

}  // namespace hull::inspect

// usr slot discovery and checks for `hull inspect`.
#pragma once

#include "base/file.h"
#include "gpt/gpt.h"
#include "inspect/inspect.h"

namespace hull::inspect {

// Fills report.slots from the slots of `table` and adds the findings of
// slot::CheckSlot (with --verity-cert's certificate) as checks.
void InspectSlots(const File& disk, const gpt::Table& table, Report& report,
                  const Options& options);

}  // namespace hull::inspect

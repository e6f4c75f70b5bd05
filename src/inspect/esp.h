// The ESP of a disk image for `hull inspect`: UKIs under /EFI/Linux and the
// removable-media boot loaders (/EFI/BOOT/BOOTX64.EFI, BOOTAA64.EFI), read
// with mtools (no mount needed). Each loader is a PE of the machine its name
// is for, and each UKI's machine has its loader.
#pragma once

#include "base/bytes.h"
#include "inspect/inspect.h"

namespace hull::inspect {

// Fills report.ukis and adds the ESP checks; report.partitions and
// report.slots must be set.
void InspectEsp(const std::string& image, Report& report, const Options& options);

// The parts of one UKI (the PE bytes) that the report shows.
Result<UkiInfo> DescribeUki(ByteSpan file);

}  // namespace hull::inspect

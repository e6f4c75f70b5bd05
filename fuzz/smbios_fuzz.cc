// The SMBIOS structure table walk and OEM strings (src/node/smbios.h): the
// table comes from firmware (hull-agent reads /sys/firmware/dmi/tables/DMI).
// Any input must give strings or an error, never a crash.
#include <cstddef>
#include <cstdint>

#include "node/smbios.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto strings = hull::node::SmbiosOemStrings(hull::ByteSpan(data, size));
  if (strings.ok()) (void)hull::node::FindValidationRequest(*strings);
  return 0;
}

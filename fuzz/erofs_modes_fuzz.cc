// Feeds arbitrary bytes to the erofs superblock reader and metadata walker:
// they must return a result or an error, never crash, loop or read out of
// bounds.
#include <cstddef>
#include <cstdint>

#include "rootfs/erofs_modes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)hull::rootfs::ReadErofsSuperblock(hull::ByteSpan(data, size));
  auto r = hull::rootfs::ReadErofsModes(hull::ByteSpan(data, size));
  if (r.ok() && r->empty()) __builtin_trap();  // the root is always listed
  return 0;
}

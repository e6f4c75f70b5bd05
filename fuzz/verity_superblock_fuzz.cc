// Feeds arbitrary bytes to the verity superblock decoder; a decoded
// superblock must re-encode to the same 512 bytes (the codec is exact).
#include <cstdlib>
#include <cstring>

#include "verity/params.h"
#include "verity/superblock.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = hull::verity::DecodeSuperblock(hull::ByteSpan(data, size));
  if (!p.ok()) return 0;
  hull::Bytes again = hull::verity::EncodeSuperblock(*p);
  if (std::memcmp(again.data(), data, again.size()) != 0) std::abort();
  (void)hull::verity::ComputeGeometry(*p);
  return 0;
}

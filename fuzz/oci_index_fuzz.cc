// Feeds arbitrary bytes to index.json's parser (an image layout preloaded
// into a node comes from outside Hull): descriptors or kCorrupt, never a
// crash or a throw; every descriptor it accepts has a sha256 digest.
#include <cstdint>

#include "oci/read.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = hull::oci::ParseIndex(hull::ByteSpan(data, size));
  if (r.ok()) {
    for (const auto& d : *r) {
      if (d.digest.size() != 71 || d.digest.rfind("sha256:", 0) != 0) __builtin_trap();
    }
  } else if (r.error().code() != hull::ErrorCode::kCorrupt) {
    __builtin_trap();
  }
  return 0;
}

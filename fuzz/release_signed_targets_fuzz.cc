// The targets payload of a release signing directory (release/offline.h):
// it comes back from the signing machine and is parsed before its
// signatures are checked. A payload that parses is the canonical form of
// what it parses to.
#include <cstddef>
#include <cstdint>

#include "release/offline.h"
#include "tuf/canonical_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull;
  auto t = release::ParseSignedTargets(ByteSpan(data, size));
  if (t.ok()) {
    auto canon = tuf::CanonicalJson(tuf::TargetsToJson(*t));
    if (!canon.ok() || canon->size() != size) __builtin_trap();
  }
  return 0;
}

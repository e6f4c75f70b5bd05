// The offline-signing manifest (signing/manifest.h): a directory signed
// elsewhere comes back with it. A manifest that parses encodes and parses
// again to the same items and subject.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "signing/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::signing;
  auto m = ParseManifest(std::string_view(reinterpret_cast<const char*>(data), size));
  if (m.ok()) {
    auto again = ParseManifest(EncodeManifest(*m));
    if (!again.ok() || again->items.size() != m->items.size() || again->subject != m->subject)
      __builtin_trap();
  }
  return 0;
}

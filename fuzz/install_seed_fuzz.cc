// The install seed (agent/seed.h), untrusted bytes from a partition of any
// disk attached to a live system: its text, its parse, the files it gives.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/seed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::agent;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto text = SeedText(bytes);
  if (!text.ok()) return 0;
  auto seed = ParseSeed(*text);
  if (!seed.ok()) return 0;
  (void)SeedFiles(*seed, hull::node::UpdateConfig{});
  (void)ChooseTarget(seed->target, {{.path = "/dev/vdb", .serial = "S", .bytes = 1 << 30}});
  return 0;
}

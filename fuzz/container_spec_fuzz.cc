// Feeds arbitrary text to the strict container spec parser and to the
// InRelease architecture reader: a spec or a positioned error, never a crash
// or a throw; a spec it accepts has a name and known architectures.
#include <string_view>

#include "container/spec.h"
#include "rootfs/extract.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto s = hull::container::ParseContainerSpec(text, "fuzz.yaml");
  if (s.ok()) {
    if (s->name.empty() || s->architectures.empty()) __builtin_trap();
    for (const auto& a : s->architectures) {
      if (!hull::container::OciPlatform(a).ok()) __builtin_trap();
    }
  } else if (s.error().ToString().rfind("fuzz.yaml", 0) != 0) {
    __builtin_trap();  // every error names the file
  }
  for (const auto& a : hull::rootfs::ReleaseArchitectures(text)) {
    if (a.empty() || a.find(' ') != std::string::npos) __builtin_trap();
  }
  return 0;
}

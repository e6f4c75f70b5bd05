// Feeds arbitrary text to the strict sysext spec parser: it must return a
// spec or a positioned error, never crash or throw; a spec it accepts has a
// name, a version, a compatibility value and some content.
#include <string_view>

#include "sysext/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto s = hull::sysext::ParseSysextSpec(text, "fuzz.yaml");
  if (s.ok()) {
    if (s->name.empty() || s->version.empty() || s->compatibility.value.empty() ||
        (s->packages.empty() && s->files.empty()) ||
        hull::sysext::ImageBaseName(*s).find('/') != std::string::npos) {
      __builtin_trap();
    }
  } else if (s.error().ToString().rfind("fuzz.yaml:", 0) != 0) {
    __builtin_trap();  // every error names the file
  }
  return 0;
}

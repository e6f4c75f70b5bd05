// Feeds arbitrary text to the strict spec parser: it must return a spec or
// a positioned error, never crash or throw; a spec it accepts is valid.
#include <string_view>

#include "spec/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto s = hull::spec::ParseSpec(text, {.filename = "fuzz.yaml", .build_time = 1795564800});
  if (s.ok()) {
    if (s->name.empty() || !hull::spec::ValidateVersion(s->version).ok()) __builtin_trap();
  } else if (s.error().ToString().rfind("fuzz.yaml:", 0) != 0) {
    __builtin_trap();  // every error names the file
  }
  return 0;
}

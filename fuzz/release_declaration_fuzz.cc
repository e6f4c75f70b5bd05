// Fuzzes a release's declaration (slot/trust.h) as a node reads it from a
// target's custom metadata: any JSON value must give a declaration or an
// error, never a crash.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "slot/trust.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  auto d = hull::slot::ParseDeclaration(j);
  if (d.ok()) (void)hull::slot::DeclarationJson(*d);
  return 0;
}

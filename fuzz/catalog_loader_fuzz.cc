// Fuzzes the strict YAML catalog loader and the cluster definition parser:
// any input must yield a catalog or an error, never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "catalog/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Includes resolve to the fuzz input itself, so the size table parser is
  // reached too.
  hull::catalog::FileReader read = [&](const std::string&) -> hull::Result<std::string> {
    return std::string(text);
  };
  auto cat = hull::catalog::ParseCatalog("fuzz.yaml", text, read);
  if (cat.ok()) {
    hull::catalog::Request req;
    req.vm_size = "Standard_D4s_v5";
    (void)hull::catalog::Resolve(*cat, req);
  }
  (void)hull::catalog::ParseClusterSpec("fuzz.yaml", text);
  (void)hull::catalog::ParseVmSizeName(text.substr(0, 80));
  return 0;
}

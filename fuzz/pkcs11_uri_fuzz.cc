// PKCS#11 URIs from key files and flags: the parser, and that what it accepts
// prints (Public, WithoutPin) to a URI that parses back to the same attributes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pkcs11/uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto uri = hull::pkcs11::ParseUri(text);
  if (!uri.ok()) return 0;
  auto again = hull::pkcs11::ParseUri(uri->WithoutPin());
  if (!again.ok() || again->path != uri->path) std::abort();
  uri->query.erase("pin-value");
  if (again->query != uri->query) std::abort();
  return 0;
}

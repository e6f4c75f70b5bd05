// Target names from signed (but possibly hostile) targets metadata: the
// check, and that a name it accepts encodes to a URL path that decodes back
// to the name and has no '.' or '..' segment.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tuf/target_name.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string name(reinterpret_cast<const char*>(data), size);
  std::string encoded = hull::tuf::PercentEncodePath(name);
  auto decoded = hull::tuf::PercentDecodePath(encoded);
  bool nul = name.find('\0') != std::string::npos;
  if (!nul && (!decoded.ok() || *decoded != name)) std::abort();
  (void)hull::tuf::PercentDecodePath(name);
  if (!hull::tuf::CheckTargetName(name).ok()) return 0;
  std::string wrapped = "/" + encoded + "/";
  if (wrapped.find("/../") != std::string::npos || wrapped.find("/./") != std::string::npos ||
      wrapped.find("//") != std::string::npos)
    std::abort();
  return 0;
}

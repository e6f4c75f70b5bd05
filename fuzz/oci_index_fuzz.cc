// Feeds arbitrary bytes to the parsers of an image layout's JSON documents
// (an image layout preloaded into a node comes from outside Hull):
// index.json, and a blob read as an image index and as a manifest
// (ParseReferences). Descriptors or kCorrupt, never a crash or a throw;
// every descriptor accepted has a sha256 digest.
#include <cstdint>
#include <string>
#include <vector>

#include "oci/read.h"

namespace {

void Check(const hull::Result<std::vector<hull::oci::Descriptor>>& r) {
  if (r.ok()) {
    for (const auto& d : *r) {
      if (d.digest.size() != 71 || d.digest.rfind("sha256:", 0) != 0) __builtin_trap();
    }
  } else if (r.error().code() != hull::ErrorCode::kCorrupt) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const hull::ByteSpan bytes(data, size);
  Check(hull::oci::ParseIndex(bytes));
  hull::oci::Descriptor d{.digest = "sha256:" + std::string(64, '0'), .size = size};
  for (const char* type : {hull::oci::kMediaTypeIndex, hull::oci::kMediaTypeManifest}) {
    d.media_type = type;
    Check(hull::oci::ParseReferences(bytes, d));
  }
  return 0;
}

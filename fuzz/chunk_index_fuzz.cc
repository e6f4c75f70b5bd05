// Feeds arbitrary bytes to the chunk index decoder, twice: as given, and
// with a valid trailer digest appended (so the fuzzer reaches the header and
// entry checks behind the digest). A decoded index must re-encode to the
// exact input bytes (the codec is exact).
#include <cstdlib>
#include <cstring>

#include "crypto/digest.h"
#include "delta/chunk_index.h"

namespace {

void Check(hull::ByteSpan in) {
  auto idx = hull::delta::DecodeIndex(in);
  if (!idx.ok()) return;
  auto again = hull::delta::EncodeIndex(*idx);
  if (!again.ok() || again->size() != in.size() ||
      std::memcmp(again->data(), in.data(), in.size()) != 0) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hull::ByteSpan in(data, size);
  Check(in);
  hull::Bytes sealed(in.begin(), in.end());
  hull::Bytes d = hull::crypto::Sha256(in);
  sealed.insert(sealed.end(), d.begin(), d.end());
  Check(sealed);
  return 0;
}

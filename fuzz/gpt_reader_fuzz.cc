// Feeds arbitrary bytes as a disk image to the GPT reader at both sector
// sizes. Invariant: a table the reader accepts passes the writer's Validate()
// (what we read, we could write back).
#include <cstdlib>

#include "gpt/gpt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hull::gpt::MemorySource src(hull::ByteSpan(data, size));
  for (uint32_t ss : {512u, 4096u}) {
    auto t = hull::gpt::Read(src, ss);
    if (!t.ok()) continue;
    if (!hull::gpt::Validate(*t).ok()) std::abort();
    (void)hull::gpt::EncodeEntries(*t);
  }
  (void)hull::gpt::ReadAuto(src);
  return 0;
}

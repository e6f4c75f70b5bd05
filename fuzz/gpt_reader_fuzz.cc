// Feeds arbitrary bytes as a disk image to the GPT reader at both sector
// sizes. Invariant: a table the reader accepts passes the writer's Validate()
// (what we read, we could write back).
// When the first input byte is odd, the header and entry CRCs are recomputed
// first (at 512-byte sectors), so the fuzzer gets past the CRC checks to the
// range, overlap and backup-comparison logic.
#include <cstdlib>

#include "gpt/gpt.h"

namespace {

void FixCrcs(hull::Bytes& img, uint64_t lba) {
  constexpr uint64_t ss = 512;
  if (lba >= img.size() / ss) return;
  uint8_t* h = &img[lba * ss];
  uint64_t entries_lba = hull::LoadLe64(h + 72);
  uint64_t bytes = uint64_t(hull::LoadLe32(h + 80)) * hull::LoadLe32(h + 84);
  if (bytes <= img.size() && entries_lba < img.size() / ss &&
      entries_lba * ss + bytes <= img.size())
    hull::StoreLe32(h + 88, hull::gpt::Crc32(hull::ByteSpan(&img[entries_lba * ss], bytes)));
  uint32_t hsize = hull::LoadLe32(h + 12);
  if (hsize < 92 || hsize > ss) return;
  hull::StoreLe32(h + 16, 0);
  hull::StoreLe32(h + 16, hull::gpt::Crc32(hull::ByteSpan(h, hsize)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hull::Bytes img(data, data + size);
  if (size > 1024 && (data[0] & 1)) {
    uint64_t alt = hull::LoadLe64(&img[512 + 32]);
    FixCrcs(img, alt);
    FixCrcs(img, 1);
  }
  hull::gpt::MemorySource src(img);
  for (uint32_t ss : {512u, 4096u}) {
    auto t = hull::gpt::Read(src, ss);
    if (!t.ok()) continue;
    if (!hull::gpt::Validate(*t).ok()) std::abort();
    (void)hull::gpt::EncodeEntries(*t);
  }
  (void)hull::gpt::ReadAuto(src);
  return 0;
}

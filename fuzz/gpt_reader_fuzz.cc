// Feeds disk images to the GPT reader at both sector sizes. Invariant: a
// table the reader accepts passes the writer's Validate() (what we read, we
// could write back).
//
// Input byte 0 selects the mode:
//   bit 1 clear: the rest of the input is the image;
//   bit 1 set:   the rest is a list of (le16 offset, byte) patches XORed into
//                a valid 64-sector GPT with 4 entries, so mutations start from
//                a table that passes every check;
//   bit 0 set:   header and entry CRCs are recomputed after that, so the
//                fuzzer gets past the CRC checks to ranges, overlaps and the
//                backup comparison.
#include <cstdlib>
#include <cstring>

#include "gpt/gpt.h"

namespace {

constexpr uint64_t kSs = 512;

hull::Bytes Baseline() {
  hull::gpt::Table t;
  t.sector_size = kSs;
  t.disk_sectors = 64;
  t.entry_count = 4;
  t.first_usable_lba = 3;
  t.last_usable_lba = 61;
  t.disk_guid = hull::Uuid::Parse("0d2a6b8e-93a3-4ad4-8e3c-7f0a51c0b1e2").value();
  auto type = hull::Uuid::Parse("0fc63daf-8483-4772-8e79-3d69d8477de4").value();
  t.partitions.push_back({1, type, t.disk_guid, 8, 15, 0, "a"});
  t.partitions.push_back({3, type, type, 16, 61, 1, "b"});
  hull::Bytes img(64 * kSs, 0);
  hull::Bytes entries = hull::gpt::EncodeEntries(t);
  uint32_t crc = hull::gpt::Crc32(entries);
  auto put = [&](uint64_t lba, const hull::Bytes& b) {
    std::memcpy(&img[lba * kSs], b.data(), b.size());
  };
  put(0, hull::gpt::EncodeProtectiveMbr(t));
  put(1, hull::gpt::EncodeHeader(t, false, crc));
  put(2, entries);
  put(62, entries);
  put(63, hull::gpt::EncodeHeader(t, true, crc));
  return img;
}

void FixCrcs(hull::Bytes& img, uint64_t lba) {
  if (lba >= img.size() / kSs) return;
  uint8_t* h = &img[lba * kSs];
  uint64_t entries_lba = hull::LoadLe64(h + 72);
  uint64_t bytes = uint64_t(hull::LoadLe32(h + 80)) * hull::LoadLe32(h + 84);
  if (bytes <= img.size() && entries_lba < img.size() / kSs &&
      entries_lba * kSs + bytes <= img.size())
    hull::StoreLe32(h + 88, hull::gpt::Crc32(hull::ByteSpan(&img[entries_lba * kSs], bytes)));
  uint32_t hsize = hull::LoadLe32(h + 12);
  if (hsize < 92 || hsize > kSs) return;
  hull::StoreLe32(h + 16, 0);
  hull::StoreLe32(h + 16, hull::gpt::Crc32(hull::ByteSpan(h, hsize)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const hull::Bytes baseline = Baseline();
  hull::Bytes img;
  if (data[0] & 2) {
    img = baseline;
    for (size_t i = 1; i + 3 <= size; i += 3)
      img[hull::LoadLe16(data + i) % img.size()] ^= data[i + 2];
  } else {
    img.assign(data + 1, data + size);
  }
  if ((data[0] & 1) && img.size() > 2 * kSs) {
    FixCrcs(img, hull::LoadLe64(&img[kSs + 32]));
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

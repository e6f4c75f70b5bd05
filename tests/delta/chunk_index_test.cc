#include "delta/chunk_index.h"

#include <gtest/gtest.h>

#include "crypto/digest.h"
#include "support/status_matchers.h"

namespace hull::delta {
namespace {

ChunkIndex Sample() {
  ChunkIndex idx;
  idx.image_length = 40000 + 20000 + 5;
  idx.image_sha256 = Bytes(32, 0xaa);
  uint64_t off = 0;
  for (uint32_t len : {40000u, 20000u, 5u}) {
    idx.chunks.push_back({.offset = off,
                          .length = len,
                          .compressed_length = len / 2 + 9,
                          .sha256 = Bytes(32, uint8_t(len))});
    off += len;
  }
  return idx;
}

// Recomputes the trailer so a test reaches the check after the digest.
Bytes Reseal(Bytes b) {
  b.resize(b.size() - kIndexTrailerSize);
  Bytes d = crypto::Sha256(b);
  b.insert(b.end(), d.begin(), d.end());
  return b;
}

struct Case {
  const char* name;
  size_t offset;
  std::vector<uint8_t> bytes;  // written little-endian at offset
  ErrorCode code;
  const char* message;
};

TEST(ChunkIndex, RoundTrip) {
  auto enc = EncodeIndex(Sample());
  ASSERT_OK(enc);
  EXPECT_EQ(enc->size(), kIndexHeaderSize + 3 * kIndexEntrySize + kIndexTrailerSize);
  auto dec = DecodeIndex(*enc);
  ASSERT_OK(dec);
  EXPECT_EQ(*dec, Sample());
}

TEST(ChunkIndex, CorruptionMatrix) {
  Bytes good = *EncodeIndex(Sample());
  const size_t e1 = kIndexHeaderSize + kIndexEntrySize;  // second entry
  std::vector<Case> cases = {
      {"magic", 0, {'X'}, ErrorCode::kCorrupt, "bad magic (not a Hull chunk index)"},
      {"version", 8, {2}, ErrorCode::kUnsupported, "index version 2"},
      {"chunker", 12, {9}, ErrorCode::kUnsupported, "chunker id 9"},
      {"min>avg",
       17,
       {0, 2},
       ErrorCode::kCorrupt,
       "chunker params: chunk sizes min 131072 avg 65536 max 262144: need 64 <= min <= avg <= max "
       "<= 16777216"},
      {"reserved", 28, {1}, ErrorCode::kCorrupt, "reserved header field is not zero"},
      {"image length",
       32,
       {1},
       ErrorCode::kCorrupt,
       "chunks cover 60005 bytes, image length is 59905"},
      {"count", 72, {4}, ErrorCode::kCorrupt, "4 entries need 224 bytes, 168 present"},
      {"huge count",
       79,
       {1},
       ErrorCode::kCorrupt,
       "chunk count 72057594037927939 exceeds 16777216"},
      {"offset gap",
       e1,
       {0x41, 0x9c},
       ErrorCode::kCorrupt,
       "chunk 1: offset 40001 where 40000 was expected"},
      {"too long",
       e1 + 10,
       {0x10},
       ErrorCode::kCorrupt,
       "chunk 1: length 1068576 outside 16384..262144"},
      {"too short",
       e1 + 8,
       {1, 0, 0},
       ErrorCode::kCorrupt,
       "chunk 1: length 1 outside 16384..262144"},
      {"compressed",
       e1 + 15,
       {0x7f},
       ErrorCode::kCorrupt,
       "chunk 1: compressed length 2130716441 out of range"},
      {"entry reserved", e1 + 48, {1}, ErrorCode::kCorrupt, "chunk 1: reserved field not zero"},
  };
  for (const Case& c : cases) {
    Bytes b = good;
    for (size_t i = 0; i < c.bytes.size(); ++i) b[c.offset + i] = c.bytes[i];
    auto r = DecodeIndex(Reseal(b));
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code(), c.code) << c.name;
    EXPECT_EQ(r.error().ToString(), c.message) << c.name;
  }
}

TEST(ChunkIndex, DigestAndTruncation) {
  Bytes good = *EncodeIndex(Sample());
  Bytes flipped = good;
  flipped[kIndexHeaderSize + 20] ^= 1;
  auto r = DecodeIndex(flipped);
  ASSERT_ERROR(r, ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().message(), "index digest mismatch (damaged index)");

  for (size_t n : {size_t(0), size_t(100), good.size() - 1}) {
    auto t = DecodeIndex(ByteSpan(good).first(n));
    ASSERT_FALSE(t.ok()) << n;
    EXPECT_ERROR(t, ErrorCode::kCorrupt) << n;
  }
  EXPECT_EQ(DecodeIndex(ByteSpan(good).first(100)).error().message(),
            "index of 100 bytes is shorter than 112");
}

TEST(ChunkIndex, EncodeRefusesInvalid) {
  ChunkIndex idx = Sample();
  idx.image_length += 1;
  auto r = EncodeIndex(idx);
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "chunks cover 60005 bytes, image length is 60006");
}

}  // namespace
}  // namespace hull::delta

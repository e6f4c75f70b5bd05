#include "verity/superblock.h"

#include <gtest/gtest.h>

#include "base/hex.h"
#include "support/status_matchers.h"

namespace hull::verity {
namespace {

VerityParams Sample() {
  VerityParams p;
  p.data_blocks = 129;
  p.salt = *HexDecode("00112233");
  p.uuid = *Uuid::Parse("12345678-1234-1234-1234-123456789abc");
  return p;
}

TEST(Superblock, RoundTrip) {
  Bytes sb = EncodeSuperblock(Sample());
  ASSERT_EQ(sb.size(), kSuperblockSize);
  auto p = DecodeSuperblock(sb, 4096);
  ASSERT_OK(p);
  EXPECT_EQ(p->data_blocks, 129u);
  EXPECT_EQ(HexEncode(p->salt), "00112233");
  EXPECT_EQ(p->uuid.ToString(), "12345678-1234-1234-1234-123456789abc");
  EXPECT_EQ(p->hash_offset, 4096u);
  EXPECT_EQ(p->algorithm, crypto::DigestAlgorithm::kSha256);
  EXPECT_EQ(EncodeSuperblock(*p), sb);
}

struct Corruption {
  const char* name;
  size_t offset;
  uint8_t value;
  ErrorCode code;
  const char* message;
};

// Each field corrupted in turn must give its own error (validation order:
// size, magic, version, type, algorithm, sizes, salt, reserved).
TEST(Superblock, CorruptionMatrix) {
  const Corruption cases[] = {
      {"magic", 0, 'X', ErrorCode::kCorrupt, "no verity superblock (signature is not \"verity\")"},
      {"version", 8, 2, ErrorCode::kUnsupported, "verity superblock version 2 (only 1 is known)"},
      {"hash_type", 12, 7, ErrorCode::kUnsupported, "verity hash type 7 (0 or 1 known)"},
      {"algorithm", 32, 'm', ErrorCode::kUnsupported,
       "unsupported hash algorithm 'mha256' (supported: sha1, sha256, sha384, sha512)"},
      {"algorithm-tail", 40, 'x', ErrorCode::kCorrupt,
       "verity algorithm field has bytes after its NUL"},
      {"data_block_size", 65, 0x11, ErrorCode::kCorrupt,
       "verity superblock: data block size 4352 is not a power of two between 512 and 524288"},
      {"hash_block_size", 70, 1, ErrorCode::kCorrupt,
       "verity superblock: hash block size 69632 is not a power of two between 512 and 524288"},
      {"salt_size", 81, 2, ErrorCode::kCorrupt, "verity salt size 516 exceeds 256"},
      {"pad1", 84, 1, ErrorCode::kCorrupt, "verity superblock has non-zero reserved bytes"},
      {"salt-tail", 88 + 200, 1, ErrorCode::kCorrupt,
       "verity superblock has non-zero reserved bytes"},
      {"pad2", 400, 1, ErrorCode::kCorrupt, "verity superblock has non-zero reserved bytes"},
  };
  for (const auto& c : cases) {
    Bytes sb = EncodeSuperblock(Sample());
    sb[c.offset] = c.value;
    auto r = DecodeSuperblock(sb);
    ASSERT_ERROR(r, c.code) << c.name;
    EXPECT_EQ(r.error().message(), c.message) << c.name;
  }
}

TEST(Superblock, ZeroDataBlocksAndTruncation) {
  VerityParams p = Sample();
  p.data_blocks = 0;
  auto r = DecodeSuperblock(EncodeSuperblock(p));
  ASSERT_ERROR(r, ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().message(), "verity superblock has 0 data blocks");
  Bytes sb = EncodeSuperblock(Sample());
  auto t = DecodeSuperblock(ByteSpan(sb).first(511));
  ASSERT_ERROR(t, ErrorCode::kCorrupt);
  EXPECT_EQ(t.error().message(), "verity superblock truncated: 511 of 512 bytes");
}

}  // namespace
}  // namespace hull::verity

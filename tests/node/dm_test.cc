// Offsets below are from include/uapi/linux/dm-ioctl.h (interface 4.x):
// struct dm_ioctl: version[3] @0, data_size @12, data_start @16,
// target_count @20, open_count @24, flags @28, event_nr @32, padding @36,
// dev @40, name[128] @48, uuid[129] @176, data[7] @305; size 312.
// struct dm_target_spec: sector_start @0, length @8, status @16, next @20,
// target_type[16] @24; size 40; parameters follow, NUL-terminated, and `next`
// is the offset of the following spec, kept 8-byte aligned.
#include "node/dm.h"

#include <gtest/gtest.h>

#include <string>

#include "support/status_matchers.h"

namespace hull::node {
namespace {

std::string Str(const Bytes& b, size_t off, size_t max) {
  return std::string(reinterpret_cast<const char*>(b.data() + off),
                     strnlen(reinterpret_cast<const char*>(b.data() + off), max));
}

TEST(Dm, Header) {
  auto b = DmHeader("usr", "HULL-VERITY-usr-95", 0);
  ASSERT_OK(b);
  ASSERT_EQ(b->size(), kDmBufferSize);
  EXPECT_EQ(LoadLe32(b->data() + 0), 4u);  // version major
  EXPECT_EQ(LoadLe32(b->data() + 4), 0u);  // minor: any kernel 4.x accepts 0
  EXPECT_EQ(LoadLe32(b->data() + 12), kDmBufferSize);
  EXPECT_EQ(LoadLe32(b->data() + 16), 312u);
  EXPECT_EQ(LoadLe32(b->data() + 20), 0u);
  EXPECT_EQ(Str(*b, 48, 128), "usr");
  EXPECT_EQ(Str(*b, 176, 129), "HULL-VERITY-usr-95");
}

TEST(Dm, TableLoad) {
  std::string params = "1 /dev/vda2 /dev/vda3 4096 4096 10 1 sha256 ab -";  // 48 bytes
  auto b = DmTableLoad("usr", 1 /* DM_READONLY_FLAG */, 80, "verity", params);
  ASSERT_OK(b);
  EXPECT_EQ(LoadLe32(b->data() + 20), 1u);  // target_count
  EXPECT_EQ(LoadLe32(b->data() + 28), 1u);  // flags
  const size_t t = 312;
  EXPECT_EQ(LoadLe64(b->data() + t + 0), 0u);
  EXPECT_EQ(LoadLe64(b->data() + t + 8), 80u);
  EXPECT_EQ(LoadLe32(b->data() + t + 16), 0u);
  EXPECT_EQ(LoadLe32(b->data() + t + 20), 40u + 56u);  // 48 + NUL rounded up to 8
  EXPECT_EQ(Str(*b, t + 24, 16), "verity");
  EXPECT_EQ(Str(*b, t + 40, 100), params);
}

TEST(Dm, Errors) {
  auto e = DmHeader(std::string(128, 'a'), "", 0);
  ASSERT_ERROR(e, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.error().ToString(),
            "device-mapper name '" + std::string(128, 'a') + "': 1..127 bytes");
  e = DmTableLoad("usr", 0, 8, "a-very-long-target", "x");
  ASSERT_ERROR(e, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.error().ToString(), "target type 'a-very-long-target': 1..15 bytes");
  e = DmTableLoad("usr", 0, 8, "verity", std::string(20000, 'x'));
  ASSERT_ERROR(e, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.error().ToString(), "table of 20000 bytes does not fit the 16384-byte buffer");
}

TEST(Dm, DecodeHugeDev) {
  // new_encode_dev(MKDEV(254, 0)) = 254 << 8; (253, 300): 300&0xff | 253<<8 | (300&~0xff)<<12.
  EXPECT_EQ(DecodeHugeDev(254u << 8).major, 254u);
  EXPECT_EQ(DecodeHugeDev(254u << 8).minor, 0u);
  uint64_t enc = (300u & 0xff) | (253u << 8) | ((300u & ~0xffu) << 12);
  EXPECT_EQ(DecodeHugeDev(enc).major, 253u);
  EXPECT_EQ(DecodeHugeDev(enc).minor, 300u);
  Bytes answer(312, 0);
  StoreLe64(answer.data() + 40, enc);
  auto d = DmDevFromAnswer(answer);
  ASSERT_OK(d);
  EXPECT_EQ(d->minor, 300u);
  EXPECT_ERROR(DmDevFromAnswer(Bytes(100)), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace hull::node

#include "base/bytes.h"

#include <gtest/gtest.h>

#include "base/hex.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

TEST(Endian, RoundTripsAndByteOrder) {
  uint8_t b[8];
  StoreLe32(b, 0x11223344);
  EXPECT_EQ(b[0], 0x44);
  EXPECT_EQ(b[3], 0x11);
  EXPECT_EQ(LoadLe32(b), 0x11223344u);
  StoreBe32(b, 0x11223344);
  EXPECT_EQ(b[0], 0x11);
  EXPECT_EQ(LoadBe32(b), 0x11223344u);
  StoreLe64(b, 0x0102030405060708ull);
  EXPECT_EQ(b[0], 0x08);
  EXPECT_EQ(LoadLe64(b), 0x0102030405060708ull);
  StoreBe64(b, 0x0102030405060708ull);
  EXPECT_EQ(b[7], 0x08);
  EXPECT_EQ(LoadBe64(b), 0x0102030405060708ull);
  StoreLe16(b, 0xabcd);
  EXPECT_EQ(LoadLe16(b), 0xabcd);
  StoreBe16(b, 0xabcd);
  EXPECT_EQ(b[0], 0xab);
  EXPECT_EQ(LoadBe16(b), 0xabcd);
}

TEST(ByteReader, ReadsExactlyToTheEdge) {
  const uint8_t data[] = {1, 0, 0, 0, 2, 0, 3};
  ByteReader r(data);
  EXPECT_EQ(*r.Le32(), 1u);
  EXPECT_EQ(*r.Le16(), 2u);
  EXPECT_EQ(*r.U8(), 3u);
  EXPECT_EQ(r.remaining(), 0u);
  auto past = r.U8("flag");
  ASSERT_ERROR(past, ErrorCode::kCorrupt);
  EXPECT_EQ(past.error().message(), "truncated flag: need 1 bytes at offset 7, 0 left");
}

TEST(ByteReader, ShortReadLeavesPositionAlone) {
  const uint8_t data[] = {1, 2, 3};
  ByteReader r(data);
  EXPECT_FALSE(r.Le32("magic").ok());
  EXPECT_EQ(r.offset(), 0u);
  EXPECT_FALSE(r.Take(4).ok());
  EXPECT_OK(r.Take(3));
  EXPECT_FALSE(r.Seek(4).ok());
  EXPECT_OK(r.Seek(3));
}

TEST(ByteWriter, EncodesAndAligns) {
  ByteWriter w;
  w.Le16(0x0102);
  w.Be32(0x0a0b0c0d);
  w.AlignTo(8);
  EXPECT_EQ(HexEncode(w.bytes()), "02010a0b0c0d0000");
  w.AlignTo(8);
  EXPECT_EQ(w.size(), 8u);
}

TEST(Checked, OverflowDetected) {
  uint64_t out;
  EXPECT_TRUE(CheckedAdd(1, 2, &out));
  EXPECT_EQ(out, 3u);
  EXPECT_FALSE(CheckedAdd(UINT64_MAX, 1, &out));
  EXPECT_FALSE(CheckedMul(UINT64_MAX / 2, 3, &out));
}

TEST(Hex, RoundTripAndErrors) {
  const uint8_t data[] = {0x00, 0xff, 0x1a};
  EXPECT_EQ(HexEncode(data), "00ff1a");
  EXPECT_EQ(*HexDecode("00FF1a"), Bytes(std::begin(data), std::end(data)));
  EXPECT_EQ(HexDecode("abc").error().message(), "hex string has odd length 3");
  EXPECT_EQ(HexDecode("zz").error().message(), "not a hex digit 'z' at position 0");
  EXPECT_OK(HexDecode(""));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  const uint8_t a[] = {1, 2, 3}, b[] = {1, 2, 3}, c[] = {1, 2, 4};
  EXPECT_TRUE(ConstantTimeEqual(a, b));
  EXPECT_FALSE(ConstantTimeEqual(a, c));
  EXPECT_FALSE(ConstantTimeEqual(ByteSpan(a, 2), b));
}

}  // namespace
}  // namespace hull

#include "init/sha256.h"

#include <gtest/gtest.h>

#include "base/hex.h"
#include "crypto/digest.h"

namespace hull::init {
namespace {

TEST(Sha256, Fips180Example) {
  // FIPS 180-4 example "abc" (NIST CSRC SHA256.pdf).
  const uint8_t abc[] = {'a', 'b', 'c'};
  EXPECT_EQ(HexEncode(Sha256(abc)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, MatchesOpenSslAcrossPaddingBoundaries) {
  Bytes data(300);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 3);
  for (size_t n = 0; n <= data.size(); ++n) {
    ByteSpan s(data.data(), n);
    ASSERT_EQ(HexEncode(Sha256(s)), HexEncode(crypto::Sha256(s))) << "length " << n;
  }
}

TEST(Sha256Stream, AnySplitGivesOpenSslsDigest) {
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13 + 5);
  const std::string want = HexEncode(crypto::Sha256(data));
  // Pieces of every size from 1 to 130 bytes: inside, across and at block
  // (64-byte) boundaries, with some bytes left buffered before Final.
  for (size_t piece = 1; piece <= 130; ++piece) {
    Sha256Stream s;
    for (size_t off = 0; off < data.size(); off += piece)
      s.Update(ByteSpan(data).subspan(off, std::min(piece, data.size() - off)));
    ASSERT_EQ(HexEncode(s.Final()), want) << "pieces of " << piece;
  }
  Sha256Stream empty;
  empty.Update({});
  EXPECT_EQ(HexEncode(empty.Final()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace hull::init

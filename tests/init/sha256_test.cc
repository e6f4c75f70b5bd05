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

}  // namespace
}  // namespace hull::init

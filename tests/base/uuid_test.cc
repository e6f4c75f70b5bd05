#include "base/uuid.h"

#include <gtest/gtest.h>

#include "base/hex.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

TEST(Uuid, ParseFormatRoundTrip) {
  auto u = Uuid::Parse("8484680C-9521-48c6-9c11-b0720656f69e");
  ASSERT_OK(u);
  EXPECT_EQ(u->ToString(), "8484680c-9521-48c6-9c11-b0720656f69e");
  EXPECT_EQ(HexEncode(u->bytes()), "8484680c952148c69c11b0720656f69e");
  EXPECT_FALSE(u->IsNil());
  EXPECT_TRUE(Uuid().IsNil());
}

// The ESP type GUID as it sits on disk in a GPT entry (UEFI spec, mixed endian):
// C12A7328-F81F-11D2-BA4B-00A0C93EC93B -> 28 73 2a c1 1f f8 d2 11 ba 4b 00 a0 c9 3e c9 3b
TEST(Uuid, GptMixedEndian) {
  auto esp = *Uuid::Parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
  auto gpt = esp.GptBytes();
  EXPECT_EQ(HexEncode(gpt), "28732ac11ff8d211ba4b00a0c93ec93b");
  EXPECT_EQ(Uuid::FromGptBytes(gpt), esp);
}

TEST(Uuid, RejectsMalformed) {
  for (const char* bad :
       {"", "8484680c952148c69c11b0720656f69e", "8484680c-9521-48c6-9c11-b0720656f69",
        "8484680c-9521-48c6-9c11-b0720656f69g", "8484680c+9521-48c6-9c11-b0720656f69e"}) {
    auto r = Uuid::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_ERROR(r, ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace hull

#include "support/status_matchers.h"

#include <memory>
#include <string>

#include <gtest/gtest-spi.h>

namespace hull {
namespace {

using ::hull::testing::ErrorIs;
using ::hull::testing::IsOk;
using ::hull::testing::IsOkAndHolds;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;

Result<int> Seven() { return 7; }
Status Fine() { return Ok(); }
// A two-layer chain, as a library would return it.
Result<int> Crc() {
  return Result<int>(Error(ErrorCode::kCorrupt, "CRC mismatch"))
      .Context("backup header")
      .Context("reading GPT of disk.raw");
}
Status Missing() { return Error(ErrorCode::kNotFound, "no such key"); }

TEST(StatusMatchers, PassWhenTheyShould) {
  EXPECT_OK(Seven());
  EXPECT_OK(Fine());
  ASSERT_OK(Seven());
  EXPECT_ERROR(Crc(), ErrorCode::kCorrupt);
  ASSERT_ERROR(Missing(), ErrorCode::kNotFound);
  EXPECT_THAT(Crc(),
              ErrorIs(ErrorCode::kCorrupt, "reading GPT of disk.raw: backup header: CRC mismatch"));
  EXPECT_THAT(Crc(), ErrorIs(ErrorCode::kCorrupt, HasSubstr("backup header: ")));
  EXPECT_THAT(Seven(), IsOkAndHolds(7));
  EXPECT_THAT(Seven(), IsOkAndHolds(Not(Eq(8))));
  EXPECT_THAT(Crc(), Not(IsOk()));
  EXPECT_THAT(Fine(), Not(ErrorIs(ErrorCode::kNotFound)));
}

TEST(StatusMatchers, AssignTakesTheValue) {
  ASSERT_OK_AND_ASSIGN(int v, Seven());
  EXPECT_EQ(v, 7);
  // Move-only values move out.
  ASSERT_OK_AND_ASSIGN(auto p, Result<std::unique_ptr<int>>(std::make_unique<int>(3)));
  EXPECT_EQ(*p, 3);
}

// Each failure names the code and prints the whole context chain.
TEST(StatusMatchers, FailWithTheChain) {
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(Crc()),
                          "which is error corrupt: \"reading GPT of disk.raw: backup header: "
                          "CRC mismatch\"");
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(Missing()), "error not-found: \"no such key\"");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERROR(Seven(), ErrorCode::kCorrupt), "which is OK");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERROR(Fine(), ErrorCode::kCorrupt), "holds error corrupt");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERROR(Crc(), ErrorCode::kIo),
                          "which is error corrupt: \"reading GPT of disk.raw: backup header: "
                          "CRC mismatch\"");
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(Crc(), ErrorIs(ErrorCode::kCorrupt, HasSubstr("primary"))),
                          "whose text has substring \"primary\"");
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(Seven(), IsOkAndHolds(8)), "which is OK holding 7");
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(Crc(), IsOkAndHolds(7)), "error corrupt");
}

TEST(StatusMatchers, AssertFormsAreFatal) {
  EXPECT_FATAL_FAILURE(ASSERT_OK(Crc()), "CRC mismatch");
  EXPECT_FATAL_FAILURE(ASSERT_ERROR(Fine(), ErrorCode::kNotFound), "which is OK");
  EXPECT_FATAL_FAILURE(
      {
        ASSERT_OK_AND_ASSIGN(int v, Crc());
        (void)v;
      },
      "in ASSERT_OK_AND_ASSIGN(Crc())");
}

// The printers behind gtest's "Actual:" lines.
TEST(StatusMatchers, PrintCodeAndChain) {
  EXPECT_EQ(::testing::PrintToString(ErrorCode::kRollback), "rollback");
  EXPECT_EQ(::testing::PrintToString(Crc()),
            "error corrupt: \"reading GPT of disk.raw: backup header: CRC mismatch\"");
  EXPECT_EQ(::testing::PrintToString(Fine()), "OK");
  EXPECT_EQ(::testing::PrintToString(Seven()), "OK holding 7");
}

}  // namespace
}  // namespace hull

#include "base/result.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull {
namespace {

Result<int> Half(int v) {
  if (v % 2) return Errorf(ErrorCode::kInvalidArgument, "{} is odd", v);
  return v / 2;
}

Result<int> Quarter(int v) {
  HULL_ASSIGN_OR_RETURN(int h, Half(v));
  HULL_ASSIGN_OR_RETURN(int q, Half(h).Context("second halving"));
  return q;
}

Status CheckEven(int v) {
  HULL_TRY(Half(v));
  return Ok();
}

TEST(Result, ValueAndError) {
  auto ok = Quarter(8);
  ASSERT_OK(ok);
  EXPECT_EQ(*ok, 2);
  auto bad = Quarter(6);
  ASSERT_ERROR(bad, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().ToString(), "second halving: 3 is odd");
  EXPECT_EQ(bad.error().message(), "3 is odd");
}

TEST(Result, ContextChainsOutermostFirst) {
  Error e(ErrorCode::kCorrupt, "CRC mismatch");
  e.Wrap("backup header").Wrap("reading GPT of disk.raw");
  EXPECT_EQ(e.ToString(), "reading GPT of disk.raw: backup header: CRC mismatch");
  EXPECT_EQ(e.context().size(), 2u);
}

TEST(Result, StatusPropagates) {
  EXPECT_OK(CheckEven(4));
  Status st = CheckEven(5);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "5 is odd");
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kBadSignature), "bad-signature");
}

}  // namespace
}  // namespace hull

namespace hull {
namespace {

Status FailWith(const char* msg) { return Error(ErrorCode::kRollback, msg); }

Status TryWithContext() {
  HULL_TRY(FailWith("older").Context("timestamp"));
  return Ok();
}

Result<int> AssignWithContext() {
  HULL_ASSIGN_OR_RETURN(int v, Half(3).Context("halving"));
  return v;
}

// The context of a temporary must survive HULL_TRY (it once dangled).
TEST(Result, ContextOnTemporaryInsideTry) {
  Status st = TryWithContext();
  ASSERT_ERROR(st, ErrorCode::kRollback);
  EXPECT_EQ(st.error().ToString(), "timestamp: older");
  auto r = AssignWithContext();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(), "halving: 3 is odd");
}

}  // namespace
}  // namespace hull

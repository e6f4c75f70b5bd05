// Unix seconds in files (base/seconds.h). Expected values are written from
// the rule: decimal digits up to INT64_MAX = 9223372036854775807.
#include "base/seconds.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull {
namespace {

TEST(ParseUnixSeconds, Decimal) {
  EXPECT_EQ(*ParseUnixSeconds("0"), 0);
  EXPECT_EQ(*ParseUnixSeconds("1800000000\n"), 1800000000);
  EXPECT_EQ(*ParseUnixSeconds("9223372036854775807"), INT64_MAX);
}

TEST(ParseUnixSeconds, RefusesOverflowAndGarbage) {
  for (const char* text : {"9223372036854775808", "9999999999999999999", "18446744073709551616", "",
                           "\n", "-1", "+1", " 1", "1 ", "12a", "1\n\n", "0x10"}) {
    EXPECT_ERROR(ParseUnixSeconds(text), ErrorCode::kCorrupt) << '"' << text << '"';
  }
}

}  // namespace
}  // namespace hull

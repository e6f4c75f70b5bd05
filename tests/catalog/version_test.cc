#include "catalog/version.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::catalog {
namespace {

TEST(ImageVersion, ParsesAndPrints) {
  auto v = ParseImageVersion("202506.13.0");
  ASSERT_OK(v);
  EXPECT_EQ(v->year_month, 202506u);
  EXPECT_EQ(v->day, 13u);
  EXPECT_EQ(v->build, 0u);
  EXPECT_EQ(v->ToString(), "202506.13.0");
  EXPECT_EQ(ParseImageVersion("202606.01.12")->ToString(), "202606.01.12");
}

TEST(ImageVersion, OrdersPartByPartAsIntegers) {
  auto v = [](const char* s) { return *ParseImageVersion(s); };
  EXPECT_LT(v("202506.13.0"), v("202506.13.1"));
  EXPECT_LT(v("202506.13.9"), v("202506.13.10"));  // not string order
  EXPECT_LT(v("202506.13.10"), v("202506.14.0"));
  EXPECT_LT(v("202512.31.5"), v("202601.01.0"));
  std::vector<ImageVersion> vs = {v("202605.25.0"), v("202606.01.0"), v("202606.01.1"),
                                  v("202512.01.3")};
  EXPECT_EQ(LatestVersion(vs)->ToString(), "202606.01.1");
  auto none = LatestVersion({});
  ASSERT_ERROR(none, ErrorCode::kNotFound);
}

TEST(ImageVersion, RefusesMalformed) {
  struct Bad {
    const char* text;
    const char* why;
  } cases[] = {
      {"", "part '' is not a number"},
      {"202506.13", "expected three parts"},
      {"202506.13.0.1", "expected three parts"},
      {"20250.13.0", "YYYYMM must have six digits"},
      {"202506.1.0", "DD must have two digits"},
      {"202513.01.0", "month out of range"},
      {"202500.01.0", "month out of range"},
      {"202506.32.0", "day out of range"},
      {"202506.00.0", "day out of range"},
      {"202506.13.x", "part 'x' is not a number"},
      {"v202506.13.0", "part 'v202506' is not a number"},
      {"202506.13.-1", "part '-1' is not a number"},
  };
  for (const auto& c : cases) {
    auto v = ParseImageVersion(c.text);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_ERROR(v, ErrorCode::kInvalidArgument);
    EXPECT_EQ(v.error().message(),
              fmt::format("node image version '{}' is not YYYYMM.DD.N (e.g. 202606.01.0): {}",
                          c.text, c.why));
  }
}

TEST(KubernetesVersion, ParsesMinorAndPatchForms) {
  auto a = ParseKubernetesVersion("1.34");
  auto b = ParseKubernetesVersion("1.34.0");
  auto c = ParseKubernetesVersion("v1.34.2");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);  // a missing patch compares as 0
  EXPECT_LT(*b, *c);
  EXPECT_LT(*ParseKubernetesVersion("1.9"), *ParseKubernetesVersion("1.10"));
  EXPECT_EQ(a->ToString(), "1.34");
  EXPECT_EQ(c->ToString(), "1.34.2");
  for (const char* bad : {"", "1", "1.34.0.1", "1.x", "one.two", "1..2"}) {
    auto v = ParseKubernetesVersion(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().message(),
              fmt::format("Kubernetes version '{}' is not MAJOR.MINOR or MAJOR.MINOR.PATCH (e.g. "
                          "1.34)",
                          bad));
  }
}

}  // namespace
}  // namespace hull::catalog

#include "init/live_root.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::init {
namespace {

using ::hull::testing::ErrorIs;
using ::testing::HasSubstr;

constexpr uint64_t kMiB = uint64_t(1) << 20;

TEST(LiveRoot, ParsesMemTotalInKibibytes) {
  // The first lines of a 2 GiB QEMU guest's /proc/meminfo.
  ASSERT_OK_AND_ASSIGN(uint64_t bytes, ParseMemTotal("MemTotal:        2030580 kB\n"
                                                     "MemFree:         1771392 kB\n"));
  EXPECT_EQ(bytes, uint64_t(2030580) * 1024);
  ASSERT_OK_AND_ASSIGN(bytes, ParseMemTotal("MemFree: 1 kB\nMemTotal: 4 kB\n"));
  EXPECT_EQ(bytes, uint64_t(4096));
}

TEST(LiveRoot, RefusesMalformedMeminfo) {
  EXPECT_ERROR(ParseMemTotal("MemFree: 1 kB\n"), ErrorCode::kCorrupt);
  EXPECT_ERROR(ParseMemTotal("MemTotal: lots kB\n"), ErrorCode::kCorrupt);
  EXPECT_ERROR(ParseMemTotal("MemTotal: 12 MB\n"), ErrorCode::kCorrupt);
  EXPECT_ERROR(ParseMemTotal("MemTotal: 99999999999999999999 kB\n"), ErrorCode::kCorrupt);
}

TEST(LiveRoot, OneGibibyteWhenMemoryAllows) {
  ASSERT_OK_AND_ASSIGN(uint64_t bytes, LiveRootBytes(64 * kMiB, 8192 * kMiB));
  EXPECT_EQ(bytes, 1024 * kMiB);
  // A template larger than 1 GiB keeps its size.
  ASSERT_OK_AND_ASSIGN(bytes, LiveRootBytes(1536 * kMiB, 8192 * kMiB));
  EXPECT_EQ(bytes, 1536 * kMiB);
}

TEST(LiveRoot, CappedAtHalfOfMemory) {
  ASSERT_OK_AND_ASSIGN(uint64_t bytes, LiveRootBytes(64 * kMiB, 1024 * kMiB));
  EXPECT_EQ(bytes, 512 * kMiB);
}

TEST(LiveRoot, RefusesATemplateLargerThanTheCap) {
  auto r = LiveRootBytes(600 * kMiB, 1024 * kMiB);
  EXPECT_ERROR(r, ErrorCode::kRefused);
  EXPECT_THAT(r.error().ToString(), HasSubstr("more memory"));
}

// The digest of the template as copied must be the signed command line's.
TEST(LiveRoot, TemplateDigestMustMatchTheCommandLines) {
  const Bytes a(32, 0xaa), b(32, 0xbb);
  EXPECT_OK(CheckRootTemplate(a, a));
  EXPECT_OK(CheckRootTemplate(a, {}));  // before the copy: present
  auto missing = CheckRootTemplate({}, {});
  EXPECT_THAT(missing, ErrorIs(ErrorCode::kRefused,
                               HasSubstr("hull.roottemplate= missing from the kernel command "
                                         "line")));
  EXPECT_ERROR(CheckRootTemplate({}, a), ErrorCode::kRefused);
  auto altered = CheckRootTemplate(a, b);
  EXPECT_THAT(altered, ErrorIs(ErrorCode::kVerifyFailed,
                               HasSubstr("root template (hull-root-image) has SHA-256 " +
                                         std::string(64, 'b') +
                                         ", the signed command line's "
                                         "hull.roottemplate= says " +
                                         std::string(64, 'a'))));
  Bytes one_bit = a;
  one_bit[31] ^= 1;
  EXPECT_ERROR(CheckRootTemplate(a, one_bit), ErrorCode::kVerifyFailed);
}

}  // namespace
}  // namespace hull::init

#include "init/live_root.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::init {
namespace {

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

}  // namespace
}  // namespace hull::init

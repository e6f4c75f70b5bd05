#include "init/cmdline.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::init {
namespace {

const std::string kHash = "954172dfee9aaab2d90a0ab162ee6bc5a6a77ede951fad19f0f94df0d7266a93";

// Splitting itself is the node codec's (tests/node/kernel_cmdline_test.cc).
TEST(Cmdline, ReadsQuotedValues) {
  auto c = ParseCmdline("\tusrhash=\"" + kHash + "\" init=\"/sbin/my init\"\n");
  ASSERT_OK(c);
  EXPECT_EQ(c->usrhash[0], 0x95);
  EXPECT_EQ(c->init, "/sbin/my init");
}

TEST(Cmdline, ParsesOptionsAndDefaults) {
  auto c = ParseCmdline("BOOT_IMAGE=/x console=ttyS0 usrhash=" + kHash + " ro panic=-1\n");
  ASSERT_OK(c);
  EXPECT_EQ(c->usrhash.size(), 32u);
  EXPECT_EQ(c->usrhash[0], 0x95);
  EXPECT_EQ(c->usrhash[31], 0x93);
  EXPECT_EQ(c->verity, VerityPolicy::kEio);
  EXPECT_EQ(c->disk_timeout_s, 30);
  EXPECT_EQ(c->init, "/usr/lib/systemd/systemd");
  EXPECT_TRUE(VerityOptions(c->verity).empty());

  c = ParseCmdline("usrhash=" + kHash + " hull.verity=restart hull.disk_timeout=5 init=/sbin/x");
  ASSERT_OK(c);
  EXPECT_EQ(c->verity, VerityPolicy::kRestart);
  EXPECT_EQ(VerityOptions(c->verity), std::vector<std::string>{"restart_on_corruption"});
  EXPECT_EQ(c->disk_timeout_s, 5);
  EXPECT_EQ(c->init, "/sbin/x");
}

TEST(Cmdline, LastValueWins) {
  auto c = ParseCmdline("usrhash=" + std::string(64, '0') + " usrhash=" + kHash);
  ASSERT_OK(c);
  EXPECT_EQ(c->usrhash[0], 0x95);
}

void ExpectError(const std::string& text, ErrorCode code, const std::string& msg) {
  auto c = ParseCmdline(text);
  ASSERT_ERROR(c, code) << text;
  EXPECT_EQ(c.error().ToString(), msg) << text;
}

TEST(Cmdline, Errors) {
  ExpectError("console=ttyS0 roothash=" + kHash, ErrorCode::kNotFound,
              "usrhash= missing from the kernel command line");
  ExpectError("usrhash=xyz", ErrorCode::kInvalidArgument, "usrhash=: not hex");
  ExpectError("usrhash=abcd", ErrorCode::kInvalidArgument, "usrhash=: 2 bytes, need at least 32");
  ExpectError("usrhash=" + kHash + " hull.verity=panic", ErrorCode::kInvalidArgument,
              "hull.verity=panic: expected eio or restart");
  ExpectError("usrhash=" + kHash + " hull.disk_timeout=0", ErrorCode::kInvalidArgument,
              "hull.disk_timeout=0: expected seconds 1..600");
  ExpectError("usrhash=" + kHash + " hull.disk_timeout=5s", ErrorCode::kInvalidArgument,
              "hull.disk_timeout=5s: expected seconds 1..600");
  ExpectError("usrhash=" + kHash + " init=sbin/init", ErrorCode::kInvalidArgument,
              "init=sbin/init: must be an absolute path");
}

}  // namespace
}  // namespace hull::init

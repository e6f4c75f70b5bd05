#include "init/cmdline.h"

#include <gtest/gtest.h>

#include <cctype>

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
  EXPECT_EQ(c->watchdog_s, 120);
  EXPECT_EQ(c->init, "/usr/lib/systemd/systemd");
  EXPECT_TRUE(VerityOptions(c->verity).empty());

  c = ParseCmdline("usrhash=" + kHash +
                   " hull.verity=restart hull.disk_timeout=5 hull.watchdog=0 init=/sbin/x");
  ASSERT_OK(c);
  EXPECT_EQ(c->watchdog_s, 0);
  EXPECT_EQ(c->verity, VerityPolicy::kRestart);
  EXPECT_EQ(VerityOptions(c->verity), std::vector<std::string>{"restart_on_corruption"});
  EXPECT_EQ(c->disk_timeout_s, 5);
  EXPECT_EQ(c->init, "/sbin/x");
}

TEST(Cmdline, AcceptsUpperCaseHash) {
  std::string upper = kHash;
  for (char& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  auto c = ParseCmdline("usrhash=" + upper);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->usrhash[0], 0x95);
  EXPECT_EQ(c->usrhash[31], 0x93);
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
  // The node contract's rule (tests/node/usrhash_test.cc): exactly 64 hex digits.
  ExpectError("usrhash=xyz", ErrorCode::kInvalidArgument,
              "usrhash=: 3 characters, expected 64 hex digits (a SHA-256 root hash)");
  ExpectError("usrhash=" + kHash + kHash, ErrorCode::kInvalidArgument,
              "usrhash=: 128 characters, expected 64 hex digits (a SHA-256 root hash)");
  ExpectError("usrhash=" + kHash.substr(0, 63) + "x", ErrorCode::kInvalidArgument,
              "usrhash=: character 64 (0x78) is not a hex digit");
  ExpectError("usrhash=" + kHash + " hull.verity=panic", ErrorCode::kInvalidArgument,
              "hull.verity=panic: expected eio or restart");
  ExpectError("usrhash=" + kHash + " hull.disk_timeout=0", ErrorCode::kInvalidArgument,
              "hull.disk_timeout=0: expected seconds 1..600");
  ExpectError("usrhash=" + kHash + " hull.disk_timeout=5s", ErrorCode::kInvalidArgument,
              "hull.disk_timeout=5s: expected seconds 1..600");
  ExpectError("usrhash=" + kHash + " hull.watchdog=-1", ErrorCode::kInvalidArgument,
              "hull.watchdog=-1: expected seconds 0..3600 (0: no watchdog)");
  ExpectError("usrhash=" + kHash + " hull.watchdog=3601", ErrorCode::kInvalidArgument,
              "hull.watchdog=3601: expected seconds 0..3600 (0: no watchdog)");
  ExpectError("usrhash=" + kHash + " init=sbin/init", ErrorCode::kInvalidArgument,
              "init=sbin/init: must be an absolute path");
}

TEST(Cmdline, RootTemplateDigestIsOptionalAndParsedByTheNodeRule) {
  ASSERT_OK_AND_ASSIGN(Cmdline none, ParseCmdline("usrhash=" + kHash));
  EXPECT_TRUE(none.root_template.empty());
  // The SHA-256 of the empty string (FIPS 180-4; `sha256sum </dev/null`).
  ASSERT_OK_AND_ASSIGN(
      Cmdline c, ParseCmdline("usrhash=" + kHash + " hull.roottemplate=" +
                              "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  ASSERT_EQ(c.root_template.size(), 32u);
  EXPECT_EQ(c.root_template[0], 0xe3);
  EXPECT_EQ(c.root_template[31], 0x55);
  ExpectError("usrhash=" + kHash + " hull.roottemplate=" + kHash.substr(1),
              ErrorCode::kInvalidArgument,
              "hull.roottemplate=: 63 characters, expected 64 hex digits (the SHA-256 of the "
              "root template)");
}

// The disk wait runs under the watchdog (docs/init.md): it may use at most
// half of the watchdog's timeout, whichever order the options come in.
TEST(Cmdline, DiskTimeoutIsClampedToHalfTheWatchdog) {
  auto at = [](const std::string& options) {
    auto c = ParseCmdline("usrhash=" + kHash + " " + options);
    EXPECT_OK(c);
    return c.ok() ? *c : Cmdline{};
  };
  Cmdline c = at("hull.disk_timeout=600");
  EXPECT_EQ(c.disk_timeout_s, 60);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_EQ(c.notes[0],
            "hull.disk_timeout=600 s clamped to 60 s: at most half of hull.watchdog=120 s, or the "
            "watchdog resets the machine while the disk is awaited (raise hull.watchdog= to wait "
            "longer)");
  c = at("hull.watchdog=30 hull.disk_timeout=20");
  EXPECT_EQ(c.disk_timeout_s, 15);
  c = at("hull.disk_timeout=20 hull.watchdog=30");
  EXPECT_EQ(c.disk_timeout_s, 15);
  c = at("hull.disk_timeout=5 hull.watchdog=1");
  EXPECT_EQ(c.disk_timeout_s, 1);
  // Within bounds, or no watchdog: as given, no note.
  c = at("hull.disk_timeout=600 hull.watchdog=1200");
  EXPECT_EQ(c.disk_timeout_s, 600);
  EXPECT_TRUE(c.notes.empty());
  c = at("hull.disk_timeout=600 hull.watchdog=0");
  EXPECT_EQ(c.disk_timeout_s, 600);
  EXPECT_TRUE(c.notes.empty());
  c = at("hull.disk_timeout=60");
  EXPECT_EQ(c.disk_timeout_s, 60);
  EXPECT_TRUE(c.notes.empty());
}

}  // namespace
}  // namespace hull::init

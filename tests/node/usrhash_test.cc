// The one usrhash= rule (node/usrhash.h): 64 hex digits, either case, read
// back in lowercase.
#include "node/usrhash.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::node {
namespace {

using ::hull::testing::ErrorIs;
using ::testing::HasSubstr;

// The SHA-256 of the empty string (FIPS 180-4 example; `sha256sum </dev/null`).
constexpr const char* kLower = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kUpper = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
constexpr const char* kMixed = "e3B0c44298fC1c149afbf4c8996fb92427ae41e4649b934ca495991b7852B855";

TEST(UsrHash, AcceptsSixtyFourHexDigitsInEitherCase) {
  for (const char* text : {kLower, kUpper, kMixed}) {
    ASSERT_OK_AND_ASSIGN(std::string h, ParseUsrHash(text));
    EXPECT_EQ(h, kLower) << text;
  }
}

struct BadRow {
  std::string text;
  const char* message;
};

TEST(UsrHash, RefusesEverythingElseNamingWhy) {
  const std::string good = kLower;
  const BadRow rows[] = {
      {"", "usrhash=: 0 characters, expected 64 hex digits (a SHA-256 root hash)"},
      {good.substr(0, 63), "usrhash=: 63 characters, expected 64"},
      {good + "0", "usrhash=: 65 characters, expected 64"},
      // a 32-byte prefix of a SHA-512 hash was accepted by hull-init before
      {good + good, "usrhash=: 128 characters, expected 64"},
      {good.substr(0, 32), "usrhash=: 32 characters, expected 64"},
      {"g" + good.substr(1), "usrhash=: character 1 (0x67) is not a hex digit"},
      {good.substr(0, 63) + "G", "usrhash=: character 64 (0x47) is not a hex digit"},
      {good.substr(0, 10) + " " + good.substr(11), "character 11 (0x20) is not a hex digit"},
      {good.substr(0, 10) + std::string(1, '\0') + good.substr(11),
       "character 11 (0x00) is not a hex digit"},
      {good.substr(0, 10) + "\xc3" + good.substr(11), "character 11 (0xc3) is not a hex digit"},
      {"0x" + good.substr(2), "character 2 (0x78) is not a hex digit"},
  };
  for (const auto& row : rows)
    EXPECT_THAT(ParseUsrHash(row.text),
                ErrorIs(ErrorCode::kInvalidArgument, HasSubstr(row.message)))
        << row.text;
}

TEST(UsrHash, ReadsTheLastUsrhashOfACommandLine) {
  ASSERT_OK_AND_ASSIGN(std::string h,
                       UsrHashOfCmdline(std::string("ro usrhash=") + kUpper + " console=ttyS0"));
  EXPECT_EQ(h, kLower);
  // The last occurrence wins, as in the kernel (docs/node.md).
  ASSERT_OK_AND_ASSIGN(
      h, UsrHashOfCmdline(std::string("usrhash=") + std::string(64, 'a') + " usrhash=" + kLower));
  EXPECT_EQ(h, kLower);
  EXPECT_THAT(UsrHashOfCmdline("ro console=ttyS0"),
              ErrorIs(ErrorCode::kNotFound, HasSubstr("no usrhash= on the kernel command line")));
  EXPECT_ERROR(UsrHashOfCmdline("ro usrhash"), ErrorCode::kNotFound);
  EXPECT_THAT(UsrHashOfCmdline("usrhash=abc"),
              ErrorIs(ErrorCode::kInvalidArgument, HasSubstr("3 characters")));
}

TEST(RootTemplateHash, SameRuleErrorsNamingItsOption) {
  ASSERT_OK_AND_ASSIGN(std::string h, ParseRootTemplateHash(kMixed));
  EXPECT_EQ(h, kLower);
  EXPECT_THAT(ParseRootTemplateHash(std::string(kLower).substr(1)),
              ErrorIs(ErrorCode::kInvalidArgument,
                      HasSubstr("hull.roottemplate=: 63 characters, expected 64 hex digits")));
  EXPECT_THAT(ParseRootTemplateHash("z" + std::string(kLower).substr(1)),
              ErrorIs(ErrorCode::kInvalidArgument,
                      HasSubstr("hull.roottemplate=: character 1 (0x7a) is not a hex digit")));
}

TEST(RootTemplateHash, ReadsTheLastOptionOfACommandLine) {
  ASSERT_OK_AND_ASSIGN(std::string h,
                       RootTemplateHashOfCmdline(std::string("usrhash=") + std::string(64, 'a') +
                                                 " hull.roottemplate=" + std::string(64, 'b') +
                                                 " hull.roottemplate=" + kUpper + " rw"));
  EXPECT_EQ(h, kLower);
  EXPECT_THAT(
      RootTemplateHashOfCmdline(std::string("usrhash=") + kLower),
      ErrorIs(ErrorCode::kNotFound, HasSubstr("no hull.roottemplate= on the kernel command line")));
  EXPECT_ERROR(RootTemplateHashOfCmdline("hull.roottemplate"), ErrorCode::kNotFound);
  EXPECT_ERROR(RootTemplateHashOfCmdline("hull.roottemplate="), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hull::node

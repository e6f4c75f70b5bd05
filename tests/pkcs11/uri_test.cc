// PKCS#11 URIs (RFC 7512): attributes, percent-decoding, what is refused.
#include "pkcs11/uri.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/file.h"
#include "support/status_matchers.h"

namespace hull::pkcs11 {
namespace {

using ::testing::HasSubstr;

TEST(Pkcs11Uri, PathAndQueryAttributesDecoded) {
  // RFC 7512 §3's example form: %20 in a token label.
  ASSERT_OK_AND_ASSIGN(Uri u, ParseUri("pkcs11:token=Hull%20keys;object=db;type=private"
                                       "?pin-value=12%2634&module-path=/m.so"));
  EXPECT_EQ(u.path.at("token"), "Hull keys");
  EXPECT_EQ(u.path.at("object"), "db");
  EXPECT_EQ(u.query.at("pin-value"), "12&34");
  EXPECT_EQ(u.Module(), "/m.so");
  ASSERT_OK_AND_ASSIGN(std::string pin, u.Pin());
  EXPECT_EQ(pin, "12&34");
  EXPECT_EQ(u.Public(), "pkcs11:object=db;token=Hull%20keys;type=private");
  EXPECT_EQ(u.WithoutPin(), "pkcs11:object=db;token=Hull%20keys;type=private?module-path=/m.so");
}

TEST(Pkcs11Uri, PinFromSourceFileThenEnvironment) {
  auto dir = TempDir::Create("uri");
  ASSERT_OK(dir);
  ASSERT_OK(WriteFileAtomic(dir->path() + "/pin", std::string("4321\n")));
  ASSERT_OK_AND_ASSIGN(Uri u, ParseUri("pkcs11:object=db?pin-source=file:" + dir->path() + "/pin"));
  ASSERT_OK_AND_ASSIGN(std::string pin, u.Pin());
  EXPECT_EQ(pin, "4321");
  ASSERT_OK_AND_ASSIGN(Uri bare, ParseUri("pkcs11:object=db"));
  ::unsetenv(kPinEnv);
  EXPECT_ERROR(bare.Pin(), ErrorCode::kNotFound);
  ::setenv(kPinEnv, "9999", 1);
  ASSERT_OK_AND_ASSIGN(pin, bare.Pin());
  EXPECT_EQ(pin, "9999");
  ::unsetenv(kPinEnv);
}

TEST(Pkcs11Uri, MalformedRefusedNamingTheFault) {
  struct Case {
    const char* uri;
    const char* why;
  } cases[] = {
      {"pkcs12:object=db", "does not start with pkcs11:"},
      {"pkcs11:object=db;object=kek", "given twice"},
      {"pkcs11:objekt=db", "unknown path attribute 'objekt'"},
      {"pkcs11:object", "not an attribute=value pair"},
      {"pkcs11:=db", "not an attribute=value pair"},
      {"pkcs11:object=d%2", "two hex digits"},
      {"pkcs11:object=d%zz", "two hex digits"},
      {"pkcs11:object=db?pin-value=1&pin-source=/p", "both given"},
  };
  for (const auto& c : cases) {
    auto r = ParseUri(c.uri);
    EXPECT_ERROR(r, ErrorCode::kInvalidArgument) << c.uri;
    if (!r.ok()) {
      EXPECT_THAT(r.error().ToString(), HasSubstr(c.why)) << c.uri;
    }
  }
}

TEST(Pkcs11Uri, PinNeverInMessages) {
  auto r = ParseUri("pkcs11:objekt=db?pin-value=secret");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().ToString(), ::testing::Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace hull::pkcs11

// The offline-signing manifest: round trip and the corruption table (each
// malformed field is kCorrupt naming it; file names outside the derived ones
// are refused, so a manifest names no path outside its directory).
#include "signing/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::signing {
namespace {

using ::testing::HasSubstr;

const std::string kHex(64, 'a');

Manifest Sample() {
  return {.command = "build",
          .subject = "image small 1.0, usr products/ab12",
          .items = {{.name = "uki",
                     .kind = "authenticode-signed-attributes",
                     .role = "db",
                     .algorithm = crypto::SignatureAlgorithm::kRsaPkcs1Sha256,
                     .payload_sha256 = kHex,
                     .public_key_sha256 = std::string(64, 'b')}}};
}

TEST(Manifest, RoundTrips) {
  std::string text = EncodeManifest(Sample());
  EXPECT_THAT(text, HasSubstr(R"("payload": "uki.bin")"));
  EXPECT_THAT(text, HasSubstr(R"("signature": "uki.sig")"));
  ASSERT_OK_AND_ASSIGN(Manifest m, ParseManifest(text));
  ASSERT_EQ(m.items.size(), 1u);
  EXPECT_EQ(m.command, "build");
  EXPECT_EQ(m.subject, "image small 1.0, usr products/ab12");
  EXPECT_EQ(m.items[0].name, "uki");
  EXPECT_EQ(m.items[0].public_key_sha256, std::string(64, 'b'));
  EXPECT_NE(m.Find("uki"), nullptr);
  EXPECT_EQ(m.Find("esp"), nullptr);
  // A manifest without a subject (sign, verity sign) has none after parsing.
  Manifest unbound = Sample();
  unbound.subject.clear();
  text = EncodeManifest(unbound);
  EXPECT_THAT(text, ::testing::Not(HasSubstr("subject")));
  ASSERT_OK_AND_ASSIGN(m, ParseManifest(text));
  EXPECT_EQ(m.subject, "");
}

TEST(Manifest, CorruptionTable) {
  const std::string good = EncodeManifest(Sample());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return t.replace(at, from.size(), to);
  };
  struct Case {
    std::string text, says;
    ErrorCode code = ErrorCode::kCorrupt;
  };
  const Case cases[] = {
      {"[]", "not a JSON object"},
      {"{", "not a JSON object"},
      {with("hull-offline-signing/1", "hull-offline-signing/9"), "format"},
      {with(R"("command": "build",)", ""), "'command'"},
      {with(R"("subject": "image)", R"("subject": 7, "x": "image)"), "'subject'"},
      {with(R"("items": [)", R"("items": 1, "x": [)"), "'items'"},
      {with(R"("name": "uki")", R"("name": "../uki")"), "name '../uki'"},
      {with(R"("name": "uki")", R"("name": ".uki")"), "name '.uki'"},
      {with(R"("payload": "uki.bin")", R"("payload": "/etc/shadow")"),
       "'payload' is '/etc/shadow'"},
      {with(R"("signature": "uki.sig")", R"("signature": "x.sig")"), "'signature'"},
      {with(kHex, "AA"), "64 lowercase hex"},
      {with(R"("role": "db",)", ""), "'role'"},
      {with("rsa-pkcs1v15-sha256", "md5-rsa"), "'md5-rsa'", ErrorCode::kUnsupported},
  };
  for (const Case& c : cases) {
    auto r = ParseManifest(c.text);
    ASSERT_ERROR(r, c.code) << c.text;
    EXPECT_THAT(r.error().ToString(), HasSubstr(c.says)) << c.text;
  }
  Manifest twice = Sample();
  twice.items.push_back(twice.items[0]);
  auto r = ParseManifest(EncodeManifest(twice));
  ASSERT_ERROR(r, ErrorCode::kCorrupt);
  EXPECT_THAT(r.error().message(), HasSubstr("twice"));
}

}  // namespace
}  // namespace hull::signing

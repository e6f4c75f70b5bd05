// The customized image's trust set (customize/trust.h) under each
// trust.mode, read back from the /usr tree with the node's own reader
// (slot::LoadTrustSet), and the configuration's trust and output fields.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "customize/config.h"
#include "customize/trust.h"
#include "slot/trust.h"
#include "support/status_matchers.h"

namespace hull::customize {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

crypto::Certificate Cert(const crypto::PrivateKey& key, const std::string& cn) {
  crypto::CertificateOptions co;
  co.common_name = cn;
  auto c = crypto::Certificate::CreateSelfSigned(key, co);
  EXPECT_OK(c);
  return *c;
}

std::string Fp(const crypto::Certificate& c) { return HexEncode(c.Fingerprint()); }

std::vector<std::string> Fps(const std::vector<crypto::Certificate>& v) {
  std::vector<std::string> out;
  for (const auto& c : v) out.push_back(Fp(c));
  return out;
}

struct Fixture {
  TempDir tmp;
  std::string usr, key_dir, work;
  build::SigningKeys keys;
  crypto::Certificate base_db, base_verity, next_db;
};

// A /usr tree whose trust set is the base's (db.crt as PEM, verity.crt as
// DER, as a vendor might ship them), and a --keys folder with a next db
// certificate (KEYS/trust/db/next.crt).
Fixture Make() {
  auto t = TempDir::Create("hull-customize-trust");
  EXPECT_OK(t);
  auto k = crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  EXPECT_OK(k);
  Fixture f{
      std::move(*t),           "", "", "", {}, Cert(*k, "vendor db"), Cert(*k, "vendor verity"),
      Cert(*k, "site next db")};
  f.usr = f.tmp.path() + "/tree/usr";
  f.key_dir = f.tmp.path() + "/keys";
  f.work = f.tmp.path() + "/work";
  f.keys.db_cert = Cert(*k, "site db");
  f.keys.verity_cert = Cert(*k, "site verity");
  fs::create_directories(f.usr + "/lib/hull/trust/db");
  fs::create_directories(f.usr + "/lib/hull/trust/verity");
  fs::create_directories(f.key_dir + "/trust/db");
  EXPECT_OK(WriteFileAtomic(f.usr + "/lib/hull/trust/db/db.crt", f.base_db.ToPem()));
  EXPECT_OK(WriteFileAtomic(f.usr + "/lib/hull/trust/verity/verity.crt", f.base_verity.ToDer()));
  EXPECT_OK(WriteFileAtomic(f.key_dir + "/trust/db/next.crt", f.next_db.ToPem()));
  return f;
}

TEST(CustomizeTrust, KeepLeavesTheBasesSetAsItWas) {
  Fixture f = Make();
  ASSERT_OK_AND_ASSIGN(Bytes before, ReadFileBytes(f.usr + "/lib/hull/trust/verity/verity.crt"));
  ASSERT_OK_AND_ASSIGN(auto changes,
                       ApplyTrust(TrustMode::kKeep, f.usr, f.keys, f.key_dir, f.work));
  ASSERT_OK_AND_ASSIGN(auto set, slot::LoadTrustSet(f.usr + "/lib/hull/trust"));
  EXPECT_EQ(Fps(set.db), std::vector<std::string>{Fp(f.base_db)});
  EXPECT_EQ(Fps(set.verity), std::vector<std::string>{Fp(f.base_verity)});
  ASSERT_OK_AND_ASSIGN(Bytes after, ReadFileBytes(f.usr + "/lib/hull/trust/verity/verity.crt"));
  EXPECT_TRUE(before == after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_THAT(changes[0].detail, HasSubstr("keep"));
}

TEST(CustomizeTrust, ReplacePutsInTheCustomizersCertificatesAlone) {
  Fixture f = Make();
  ASSERT_OK(WriteFileAtomic(f.usr + "/lib/hull/trust/verity/old.crt", f.base_db.ToPem()));
  ASSERT_OK_AND_ASSIGN(auto changes,
                       ApplyTrust(TrustMode::kReplace, f.usr, f.keys, f.key_dir, f.work));
  ASSERT_OK_AND_ASSIGN(auto set, slot::LoadTrustSet(f.usr + "/lib/hull/trust"));
  // Name order: db.crt, next.crt.
  EXPECT_EQ(Fps(set.db), (std::vector<std::string>{Fp(f.keys.db_cert), Fp(f.next_db)}));
  EXPECT_EQ(Fps(set.verity), std::vector<std::string>{Fp(f.keys.verity_cert)});
  EXPECT_FALSE(fs::exists(f.usr + "/lib/hull/trust/verity/old.crt"));
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].target, "/usr/lib/hull/trust/db/db.crt");
  EXPECT_EQ(changes[0].detail, "sha256:" + Fp(f.keys.db_cert));
  EXPECT_THAT(changes[3].detail, HasSubstr("replace"));
}

TEST(CustomizeTrust, AddKeepsTheBasesAndAddsTheCustomizersOnce) {
  Fixture f = Make();
  // The customizer's verity certificate is the base's: not written twice.
  f.keys.verity_cert = f.base_verity;
  ASSERT_OK_AND_ASSIGN(auto changes, ApplyTrust(TrustMode::kAdd, f.usr, f.keys, f.key_dir, f.work));
  ASSERT_OK_AND_ASSIGN(auto set, slot::LoadTrustSet(f.usr + "/lib/hull/trust"));
  // customize-db.crt, customize-next.crt, db.crt (the base's) in name order.
  EXPECT_EQ(Fps(set.db),
            (std::vector<std::string>{Fp(f.keys.db_cert), Fp(f.next_db), Fp(f.base_db)}));
  EXPECT_EQ(Fps(set.verity), std::vector<std::string>{Fp(f.base_verity)});
  EXPECT_TRUE(fs::exists(f.usr + "/lib/hull/trust/db/customize-next.crt"));
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_THAT(changes[2].detail, HasSubstr("the base's 1 db and 1 verity certificates and 2"));
}

TEST(CustomizeTrust, ABaseWithoutATrustSetGetsTheCustomizers) {
  Fixture f = Make();
  fs::remove_all(f.usr + "/lib/hull");
  for (TrustMode m : {TrustMode::kAdd, TrustMode::kReplace}) {
    ASSERT_OK(ApplyTrust(m, f.usr, f.keys, f.key_dir, f.work + TrustModeName(m)));
    ASSERT_OK_AND_ASSIGN(auto set, slot::LoadTrustSet(f.usr + "/lib/hull/trust"));
    EXPECT_EQ(set.db.size(), 2u) << TrustModeName(m);
    EXPECT_EQ(set.verity.size(), 1u) << TrustModeName(m);
    fs::remove_all(f.usr + "/lib/hull");
  }
}

TEST(CustomizeTrust, ALinkInTheBaseIsRefusedAndNothingOutsideChanges) {
  Fixture f = Make();
  const std::string outside = f.tmp.path() + "/host";
  fs::create_directories(outside + "/trust/db");
  ASSERT_OK(WriteFileAtomic(outside + "/trust/db/host.crt", f.base_db.ToPem()));
  fs::remove_all(f.usr + "/lib/hull");
  fs::create_symlink(outside, f.usr + "/lib/hull");
  for (TrustMode m : {TrustMode::kAdd, TrustMode::kReplace}) {
    auto r = ApplyTrust(m, f.usr, f.keys, f.key_dir, f.work + TrustModeName(m));
    ASSERT_FALSE(r.ok()) << TrustModeName(m);
    EXPECT_EQ(r.error().code(), ErrorCode::kRefused) << r.error().message();
    EXPECT_THAT(r.error().message(), HasSubstr("symbolic link"));
  }
  EXPECT_TRUE(fs::exists(outside + "/trust/db/host.crt"));
  EXPECT_EQ(std::distance(fs::directory_iterator(outside + "/trust/db"), {}), 1);
}

TEST(CustomizeTrust, MoreCertificatesThanANodeReadsAreRefused) {
  Fixture f = Make();
  for (size_t i = 0; i < node::kMaxTrustCerts - 1; ++i)
    ASSERT_OK(WriteFileAtomic(f.usr + "/lib/hull/trust/db/v" + std::to_string(i) + ".crt",
                              f.base_db.ToPem()));
  auto r = ApplyTrust(TrustMode::kAdd, f.usr, f.keys, f.key_dir, f.work);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("more than 16 db certificates"));
}

TEST(CustomizeTrust, ConfigTrustModeAndOutputFormat) {
  ASSERT_OK_AND_ASSIGN(Config none, ParseConfig("os:\n  hostname: a\n", "c.yaml", "/"));
  EXPECT_EQ(none.trust, TrustMode::kReplace);
  EXPECT_EQ(none.output_format, spec::OutputFormat::kRaw);
  ASSERT_OK_AND_ASSIGN(
      Config c,
      ParseConfig("trust:\n  mode: add\noutput:\n  image:\n    format: vhdx\n", "c.yaml", "/"));
  EXPECT_EQ(c.trust, TrustMode::kAdd);
  EXPECT_EQ(c.output_format, spec::OutputFormat::kVhdx);
  for (auto [text, want] : {
           std::pair{"trust:\n  mode: all\n", "c.yaml:2:9: bad trust.mode 'all'"},
           {"trust:\n  mod: add\n", "c.yaml:2:3: unknown key 'mod' in 'trust'"},
           {"output:\n  image:\n    format: iso\n", "c.yaml:3:13: bad output.image.format 'iso'"},
           {"output:\n  image:\n    path: x.raw\n", "c.yaml:3:5: output.image.path cannot be"},
           {"output:\n  artifacts: {}\n", "c.yaml:2:3: unknown key 'artifacts' in 'output'"},
       }) {
    auto r = ParseConfig(text, "c.yaml", "/");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_THAT(r.error().message(), HasSubstr(want)) << text;
  }
}

}  // namespace
}  // namespace hull::customize

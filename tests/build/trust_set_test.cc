// The trust set the build ships in /usr (node::kTrustDir): the image's own
// db and verity certificates and the next ones from the key directory,
// read back with the node's reader (slot::LoadTrustSet).
#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "build/node_files.h"
#include "slot/trust.h"
#include "support/status_matchers.h"

namespace hull::build {
namespace {
namespace fs = std::filesystem;

crypto::Certificate Cert(const crypto::PrivateKey& key, const std::string& cn) {
  crypto::CertificateOptions co;
  co.common_name = cn;
  auto c = crypto::Certificate::CreateSelfSigned(key, co);
  EXPECT_OK(c);
  return *c;
}

struct Keys {
  SigningKeys keys;
  crypto::Certificate next_db, next_verity;
};

Keys MakeKeys() {
  auto k = crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  EXPECT_OK(k);
  return {SigningKeys{Cert(*k, "db"), Cert(*k, "verity")}, Cert(*k, "next db"),
          Cert(*k, "next verity")};
}

std::string Fp(const crypto::Certificate& c) { return HexEncode(c.Fingerprint()); }

TEST(TrustSet, OwnAndNextCertificatesGoToUsrLibHullTrust) {
  auto t = TempDir::Create("hull-trust-build");
  ASSERT_OK(t);
  const std::string key_dir = t->path() + "/keys", work = t->path() + "/work";
  Keys k = MakeKeys();
  fs::create_directories(key_dir + "/trust/db");
  fs::create_directories(key_dir + "/trust/verity");
  ASSERT_OK(WriteFileAtomic(key_dir + "/trust/db/next.crt", k.next_db.ToPem()));
  ASSERT_OK(WriteFileAtomic(key_dir + "/trust/verity/next.crt", k.next_verity.ToDer()));
  spec::ImageSpec s;
  ASSERT_OK(AddTrustSet(k.keys, key_dir, work, s));
  std::vector<std::string> dests;
  for (const auto& f : s.files) dests.push_back(f.dest);
  EXPECT_EQ(dests,
            (std::vector<std::string>{
                "/usr/lib/hull/trust/db/db.crt", "/usr/lib/hull/trust/db/next.crt",
                "/usr/lib/hull/trust/verity/verity.crt", "/usr/lib/hull/trust/verity/next.crt"}));
  // What the node reads from the copies (in name order: db.crt, next.crt).
  auto set = slot::LoadTrustSet(work + "/node/trust");
  ASSERT_OK(set);
  ASSERT_EQ(set->db.size(), 2u);
  ASSERT_EQ(set->verity.size(), 2u);
  EXPECT_EQ(Fp(set->db[0]), Fp(k.keys.db_cert));
  EXPECT_EQ(Fp(set->db[1]), Fp(k.next_db));
  EXPECT_EQ(Fp(set->verity[0]), Fp(k.next_verity));  // "next.crt" < "verity.crt"
  EXPECT_EQ(Fp(set->verity[1]), Fp(k.keys.verity_cert));
}

TEST(TrustSet, DevelopmentKeysShipTheirOwnCertificatesOnly) {
  auto t = TempDir::Create("hull-trust-build");
  ASSERT_OK(t);
  Keys k = MakeKeys();
  spec::ImageSpec s;
  ASSERT_OK(AddTrustSet(k.keys, "", t->path(), s));
  EXPECT_EQ(s.files.size(), 2u);
}

TEST(TrustSet, RefusesANextCertificateNamedLikeTheOwnOne) {
  auto t = TempDir::Create("hull-trust-build");
  ASSERT_OK(t);
  Keys k = MakeKeys();
  fs::create_directories(t->path() + "/keys/trust/verity");
  ASSERT_OK(WriteFileAtomic(t->path() + "/keys/trust/verity/verity.crt", k.next_verity.ToPem()));
  spec::ImageSpec s;
  auto st = AddTrustSet(k.keys, t->path() + "/keys", t->path() + "/work", s);
  ASSERT_ERROR(st, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hull::build

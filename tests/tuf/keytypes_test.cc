// Key types and key ids against vectors made by securesystemslib (not Hull):
// data/keytypes-root.json and data/keytypes-targets.json, written by
// data/make_keytypes_root.py (the command is at its top). Also: Hull's writer
// signing with each key type its client verifies.
#include <gtest/gtest.h>

#include "base/file.h"
#include "tuf/client.h"
#include "tuf/repository.h"

namespace hull::tuf {
namespace {

using json = nlohmann::json;

Bytes Vector(const std::string& name) {
  auto b = ReadFileBytes(std::string(HULL_TUF_TEST_DATA) + "/" + name, 1 << 20);
  EXPECT_TRUE(b.ok()) << name;
  return b.ok() ? *b : Bytes{};
}

struct Loaded {
  Envelope env;
  Root root;
};

Loaded LoadRoot() {
  Bytes b = Vector("keytypes-root.json");
  auto env = ParseEnvelope(b, Role::kRoot);
  EXPECT_TRUE(env.ok()) << env.error().ToString();
  auto root = ParseRoot(env->signed_json);
  EXPECT_TRUE(root.ok()) << root.error().ToString();
  return {*env, *root};
}

TEST(KeyTypes, SecuresystemslibRootWithEveryKeyTypeVerifies) {
  Loaded l = LoadRoot();
  ASSERT_EQ(l.root.keys.size(), 5u);
  EXPECT_EQ(l.root.keys.at("ecdsa-p256-key").sig_scheme, crypto::SignatureScheme::kEcdsaP256Sha256);
  EXPECT_EQ(l.root.keys.at("ecdsa-p384-key").sig_scheme, crypto::SignatureScheme::kEcdsaP384Sha384);
  EXPECT_EQ(l.root.keys.at("rsa-pss-key").sig_scheme, crypto::SignatureScheme::kRsaPssSha256);
  // Threshold 4 of 4: every key type's signature has to verify.
  auto st = VerifyRole(l.env, l.root, Role::kRoot);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
}

TEST(KeyTypes, EachKeyTypesSignatureIsChecked) {
  for (const char* id : {"ed25519-key", "ecdsa-p256-key", "ecdsa-p384-key", "rsa-pss-key"}) {
    Loaded l = LoadRoot();
    for (auto& sig : l.env.signatures) {
      if (sig.keyid == id) sig.sig[sig.sig.size() / 2] ^= 1;
    }
    EXPECT_EQ(VerifyRole(l.env, l.root, Role::kRoot).error().code(), ErrorCode::kBadSignature)
        << id;
  }
}

TEST(KeyTypes, SignatureUnderTheWrongSchemeDoesNotCount) {
  // The P-384 key relabelled as P-256: a key that does not fit its scheme is
  // malformed metadata, not a usable key.
  Loaded l = LoadRoot();
  json k = l.env.signed_json["keys"]["ecdsa-p384-key"];
  k["scheme"] = "ecdsa-sha2-nistp256";
  EXPECT_EQ(ParseKey(k).error().code(), ErrorCode::kCorrupt);
  k["scheme"] = "ecdsa-sha2-nistp521";
  EXPECT_EQ(ParseKey(k).error().code(), ErrorCode::kUnsupported);
}

TEST(KeyIds, OpaqueIdsAndExtraKeyFieldsAreAccepted) {
  Loaded l = LoadRoot();
  // None of the ids is a hash of its key, and the keys carry
  // keyid_hash_algorithms and x-tuf-on-ci-keyowner.
  EXPECT_TRUE(l.env.signed_json["keys"]["ed25519-key"].contains("x-tuf-on-ci-keyowner"));
  EXPECT_NE(KeyId(l.root.keys.at("ed25519-key")), "ed25519-key");
  EXPECT_TRUE(VerifyRole(l.env, l.root, Role::kRoot).ok());
}

TEST(KeyIds, OneKeyUnderTwoIdsCountsOnce) {
  // targets: threshold 2 over the Ed25519 key and the same key in upper-case
  // hex under a second id; signed by that key under both ids.
  Loaded l = LoadRoot();
  Bytes b = Vector("keytypes-targets.json");
  auto env = ParseEnvelope(b, Role::kTargets);
  ASSERT_TRUE(env.ok());
  ASSERT_EQ(env->signatures.size(), 2u);
  EXPECT_EQ(VerifyRole(*env, l.root, Role::kTargets).error().code(), ErrorCode::kBadSignature);
  // With threshold 1 the same signature is enough: it was the count, not the signature.
  l.root.roles[Role::kTargets].threshold = 1;
  EXPECT_TRUE(VerifyRole(*env, l.root, Role::kTargets).ok());
}

TEST(KeyIds, DuplicateIdInARoleIsCorrupt) {
  Loaded l = LoadRoot();
  json s = l.env.signed_json;
  s["roles"]["snapshot"]["keyids"] = {"ecdsa-p256-key", "ecdsa-p256-key"};
  EXPECT_EQ(ParseRoot(s).error().code(), ErrorCode::kCorrupt);
}

TEST(KeyIds, SameSignatureTwiceCountsOnce) {
  Loaded l = LoadRoot();
  l.root.roles[Role::kRoot].threshold = 5;
  l.env.signatures.push_back(l.env.signatures[0]);
  EXPECT_EQ(VerifyRole(l.env, l.root, Role::kRoot).error().code(), ErrorCode::kBadSignature);
}

class WriterKeyTypes : public ::testing::TestWithParam<crypto::KeyType> {};

TEST_P(WriterKeyTypes, RepositorySignedWithTheTypeRefreshes) {
  auto d = TempDir::Create("hull-tuf-keytypes");
  ASSERT_TRUE(d.ok());
  std::string repo = d->path() + "/repo";
  auto keys = RoleKeySet::Load(d->path() + "/keys", true, GetParam());
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  ASSERT_TRUE(Repository::Init(repo, *keys).ok());
  ASSERT_TRUE(WriteFileAtomic(d->path() + "/t", "payload").ok());
  ASSERT_TRUE(Repository::AddTarget(repo, *keys, d->path() + "/t", "t.raw", json::object()).ok());
  Bytes root = *ReadFileBytes(repo + "/1.root.json");
  auto env = ParseEnvelope(root, Role::kRoot);
  std::string id = env->signed_json["roles"]["root"]["keyids"][0];
  EXPECT_EQ(env->signed_json["keys"][id]["scheme"],
            crypto::SignatureSchemeName(
                crypto::SchemeFor(crypto::PublicKey::Of(keys->keys[Role::kRoot][0]))));
  auto c = Client::Create(MakeFetcher(repo), root, ClientOptions{});
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  auto st = c->Refresh();
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(*c->FetchTarget("t.raw"), Bytes({'p', 'a', 'y', 'l', 'o', 'a', 'd'}));
}

INSTANTIATE_TEST_SUITE_P(All, WriterKeyTypes,
                         ::testing::Values(crypto::KeyType::kEd25519, crypto::KeyType::kEcdsaP256,
                                           crypto::KeyType::kEcdsaP384, crypto::KeyType::kRsa2048));

}  // namespace
}  // namespace hull::tuf

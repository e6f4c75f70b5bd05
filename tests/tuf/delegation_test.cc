// Delegated targets roles: which role covers which target path, and what a
// delegations object must hold. The search itself (order, terminating roles,
// cycles, a role reached through two delegators) is proved by the conformance
// suite's test_graph_traversal, test_targetfile_search and
// test_cached_role_is_verified_against_current_delegator (tuf_conformance_test).
#include <gtest/gtest.h>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "support/status_matchers.h"
#include "tuf/client.h"
#include "tuf/repository.h"

namespace hull::tuf {
namespace {

using json = nlohmann::json;

TEST(Delegation, PathPatternsMatchSegmentBySegment) {
  DelegatedRole r;
  r.paths = {"releases/*.zip", "a/?/c", "exact"};
  EXPECT_TRUE(r.Covers("releases/x.zip"));
  EXPECT_FALSE(r.Covers("releases/y/x.zip"));  // '*' does not cross '/'
  EXPECT_TRUE(r.Covers("a/b/c"));
  EXPECT_FALSE(r.Covers("a/bb/c"));
  EXPECT_TRUE(r.Covers("exact"));
  EXPECT_FALSE(r.Covers("exact/"));
}

TEST(Delegation, HashPrefixesOverTheSha256OfThePath) {
  // printf %s file.txt | sha256sum -> aadf327c...
  DelegatedRole r;
  r.path_hash_prefixes = {"aad"};
  EXPECT_TRUE(r.Covers("file.txt"));
  r.path_hash_prefixes = {"00", "aae"};
  EXPECT_FALSE(r.Covers("file.txt"));
}

json TargetsWith(json delegations) {
  return json{{"_type", "targets"},
              {"spec_version", "1.0.31"},
              {"version", 1},
              {"expires", "2099-01-01T00:00:00Z"},
              {"targets", json::object()},
              {"delegations", std::move(delegations)}};
}

json Role(const std::string& name) {
  return json{{"name", name},
              {"keyids", json::array()},
              {"threshold", 1},
              {"terminating", false},
              {"paths", {"*"}}};
}

TEST(Delegation, ParsesRolesInOrder) {
  auto t = ParseTargets(TargetsWith({{"keys", json::object()}, {"roles", {Role("b"), Role("a")}}}));
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  ASSERT_TRUE(t->delegations);
  ASSERT_EQ(t->delegations->roles.size(), 2u);
  EXPECT_EQ(t->delegations->roles[0].name, "b");
}

TEST(Delegation, MalformedDelegationsAreCorrupt) {
  json both = Role("x");
  both["path_hash_prefixes"] = {"00"};
  json neither = Role("x");
  neither.erase("paths");
  for (const json& roles :
       {json{Role("x"), Role("x")}, json{Role("snapshot")}, json{both}, json{neither}}) {
    auto t = ParseTargets(TargetsWith({{"keys", json::object()}, {"roles", roles}}));
    ASSERT_FALSE(t.ok()) << roles.dump();
    EXPECT_EQ(t.error().code(), ErrorCode::kCorrupt) << roles.dump();
  }
}

// A targets role delegating "*" to `roles` roles, each signed by one key
// and naming no target. The search visits them all unless the cap stops it.
class DelegationCap : public ::testing::Test {
 protected:
  Result<Client> RepositoryWith(size_t roles) {
    HULL_ASSIGN_OR_RETURN(TempDir d, TempDir::Create("hull-tuf-cap"));
    dir_ = std::make_unique<TempDir>(std::move(d));
    const std::string repo = dir_->path() + "/repo";
    HULL_ASSIGN_OR_RETURN(RoleKeySet keys, RoleKeySet::Load(dir_->path() + "/keys", true));
    HULL_TRY(Repository::Init(repo, keys));
    HULL_ASSIGN_OR_RETURN(crypto::PrivateKey dk,
                          crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
    Key k = KeyFromPublic(crypto::PublicKey::Of(dk));
    Snapshot s;
    s.version = 2;
    s.expires = std::time(nullptr) + 86400;
    json delegated = json::array();
    for (size_t i = 0; i < roles; ++i) {
      std::string name = fmt::format("r{}", i);
      json role = Role(name);
      role["keyids"] = {KeyId(k)};
      delegated.push_back(role);
      Targets t;
      t.version = 1;
      t.expires = s.expires;
      HULL_ASSIGN_OR_RETURN(Bytes b, SignEnvelope(TargetsToJson(t), {&dk}));
      HULL_TRY(WriteFileAtomic(fmt::format("{}/1.{}.json", repo, name), b));
      s.meta[name + ".json"] = MetaFile{1, {}, {}};
    }
    Targets top;
    top.version = 2;
    top.expires = s.expires;
    json tj = TargetsToJson(top);
    tj["delegations"] = {{"keys", {{KeyId(k), k.ToJson()}}}, {"roles", delegated}};
    HULL_ASSIGN_OR_RETURN(Bytes tb, SignEnvelope(tj, {&keys.keys[tuf::Role::kTargets][0]}));
    HULL_TRY(WriteFileAtomic(repo + "/2.targets.json", tb));
    s.meta["targets.json"] = MetaFile{2, {}, {}};
    HULL_ASSIGN_OR_RETURN(Bytes sb,
                          SignEnvelope(SnapshotToJson(s), {&keys.keys[tuf::Role::kSnapshot][0]}));
    HULL_TRY(WriteFileAtomic(repo + "/2.snapshot.json", sb));
    Timestamp ts;
    ts.version = 2;
    ts.expires = s.expires;
    ts.snapshot = MetaFile{2, sb.size(), {{"sha256", HexEncode(crypto::Sha256(sb))}}};
    HULL_ASSIGN_OR_RETURN(
        Bytes tsb, SignEnvelope(TimestampToJson(ts), {&keys.keys[tuf::Role::kTimestamp][0]}));
    HULL_TRY(WriteFileAtomic(repo + "/timestamp.json", tsb));
    HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(repo + "/1.root.json"));
    HULL_ASSIGN_OR_RETURN(Client c, Client::Create(MakeFetcher(repo), root, ""));
    HULL_TRY(c.Refresh());
    return c;
  }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(DelegationCap, SearchEndingAtTheCapIsNotNotFound) {
  // 40 roles to visit, the cap is 32 (the top-level role among them): the
  // answer is "not searched", not "no such target".
  ASSERT_OK_AND_ASSIGN(Client c, RepositoryWith(40));
  auto r = c.LookupTarget("x");
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_NE(r.error().ToString().find("first 32 roles"), std::string::npos) << r.error().ToString();
}

TEST_F(DelegationCap, SearchThatEndsBeforeTheCapIsNotFound) {
  ASSERT_OK_AND_ASSIGN(Client c, RepositoryWith(31));  // 1 + 31 roles: every one visited
  EXPECT_ERROR(c.LookupTarget("x"), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hull::tuf

// Delegated targets roles: which role covers which target path, and what a
// delegations object must hold. The search itself (order, terminating roles,
// cycles, a role reached through two delegators) is proved by the conformance
// suite's test_graph_traversal, test_targetfile_search and
// test_cached_role_is_verified_against_current_delegator (tuf_conformance_test).
#include <gtest/gtest.h>

#include "tuf/metadata.h"

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

}  // namespace
}  // namespace hull::tuf

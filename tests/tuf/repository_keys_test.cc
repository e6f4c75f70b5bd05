// The repository writer over time (issue 16 items 3 and 4): refresh by expiry
// window, m-of-n keys per role, root rotation signed by the old and the new
// root keys, revocation, and keys kept apart (root's offline). Each outcome
// is judged by Hull's own client, which follows the TUF specification's
// workflow (5.3 root rotation: the old threshold and the new one).
#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "support/status_matchers.h"
#include "tuf/client.h"
#include "tuf/repository.h"

namespace hull::tuf {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kT0 = 1800000000;
constexpr int64_t kDay = 86400;
int64_t g_now = kT0;
int64_t Clock() { return g_now; }

class RepositoryKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    g_now = kT0;
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("hull-tuf-keys"));
    dir_ = std::make_unique<TempDir>(std::move(d));
    repo_ = dir_->path() + "/repo";
    keydir_ = dir_->path() + "/keys";
    ASSERT_OK_AND_ASSIGN(all_, RoleKeySet::Load(keydir_, true));
    ASSERT_OK(Repository::Init(repo_, all_, {}, Clock));
    root_ = *ReadFileBytes(repo_ + "/1.root.json");
    ASSERT_OK(Repository::AddTarget(repo_, all_, Write("a.raw", "first"), "a.raw", {}, {}, Clock));
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::string p = dir_->path() + "/" + name;
    EXPECT_OK(WriteFileAtomic(p, text));
    return p;
  }
  // Only the keys of these roles, each from its own file in the key directory.
  RoleKeySet Only(std::initializer_list<Role> roles) {
    KeySources src;
    for (Role r : roles) src.paths[r] = fmt::format("{}/{}.key", keydir_, RoleName(r));
    for (Role r : {Role::kRoot, Role::kTargets, Role::kSnapshot, Role::kTimestamp}) {
      if (!src.paths.count(r)) src.paths[r] = dir_->path() + "/empty";
    }
    fs::create_directories(dir_->path() + "/empty");
    return *RoleKeySet::Load(src);
  }
  // A client that persists its state across calls, at time `now`.
  Result<Client> Refresh(int64_t now) {
    ClientOptions o;
    o.state_dir = dir_->path() + "/state";
    o.clock = [now] { return now; };
    HULL_ASSIGN_OR_RETURN(Client c, Client::Create(MakeFetcher(repo_), root_, std::move(o)));
    HULL_TRY(c.Refresh());
    return c;
  }
  Result<Timestamp> CurrentTimestamp() {
    HULL_ASSIGN_OR_RETURN(Bytes b, ReadFileBytes(repo_ + "/timestamp.json"));
    HULL_ASSIGN_OR_RETURN(Envelope e, ParseEnvelope(b, Role::kTimestamp));
    return ParseTimestamp(e.signed_json);
  }
  crypto::PrivateKey NewKey(crypto::KeyType type = crypto::KeyType::kEd25519) {
    return *crypto::PrivateKey::Generate(type);
  }
  Result<Root> Change(RoleKeySet& keys, KeyChange::Kind kind, Role role,
                      const crypto::PrivateKey* add, std::optional<uint64_t> threshold = {},
                      std::string revoke = "") {
    KeyChange c{kind, role, {}, std::move(revoke), threshold};
    if (add) {
      c.add.push_back(crypto::PublicKey::Of(*add));
      keys.Add(role, *add);
    }
    return Repository::ChangeKeys(repo_, keys, c, {}, Clock);
  }
  // Publishes targets (and the snapshot and timestamp naming them) signed by
  // `targets_key` alone, whatever root says: what a holder of that key and of
  // the online keys can put on the server.
  void PublishTargetsSignedBy(const crypto::PrivateKey& targets_key) {
    ASSERT_OK_AND_ASSIGN(Targets t, Repository::ReadTargets(repo_));
    ASSERT_OK_AND_ASSIGN(Timestamp ts, CurrentTimestamp());
    t.version += 1;
    t.targets["evil.raw"] =
        TargetFile{4, {{"sha256", HexEncode(crypto::Sha256(AsBytes("evil")))}}, {}};
    ASSERT_OK_AND_ASSIGN(Bytes tb, SignEnvelope(TargetsToJson(t), {&targets_key}));
    ASSERT_OK(WriteFileAtomic(fmt::format("{}/{}.targets.json", repo_, t.version), tb));
    Snapshot s;
    s.version = ts.snapshot.version + 1;
    s.expires = g_now + 7 * kDay;
    s.meta["targets.json"] =
        MetaFile{t.version, tb.size(), {{"sha256", HexEncode(crypto::Sha256(tb))}}};
    ASSERT_OK_AND_ASSIGN(Bytes sb,
                         SignEnvelope(SnapshotToJson(s), {&all_.keys[Role::kSnapshot][0]}));
    ASSERT_OK(WriteFileAtomic(fmt::format("{}/{}.snapshot.json", repo_, s.version), sb));
    ts.version += 1;
    ts.snapshot = MetaFile{s.version, sb.size(), {{"sha256", HexEncode(crypto::Sha256(sb))}}};
    ASSERT_OK_AND_ASSIGN(Bytes tsb,
                         SignEnvelope(TimestampToJson(ts), {&all_.keys[Role::kTimestamp][0]}));
    ASSERT_OK(WriteFileAtomic(repo_ + "/timestamp.json", tsb));
  }

  std::unique_ptr<TempDir> dir_;
  std::string repo_, keydir_;
  RoleKeySet all_;
  Bytes root_;
};

TEST_F(RepositoryKeys, RefreshWithOnlyTheTimestampKeyKeepsTheRepositoryAlive) {
  g_now = kT0 + 20 * 3600;  // the one-day timestamp is within the three-day window
  ASSERT_OK_AND_ASSIGN(auto roles, Repository::Refresh(repo_, Only({Role::kTimestamp}), {}, Clock));
  EXPECT_EQ(roles, std::vector<Role>{Role::kTimestamp});
  // Valid for a day from the refresh, not from the release.
  EXPECT_OK(Refresh(kT0 + 40 * 3600));
}

TEST_F(RepositoryKeys, SnapshotAndTargetsAreResignedNearTheirExpiry) {
  // At T0 + 5 d the 7-day snapshot is due; refreshing with all online keys
  // gives it a new week, so a client at T0 + 8 d still accepts the repository.
  g_now = kT0 + 5 * kDay;
  ASSERT_OK_AND_ASSIGN(
      auto roles, Repository::Refresh(
                      repo_, Only({Role::kTargets, Role::kSnapshot, Role::kTimestamp}), {}, Clock));
  EXPECT_EQ(roles, (std::vector<Role>{Role::kSnapshot, Role::kTimestamp}));
  g_now = kT0 + 8 * kDay;
  ASSERT_OK(Repository::Refresh(repo_, Only({Role::kTimestamp}), {}, Clock));
  EXPECT_OK(Refresh(kT0 + 8 * kDay + 60));
  // Targets (90 days) comes due at 87 days and is re-signed with its key.
  g_now = kT0 + 88 * kDay;
  ASSERT_OK_AND_ASSIGN(roles, Repository::Refresh(repo_, all_, {}, Clock));
  EXPECT_EQ(roles, (std::vector<Role>{Role::kTargets, Role::kSnapshot, Role::kTimestamp}));
  ASSERT_OK_AND_ASSIGN(Client c, Refresh(g_now + 60));
  EXPECT_EQ(c.targets().expires, g_now + 90 * kDay);
}

TEST_F(RepositoryKeys, DueRoleWithoutItsKeyIsNamedAndTheRestIsPublished) {
  g_now = kT0 + 5 * kDay;
  ASSERT_OK_AND_ASSIGN(Timestamp before, CurrentTimestamp());
  auto r = Repository::Refresh(repo_, Only({Role::kTimestamp}), {}, Clock);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_NE(r.error().ToString().find("snapshot"), std::string::npos) << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("--snapshot-keys"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(Timestamp after, CurrentTimestamp());
  EXPECT_EQ(after.version, before.version + 1);  // the timestamp was still re-signed
  EXPECT_EQ(after.snapshot.version, before.snapshot.version);
}

TEST_F(RepositoryKeys, ExpiredRepositoryIsRefusedThenRefreshedThenAccepted) {
  g_now = kT0 + 10 * kDay;
  EXPECT_ERROR(Refresh(g_now), ErrorCode::kExpired);
  ASSERT_OK(Repository::Refresh(repo_, all_, {}, Clock));
  EXPECT_OK(Refresh(g_now));
}

TEST_F(RepositoryKeys, ReleaseAndRefreshNeedNoRootKey) {
  ASSERT_OK(Repository::AddTarget(repo_, Only({Role::kTargets, Role::kSnapshot, Role::kTimestamp}),
                                  Write("b.raw", "second"), "b.raw", {}, {}, Clock));
  ASSERT_OK_AND_ASSIGN(Client c, Refresh(kT0 + 60));
  EXPECT_OK(c.FindTarget("b.raw"));
  // Root is re-signed only when asked, and then its key is needed.
  RefreshOptions o;
  o.root = true;
  auto r = Repository::Refresh(repo_, Only({Role::kTimestamp}), o, Clock);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_NE(r.error().ToString().find("--root-keys"), std::string::npos) << r.error().ToString();
}

TEST_F(RepositoryKeys, RootNearItsExpiryIsNamedUntilResigned) {
  g_now = kT0 + 363 * kDay;
  auto r = Repository::Refresh(repo_, all_, {}, Clock);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_NE(r.error().ToString().find("root expires"), std::string::npos) << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("--root"), std::string::npos);
  RefreshOptions o;
  o.root = true;
  ASSERT_OK_AND_ASSIGN(auto roles, Repository::Refresh(repo_, all_, o, Clock));
  EXPECT_EQ(roles.front(), Role::kRoot);
  ASSERT_OK_AND_ASSIGN(Client c, Refresh(g_now + 60));
  EXPECT_EQ(c.root().version, 2u);
  EXPECT_EQ(c.root().expires, g_now + 365 * kDay);
}

TEST_F(RepositoryKeys, MissingTargetsKeyRefusesBeforeAnyWrite) {
  ASSERT_OK_AND_ASSIGN(Bytes before, ReadFileBytes(repo_ + "/timestamp.json"));
  auto st = Repository::AddTarget(repo_, Only({Role::kSnapshot, Role::kTimestamp}),
                                  Write("b.raw", "second"), "b.raw", {}, {}, Clock);
  ASSERT_ERROR(st, ErrorCode::kNotFound);
  EXPECT_NE(st.error().ToString().find("the targets role needs 1"), std::string::npos)
      << st.error().ToString();
  EXPECT_NE(st.error().ToString().find("--targets-keys"), std::string::npos);
  EXPECT_EQ(*ReadFileBytes(repo_ + "/timestamp.json"), before);
  EXPECT_FALSE(fs::exists(fmt::format("{}/3.targets.json", repo_)));
  size_t copied = 0;
  for (const auto& e : fs::directory_iterator(repo_ + "/targets"))
    copied += e.path().string().ends_with(".b.raw");
  EXPECT_EQ(copied, 0u);
}

TEST_F(RepositoryKeys, RootRotationToTwoOfThreeNewKeys) {
  ASSERT_OK(Refresh(kT0 + 60));  // the client trusts root version 1
  RoleKeySet keys = Only({Role::kRoot});
  crypto::PrivateKey k1 = NewKey(), k2 = NewKey(crypto::KeyType::kEcdsaP256),
                     k3 = NewKey(crypto::KeyType::kRsa2048);
  ASSERT_OK(Change(keys, KeyChange::Kind::kRotate, Role::kRoot, &k1));
  ASSERT_OK(Change(keys, KeyChange::Kind::kAdd, Role::kRoot, &k2));
  ASSERT_OK_AND_ASSIGN(Root r, Change(keys, KeyChange::Kind::kAdd, Role::kRoot, &k3, 2));
  EXPECT_EQ(r.version, 4u);
  EXPECT_EQ(r.roles.at(Role::kRoot).threshold, 2u);
  EXPECT_EQ(r.roles.at(Role::kRoot).keyids.size(), 3u);
  EXPECT_EQ(r.keys.size(), 6u);  // the old root key left with its role
  ASSERT_OK_AND_ASSIGN(Client c, Refresh(kT0 + 120));
  EXPECT_EQ(c.root().version, 4u);

  // One of the new keys alone can no longer make a root, neither through the
  // writer nor behind its back.
  KeySources only_k1;
  std::string k1_path = dir_->path() + "/k1.key";
  ASSERT_OK(WriteFileAtomic(k1_path, k1.ToPem(), 0600));
  only_k1.paths[Role::kRoot] = k1_path;
  ASSERT_OK_AND_ASSIGN(RoleKeySet one, RoleKeySet::Load(only_k1));
  RefreshOptions o;
  o.root = true;
  auto refused = Repository::Refresh(repo_, one, o, Clock);
  ASSERT_ERROR(refused, ErrorCode::kNotFound);
  EXPECT_NE(refused.error().ToString().find("the root role needs 2 of its keys, 1 found"),
            std::string::npos)
      << refused.error().ToString();
  r.version = 5;
  ASSERT_OK_AND_ASSIGN(Bytes forged, SignEnvelope(RootToJson(r), {&k1}));
  ASSERT_OK(WriteFileAtomic(repo_ + "/5.root.json", forged));
  EXPECT_ERROR(Refresh(kT0 + 180), ErrorCode::kBadSignature);
  // Two of the three do.
  ASSERT_OK_AND_ASSIGN(Bytes good, SignEnvelope(RootToJson(r), {&k1, &k3}));
  ASSERT_OK(WriteFileAtomic(repo_ + "/5.root.json", good));
  EXPECT_OK(Refresh(kT0 + 180));
}

TEST_F(RepositoryKeys, NewRootNeedsTheOldRootsThreshold) {
  // Root 2-of-2 (the original key and k1); rotating to k2 needs both old keys.
  RoleKeySet keys = Only({Role::kRoot});
  crypto::PrivateKey k1 = NewKey(), k2 = NewKey();
  ASSERT_OK(Change(keys, KeyChange::Kind::kAdd, Role::kRoot, &k1, 2));
  RoleKeySet without_original;
  without_original.Add(Role::kRoot, k1);
  auto st = Change(without_original, KeyChange::Kind::kRotate, Role::kRoot, &k2, 1);
  ASSERT_ERROR(st, ErrorCode::kNotFound);
  EXPECT_NE(st.error().ToString().find("trusted root version 2"), std::string::npos)
      << st.error().ToString();
  ASSERT_OK(Change(keys, KeyChange::Kind::kRotate, Role::kRoot, &k2, 1));
  ASSERT_OK_AND_ASSIGN(Client c, Refresh(kT0 + 60));
  EXPECT_EQ(c.root().version, 3u);
}

TEST_F(RepositoryKeys, RevokedTargetsKeyNoLongerCounts) {
  crypto::PrivateKey a = all_.keys[Role::kTargets][0], b = NewKey();
  RoleKeySet keys = all_;
  ASSERT_OK(Change(keys, KeyChange::Kind::kAdd, Role::kTargets, &b));
  ASSERT_OK_AND_ASSIGN(Client c, Refresh(kT0 + 60));
  std::string a_id = c.root().roles.at(Role::kTargets).keyids.front();
  // Revoking `a` voids the targets it signed: the writer re-signs them with b.
  RoleKeySet without_a = Only({Role::kRoot, Role::kSnapshot, Role::kTimestamp});
  without_a.Add(Role::kTargets, b);
  ASSERT_OK_AND_ASSIGN(Root r, Change(without_a, KeyChange::Kind::kRevoke, Role::kTargets, nullptr,
                                      {}, a_id.substr(0, 12)));
  EXPECT_EQ(r.roles.at(Role::kTargets).keyids.size(), 1u);
  EXPECT_OK(Refresh(kT0 + 120));
  // Whoever still holds `a` (and the online keys) publishes targets: refused.
  PublishTargetsSignedBy(a);
  EXPECT_ERROR(Refresh(kT0 + 180), ErrorCode::kBadSignature);
  // Signed by b instead, the same publication passes: the refusal was a's.
  PublishTargetsSignedBy(b);
  EXPECT_OK(Refresh(kT0 + 240));
}

TEST_F(RepositoryKeys, TwoOfTwoTargetsKeysSignEveryRelease) {
  crypto::PrivateKey b = NewKey(crypto::KeyType::kEcdsaP384);
  RoleKeySet keys = all_;
  ASSERT_OK(Change(keys, KeyChange::Kind::kAdd, Role::kTargets, &b, 2));
  ASSERT_OK(Repository::AddTarget(repo_, keys, Write("b.raw", "second"), "b.raw", {}, {}, Clock));
  ASSERT_OK_AND_ASSIGN(Client c, Refresh(kT0 + 60));
  EXPECT_OK(c.FindTarget("b.raw"));
  // One of the two is not enough for the next release.
  auto st = Repository::AddTarget(repo_, all_, Write("c.raw", "third"), "c.raw", {}, {}, Clock);
  ASSERT_ERROR(st, ErrorCode::kNotFound);
  EXPECT_NE(st.error().ToString().find("the targets role needs 2 of its keys, 1 found"),
            std::string::npos)
      << st.error().ToString();
}

TEST_F(RepositoryKeys, ImpossibleThresholdsAndUnknownKeysAreRefused) {
  RoleKeySet keys = all_;
  EXPECT_ERROR(Change(keys, KeyChange::Kind::kThreshold, Role::kTargets, nullptr, 2),
               ErrorCode::kInvalidArgument);
  EXPECT_ERROR(Change(keys, KeyChange::Kind::kThreshold, Role::kTargets, nullptr, 0),
               ErrorCode::kInvalidArgument);
  EXPECT_ERROR(Change(keys, KeyChange::Kind::kRevoke, Role::kTargets, nullptr, {}, "zz"),
               ErrorCode::kInvalidArgument);
  // Revoking a role's only key would leave it below its threshold.
  ASSERT_OK_AND_ASSIGN(Root r, Repository::ReadRoot(repo_));
  EXPECT_ERROR(Change(keys, KeyChange::Kind::kRevoke, Role::kSnapshot, nullptr, {},
                      r.roles.at(Role::kSnapshot).keyids[0]),
               ErrorCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(Root same, Repository::ReadRoot(repo_));
  EXPECT_EQ(same.version, 1u);
}

}  // namespace
}  // namespace hull::tuf

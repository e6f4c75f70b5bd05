// Offline signing of release metadata (release/offline.h, docs/keys.md):
// the targets composed and stopped, signed by SignDirectory, injected. The
// outcome is judged by Hull's TUF client (the node's update path) and, with
// Ed25519, against the same change published with the key at hand: the
// targets metadata must be the same bytes. Root metadata the same way
// (OfflineRoot). Each refusal leaves the repository as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "base/file.h"
#include "release/offline.h"
#include "signing/manifest.h"
#include "support/status_matchers.h"
#include "tuf/canonical_json.h"
#include "tuf/client.h"

namespace hull::release {
namespace {

namespace fs = std::filesystem;
using tuf::Repository;
using tuf::Role;
using tuf::RoleKeySet;
using tuf::Root;
constexpr int64_t kT0 = 1800000000;
constexpr int64_t kDay = 86400;
int64_t g_now = kT0;
int64_t Clock() { return g_now; }

class OfflineTargets : public ::testing::Test {
 protected:
  void SetUp() override {
    g_now = kT0;
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("hull-release-offline"));
    dir_ = std::make_unique<TempDir>(std::move(d));
    keydir_ = dir_->path() + "/keys";
    ASSERT_OK_AND_ASSIGN(all_, RoleKeySet::Load(keydir_, true));
    online_ = Only({Role::kSnapshot, Role::kTimestamp});
    for (const char* r : {"a", "b"}) ASSERT_OK(Repository::Init(Repo(r), all_, {}, Clock));
    file_ = dir_->path() + "/image.raw";
    ASSERT_OK(WriteFileAtomic(file_, std::string(5000, 'x') + "release"));
    g_now = kT0 + 100;
  }
  std::string Repo(const std::string& name) { return dir_->path() + "/" + name; }
  std::string Sign() { return dir_->path() + "/tosign"; }
  RoleKeySet Only(std::initializer_list<Role> roles) {
    tuf::KeySources src;
    fs::create_directories(dir_->path() + "/empty");
    for (Role r : {Role::kRoot, Role::kTargets, Role::kSnapshot, Role::kTimestamp})
      src.paths[r] = dir_->path() + "/empty";
    for (Role r : roles) src.paths[r] = fmt::format("{}/{}.key", keydir_, tuf::RoleName(r));
    return *RoleKeySet::Load(src);
  }
  // Composes "image.raw" into repository `repo` and stops at Sign().
  void Record(const std::string& repo) {
    ASSERT_OK_AND_ASSIGN(
        auto staged,
        Repository::StageTargets(repo, {{file_, "image.raw", {{"version", "1"}}}}, {}, {}, Clock));
    ASSERT_OK(RecordTargets(repo, staged, "release add", Sign()));
  }
  void SignWithTargetsKey() {
    std::vector<signing::DirectoryKey> keys{{"targets", all_.keys[Role::kTargets][0], "targets"}};
    ASSERT_OK(signing::SignDirectory(Sign(), keys));
  }
  std::string ItemName() {
    auto m = signing::ParseManifest(*ReadFileText(Sign() + "/manifest.json"));
    EXPECT_OK(m);
    EXPECT_EQ(m->items.size(), 1u);
    return m->items.at(0).name;
  }
  // The published state: unchanged by a refused injection.
  std::string Published(const std::string& repo) {
    std::string out;
    for (const auto& e : fs::recursive_directory_iterator(repo)) {
      if (e.is_regular_file()) out += e.path().string() + ":" + *ReadFileText(e.path()) + "\n";
    }
    return out;
  }

  std::unique_ptr<TempDir> dir_;
  std::string keydir_, file_;
  RoleKeySet all_, online_;
};

TEST_F(OfflineTargets, SignedOfflineIsTheSameBytesAsWithTheKeyAndVerifies) {
  // With the key at hand...
  ASSERT_OK(
      Repository::AddTarget(Repo("a"), all_, file_, "image.raw", {{"version", "1"}}, {}, Clock));
  // ... and stopped, signed apart, injected a day later.
  const std::string before = Published(Repo("b"));
  Record(Repo("b"));
  EXPECT_EQ(Published(Repo("b")), before) << "the stop changed the repository";
  // The payload is the canonical JSON of the new targets' `signed` (spec 4.2).
  ASSERT_OK_AND_ASSIGN(Bytes a_env, ReadFileBytes(Repo("a") + "/2.targets.json"));
  ASSERT_OK_AND_ASSIGN(tuf::Envelope a, tuf::ParseEnvelope(a_env, Role::kTargets));
  ASSERT_OK_AND_ASSIGN(std::string canon, tuf::CanonicalJson(a.signed_json));
  EXPECT_EQ(*ReadFileText(Sign() + "/" + ItemName() + ".bin"), canon);
  SignWithTargetsKey();
  g_now = kT0 + kDay;
  ASSERT_OK(InjectTargets(Repo("b"), online_, "release add", Sign(), {}, Clock));
  EXPECT_EQ(*ReadFileBytes(Repo("b") + "/2.targets.json"), a_env);

  // The node's client accepts it and finds the target.
  tuf::ClientOptions o;
  o.state_dir = dir_->path() + "/state";
  o.clock = [] { return kT0 + kDay + 10; };
  ASSERT_OK_AND_ASSIGN(
      auto client, tuf::Client::Create(tuf::MakeFetcher(Repo("b")),
                                       *ReadFileBytes(Repo("b") + "/1.root.json"), std::move(o)));
  ASSERT_OK(client.Refresh());
  ASSERT_TRUE(client.targets().targets.count("image.raw"));
  ASSERT_OK_AND_ASSIGN(Bytes got, client.FetchTarget("image.raw"));
  EXPECT_EQ(got, *ReadFileBytes(file_));
}

TEST_F(OfflineTargets, ASignatureByAnotherKeyIsRefused) {
  Record(Repo("b"));
  ASSERT_OK_AND_ASSIGN(auto other, crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
  ASSERT_OK_AND_ASSIGN(Bytes payload, ReadFileBytes(Sign() + "/" + ItemName() + ".bin"));
  ASSERT_OK_AND_ASSIGN(Bytes sig,
                       crypto::SignRaw(other, crypto::SignatureAlgorithm::kEd25519, payload));
  ASSERT_OK(WriteFileAtomic(Sign() + "/" + ItemName() + ".sig", sig));
  const std::string before = Published(Repo("b"));
  EXPECT_ERROR(InjectTargets(Repo("b"), online_, "release add", Sign(), {}, Clock),
               ErrorCode::kBadSignature);
  EXPECT_EQ(Published(Repo("b")), before);
}

TEST_F(OfflineTargets, AMissingSignatureIsRefused) {
  Record(Repo("b"));
  const std::string before = Published(Repo("b"));
  EXPECT_ERROR(InjectTargets(Repo("b"), online_, "release add", Sign(), {}, Clock),
               ErrorCode::kNotFound);
  EXPECT_EQ(Published(Repo("b")), before);
}

TEST_F(OfflineTargets, ARepositoryThatMovedOnIsRefused) {
  Record(Repo("b"));
  SignWithTargetsKey();
  ASSERT_OK(Repository::AddTarget(Repo("b"), all_, file_, "other.raw", {}, {}, Clock));
  const std::string before = Published(Repo("b"));
  EXPECT_ERROR(InjectTargets(Repo("b"), online_, "release add", Sign(), {}, Clock),
               ErrorCode::kRefused);
  EXPECT_EQ(Published(Repo("b")), before);
}

TEST_F(OfflineTargets, AnExpiredStopIsRefused) {
  Record(Repo("b"));
  SignWithTargetsKey();
  g_now = kT0 + 100 + tuf::Expiry{}.targets;  // the targets' expiry, fixed at the stop
  const std::string before = Published(Repo("b"));
  EXPECT_ERROR(InjectTargets(Repo("b"), online_, "release add", Sign(), {}, Clock),
               ErrorCode::kRefused);
  EXPECT_EQ(Published(Repo("b")), before);
}

TEST_F(OfflineTargets, ADirectoryOfAnotherCommandOrAStagedFileSwappedIsRefused) {
  Record(Repo("b"));
  SignWithTargetsKey();
  const std::string before = Published(Repo("b"));
  EXPECT_ERROR(InjectTargets(Repo("b"), online_, "release pull", Sign(), {}, Clock),
               ErrorCode::kRefused);
  for (const auto& e : fs::directory_iterator(Sign() + "/" + signing::kStagedDir)) {
    ASSERT_OK(WriteFileAtomic(e.path().string(), std::string("swapped")));
  }
  EXPECT_ERROR(InjectTargets(Repo("b"), online_, "release add", Sign(), {}, Clock),
               ErrorCode::kRefused);
  EXPECT_EQ(Published(Repo("b")), before);
}

// m of n: the targets role with two keys and threshold 2 needs both; each
// signs its own item (SigningItemName: one per key).
TEST_F(OfflineTargets, ATwoOfTwoTargetsRoleNeedsBothSignatures) {
  ASSERT_OK_AND_ASSIGN(auto second, crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
  all_.Add(Role::kTargets, second);
  tuf::KeyChange add{.kind = tuf::KeyChange::Kind::kAdd,
                     .role = Role::kTargets,
                     .add = {crypto::PublicKey::Of(second)},
                     .revoke = {},
                     .threshold = 2};
  ASSERT_OK(Repository::ChangeKeys(Repo("b"), all_, add, {}, Clock));
  Record(Repo("b"));
  ASSERT_OK_AND_ASSIGN(auto m, signing::ParseManifest(*ReadFileText(Sign() + "/manifest.json")));
  ASSERT_EQ(m.items.size(), 2u);
  std::vector<signing::DirectoryKey> first{{"", all_.keys[Role::kTargets][0], "first"}};
  ASSERT_OK(signing::SignDirectory(Sign(), first));
  const std::string before = Published(Repo("b"));
  EXPECT_ERROR(InjectTargets(Repo("b"), online_, "release add", Sign(), {}, Clock),
               ErrorCode::kNotFound);
  EXPECT_EQ(Published(Repo("b")), before);
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", second, "second"}}));
  ASSERT_OK(InjectTargets(Repo("b"), online_, "release add", Sign(), {}, Clock));
  ASSERT_OK_AND_ASSIGN(Bytes env, ReadFileBytes(Repo("b") + "/3.targets.json"));
  ASSERT_OK_AND_ASSIGN(Root root, Repository::ReadRoot(Repo("b")));
  ASSERT_OK_AND_ASSIGN(tuf::Envelope e, tuf::ParseEnvelope(env, Role::kTargets));
  EXPECT_EQ(e.signatures.size(), 2u);
  EXPECT_OK(tuf::VerifyRole(e, root, Role::kTargets));
}

// ECDSA P-256 and RSA (rsassa-pss-sha256) targets keys: randomized
// signatures, so the result is judged by verification, not by bytes.
TEST_F(OfflineTargets, EcdsaAndRsaTargetsKeysSignOffline) {
  for (auto type : {crypto::KeyType::kEcdsaP256, crypto::KeyType::kRsa2048}) {
    SCOPED_TRACE(int(type));
    const std::string repo = dir_->path() + fmt::format("/typed{}", int(type));
    const std::string keys = repo + "-keys", tosign = repo + "-tosign";
    ASSERT_OK_AND_ASSIGN(auto typed, RoleKeySet::Load(keys, true, type));
    ASSERT_OK(Repository::Init(repo, typed, {}, Clock));
    ASSERT_OK_AND_ASSIGN(auto staged,
                         Repository::StageTargets(repo, {{file_, "image.raw", {}}}, {}, {}, Clock));
    ASSERT_OK(RecordTargets(repo, staged, "release add", tosign));
    ASSERT_OK(signing::SignDirectory(tosign, {{"targets", typed.keys[Role::kTargets][0], "t"}}));
    typed.keys.erase(Role::kTargets);
    ASSERT_OK(InjectTargets(repo, typed, "release add", tosign, {}, Clock));
    tuf::ClientOptions o;
    o.state_dir = repo + "-state";
    o.clock = [] { return g_now; };
    ASSERT_OK_AND_ASSIGN(auto client,
                         tuf::Client::Create(tuf::MakeFetcher(repo),
                                             *ReadFileBytes(repo + "/1.root.json"), std::move(o)));
    ASSERT_OK(client.Refresh());
    EXPECT_TRUE(client.targets().targets.count("image.raw"));
  }
}

// Root metadata offline (docs/keys.md "Offline signing of root metadata"):
// a root rotation composed and stopped, signed apart by the trusted root's
// key and the new one, injected. With Ed25519 the published root is the
// bytes ChangeKeys makes with both keys at hand, and the node's client
// follows the chain from version 1 to the new root.
class OfflineRoot : public OfflineTargets {
 protected:
  void SetUp() override {
    OfflineTargets::SetUp();
    ASSERT_OK_AND_ASSIGN(next_, crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
    rotate_ = {.kind = tuf::KeyChange::Kind::kRotate,
               .role = Role::kRoot,
               .add = {crypto::PublicKey::Of(next_)},
               .revoke = {},
               .threshold = {}};
  }
  void RecordRotation(const std::string& repo) {
    ASSERT_OK_AND_ASSIGN(auto staged, Repository::StageRoot(repo, rotate_, {}, Clock));
    ASSERT_OK_AND_ASSIGN(Root trusted, Repository::ReadRoot(repo));
    ASSERT_OK(RecordRoot(staged, trusted, "release keys rotate", Sign()));
  }
  std::string ItemOf(const crypto::PrivateKey& k) {
    return tuf::MetadataSignRequest("root", crypto::PublicKey::Of(k), "").item.name;
  }
  Status Inject(const std::string& command = "release keys rotate") {
    return InjectRoot(Repo("b"), online_, command, Sign(), {}, Clock);
  }
  crypto::PrivateKey next_;
  tuf::KeyChange rotate_;
};

TEST_F(OfflineRoot, RotationSignedOfflineIsTheSameBytesAsWithTheKeysAndTheClientFollowsIt) {
  RoleKeySet with_next = all_;
  with_next.Add(Role::kRoot, next_);
  ASSERT_OK(Repository::ChangeKeys(Repo("a"), with_next, rotate_, {}, Clock));
  const std::string before = Published(Repo("b"));
  RecordRotation(Repo("b"));
  EXPECT_EQ(Published(Repo("b")), before) << "the stop changed the repository";
  ASSERT_OK_AND_ASSIGN(auto m, signing::ParseManifest(*ReadFileText(Sign() + "/manifest.json")));
  ASSERT_EQ(m.items.size(), 2u);  // the trusted root's key and the new one
  EXPECT_EQ(m.items[0].name, ItemOf(all_.keys[Role::kRoot][0]));
  EXPECT_EQ(m.items[1].name, ItemOf(next_));
  EXPECT_EQ(m.items[0].role, "root");
  ASSERT_OK_AND_ASSIGN(Bytes a_env, ReadFileBytes(Repo("a") + "/2.root.json"));
  ASSERT_OK_AND_ASSIGN(tuf::Envelope a, tuf::ParseEnvelope(a_env, Role::kRoot));
  ASSERT_OK_AND_ASSIGN(std::string canon, tuf::CanonicalJson(a.signed_json));
  EXPECT_EQ(*ReadFileText(Sign() + "/" + m.items[1].name + ".bin"), canon);
  // Each key signs on its own machine, one after the other; `--key
  // root=KEY` signs the one of the role's items that is KEY's.
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", all_.keys[Role::kRoot][0], "old"}}));
  ASSERT_OK_AND_ASSIGN(auto by_role, signing::SignDirectory(Sign(), {{"root", next_, "new"}}));
  EXPECT_EQ(by_role.signed_items, std::vector<std::string>{ItemOf(next_)});
  g_now = kT0 + 3600;  // an hour later: the one-day timestamp is still fresh
  ASSERT_OK(Inject());
  EXPECT_EQ(*ReadFileBytes(Repo("b") + "/2.root.json"), a_env);
  EXPECT_EQ(*ReadFileBytes(Repo("b") + "/root.json"), a_env);

  tuf::ClientOptions o;
  o.state_dir = dir_->path() + "/state";
  o.clock = [] { return kT0 + 3600 + 10; };
  ASSERT_OK_AND_ASSIGN(
      auto client, tuf::Client::Create(tuf::MakeFetcher(Repo("b")),
                                       *ReadFileBytes(Repo("b") + "/1.root.json"), std::move(o)));
  ASSERT_OK(client.Refresh());
  EXPECT_EQ(client.root().version, 2u);
  // The new root key alone now changes root; the old one no longer can.
  RoleKeySet only_old = all_, only_next = online_;
  only_next.Add(Role::kRoot, next_);
  tuf::KeyChange threshold{.kind = tuf::KeyChange::Kind::kThreshold,
                           .role = Role::kSnapshot,
                           .add = {},
                           .revoke = {},
                           .threshold = 1};
  EXPECT_ERROR(Repository::ChangeKeys(Repo("b"), only_old, threshold, {}, Clock),
               ErrorCode::kNotFound);
  EXPECT_OK(Repository::ChangeKeys(Repo("b"), only_next, threshold, {}, Clock));
}

TEST_F(OfflineRoot, MissingOrForeignSignaturesAnotherCommandOrAChangedRootAreRefused) {
  RecordRotation(Repo("b"));
  const std::string before = Published(Repo("b"));
  // Only the trusted root's key: the new root's threshold is not met.
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", all_.keys[Role::kRoot][0], "old"}}));
  EXPECT_ERROR(Inject(), ErrorCode::kNotFound);
  // The new key's item signed by another key.
  ASSERT_OK_AND_ASSIGN(auto other, crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
  ASSERT_OK_AND_ASSIGN(Bytes payload, ReadFileBytes(Sign() + "/" + ItemOf(next_) + ".bin"));
  ASSERT_OK_AND_ASSIGN(Bytes bad,
                       crypto::SignRaw(other, crypto::SignatureAlgorithm::kEd25519, payload));
  ASSERT_OK(WriteFileAtomic(Sign() + "/" + ItemOf(next_) + ".sig", bad));
  EXPECT_ERROR(Inject(), ErrorCode::kBadSignature);
  // A root key that is none of the items' is refused, by role or not.
  EXPECT_ERROR(signing::SignDirectory(Sign(), {{"root", other, "other"}}), ErrorCode::kRefused);
  EXPECT_ERROR(signing::SignDirectory(Sign(), {{"", other, "other"}}), ErrorCode::kNotFound);
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", next_, "new"}}));
  EXPECT_ERROR(Inject("release keys add"), ErrorCode::kRefused);
  const int64_t stop = g_now;
  g_now = stop + tuf::Expiry{}.root;  // the new root's expiry, fixed at the stop
  EXPECT_ERROR(Inject(), ErrorCode::kRefused);
  g_now = stop;
  EXPECT_EQ(Published(Repo("b")), before);
  // The root changed after the stop: refused, whatever the signatures.
  tuf::KeyChange threshold{.kind = tuf::KeyChange::Kind::kThreshold,
                           .role = Role::kTargets,
                           .add = {},
                           .revoke = {},
                           .threshold = 1};
  ASSERT_OK(Repository::ChangeKeys(Repo("b"), all_, threshold, {}, Clock));
  const std::string changed = Published(Repo("b"));
  EXPECT_ERROR(Inject(), ErrorCode::kRefused);
  EXPECT_EQ(Published(Repo("b")), changed);
}

// Every file of a repository by its path inside it: two repositories
// published the same way are equal.
std::map<std::string, std::string> Files(const std::string& repo) {
  std::map<std::string, std::string> out;
  if (!fs::exists(repo)) return out;
  for (const auto& e : fs::recursive_directory_iterator(repo)) {
    if (e.is_regular_file()) {
      out[fs::relative(e.path(), repo).string()] = *ReadFileText(e.path().string());
    }
  }
  return out;
}

// The first root (`hull release init --sign-offline`): the root key never
// here, its public key given; the other roles' keys at hand.
class OfflineInit : public OfflineRoot {
 protected:
  void RecordInit(const std::string& command = "release init") {
    ASSERT_OK_AND_ASSIGN(
        Root root,
        Repository::InitRoot(Only({Role::kTargets, Role::kSnapshot, Role::kTimestamp}),
                             crypto::PublicKey::Of(all_.keys[Role::kRoot][0]), {}, Clock));
    ASSERT_OK(RecordInitRoot(root, command, Sign()));
  }
  Status InjectInit(const std::string& command = "release init") {
    return InjectInitRoot(Repo("new"), Only({Role::kTargets, Role::kSnapshot, Role::kTimestamp}),
                          command, Sign(), {}, Clock);
  }
};

TEST_F(OfflineInit, FirstRootSignedOfflineIsTheSameRepositoryAsWithTheKeysAndVerifies) {
  ASSERT_OK(Repository::Init(Repo("with-keys"), all_, {}, Clock));
  RecordInit();
  EXPECT_FALSE(fs::exists(Repo("new"))) << "the stop wrote a repository";
  ASSERT_OK_AND_ASSIGN(auto m, signing::ParseManifest(*ReadFileText(Sign() + "/manifest.json")));
  ASSERT_EQ(m.items.size(), 1u);
  EXPECT_EQ(m.items[0].name, ItemOf(all_.keys[Role::kRoot][0]));
  EXPECT_EQ(m.subject, "release root version 1 of a new repository");
  ASSERT_OK_AND_ASSIGN(
      tuf::Envelope env,
      tuf::ParseEnvelope(*ReadFileBytes(Repo("with-keys") + "/1.root.json"), Role::kRoot));
  ASSERT_OK_AND_ASSIGN(std::string canon, tuf::CanonicalJson(env.signed_json));
  EXPECT_EQ(*ReadFileText(Sign() + "/" + m.items[0].name + ".bin"), canon);
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", all_.keys[Role::kRoot][0], "root"}}));
  ASSERT_OK(InjectInit());
  const auto want = Files(Repo("with-keys"));
  EXPECT_EQ(want.size(), 5u);  // 1.root, root, 1.targets, 1.snapshot and timestamp.json
  EXPECT_EQ(Files(Repo("new")), want);

  tuf::ClientOptions o;
  o.state_dir = dir_->path() + "/state";
  o.clock = [] { return kT0 + 200; };
  ASSERT_OK_AND_ASSIGN(
      auto client, tuf::Client::Create(tuf::MakeFetcher(Repo("new")),
                                       *ReadFileBytes(Repo("new") + "/1.root.json"), std::move(o)));
  ASSERT_OK(client.Refresh());
  EXPECT_EQ(client.root().version, 1u);
}

TEST_F(OfflineInit, MissingOrForeignSignaturesAnotherCommandAnExistingRepositoryAreRefused) {
  RecordInit();
  EXPECT_ERROR(InjectInit(), ErrorCode::kNotFound);  // not signed yet
  ASSERT_OK_AND_ASSIGN(auto other, crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
  const std::string item = ItemOf(all_.keys[Role::kRoot][0]);
  ASSERT_OK_AND_ASSIGN(Bytes payload, ReadFileBytes(Sign() + "/" + item + ".bin"));
  ASSERT_OK_AND_ASSIGN(Bytes bad,
                       crypto::SignRaw(other, crypto::SignatureAlgorithm::kEd25519, payload));
  ASSERT_OK(WriteFileAtomic(Sign() + "/" + item + ".sig", bad));
  EXPECT_ERROR(InjectInit(), ErrorCode::kBadSignature);
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", all_.keys[Role::kRoot][0], "root"}}));
  EXPECT_ERROR(InjectInit("release refresh"), ErrorCode::kRefused);
  const int64_t stop = g_now;
  g_now = stop + tuf::Expiry{}.root;  // the root's expiry, fixed at the stop
  EXPECT_ERROR(InjectInit(), ErrorCode::kRefused);
  g_now = stop;
  EXPECT_TRUE(Files(Repo("new")).empty());
  // A repository that exists is never overwritten.
  ASSERT_OK(Repository::Init(Repo("new"), all_, {}, Clock));
  const auto existing = Files(Repo("new"));
  EXPECT_ERROR(InjectInit(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(Files(Repo("new")), existing);
  // The key-at-hand path refuses the same way: the root key is not here.
  EXPECT_ERROR(
      Repository::Init(Repo("none"), Only({Role::kTargets, Role::kSnapshot, Role::kTimestamp}), {},
                       Clock),
      ErrorCode::kNotFound);
}

// `hull release refresh --root --sign-offline`: the same root, a new
// version and expiry, signed by its keys elsewhere.
class OfflineRefresh : public OfflineRoot {
 protected:
  void RecordRefresh(const std::string& repo) {
    tuf::KeyChange resign;
    resign.kind = tuf::KeyChange::Kind::kResign;
    ASSERT_OK_AND_ASSIGN(auto staged, Repository::StageRoot(repo, resign, {}, Clock));
    ASSERT_OK_AND_ASSIGN(Root trusted, Repository::ReadRoot(repo));
    ASSERT_OK(RecordRoot(staged, trusted, "release refresh", Sign()));
  }
};

TEST_F(OfflineRefresh, RootRefreshedOfflineIsTheSameRepositoryAsWithTheKeys) {
  tuf::RefreshOptions with_root;
  with_root.root = true;
  ASSERT_OK_AND_ASSIGN(auto resigned, Repository::Refresh(Repo("a"), all_, with_root, Clock));
  EXPECT_EQ(resigned, (std::vector<Role>{Role::kRoot, Role::kTimestamp}));
  const auto before = Files(Repo("b"));
  RecordRefresh(Repo("b"));
  EXPECT_EQ(Files(Repo("b")), before) << "the stop changed the repository";
  ASSERT_OK_AND_ASSIGN(auto m, signing::ParseManifest(*ReadFileText(Sign() + "/manifest.json")));
  ASSERT_EQ(m.items.size(), 1u);  // the one root key, once
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", all_.keys[Role::kRoot][0], "root"}}));
  ASSERT_OK(Inject("release refresh"));
  // What else is due (the timestamp) with the keys at hand, as the CLI does.
  ASSERT_OK_AND_ASSIGN(resigned, Repository::Refresh(Repo("b"), online_, {}, Clock));
  EXPECT_EQ(resigned, (std::vector<Role>{Role::kTimestamp}));
  const auto want = Files(Repo("a"));
  EXPECT_TRUE(want.count("2.root.json"));
  EXPECT_EQ(Files(Repo("b")), want);

  tuf::ClientOptions o;
  o.state_dir = dir_->path() + "/state";
  o.clock = [] { return kT0 + 200; };
  ASSERT_OK_AND_ASSIGN(
      auto client, tuf::Client::Create(tuf::MakeFetcher(Repo("b")),
                                       *ReadFileBytes(Repo("b") + "/1.root.json"), std::move(o)));
  ASSERT_OK(client.Refresh());
  EXPECT_EQ(client.root().version, 2u);
  EXPECT_EQ(client.root().expires, kT0 + 100 + tuf::Expiry{}.root);
}

TEST_F(OfflineRefresh, ARootThatChangedSinceTheStopOrAnotherCommandIsRefused) {
  RecordRefresh(Repo("b"));
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", all_.keys[Role::kRoot][0], "root"}}));
  EXPECT_ERROR(Inject("release keys rotate"), ErrorCode::kRefused);
  tuf::RefreshOptions with_root;
  with_root.root = true;
  ASSERT_OK(Repository::Refresh(Repo("b"), all_, with_root, Clock));
  const auto changed = Files(Repo("b"));
  EXPECT_ERROR(Inject("release refresh"), ErrorCode::kRefused);
  EXPECT_EQ(Files(Repo("b")), changed);
}

}  // namespace
}  // namespace hull::release

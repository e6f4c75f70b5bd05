// Releases with binary deltas and a chunk index, applied over HTTP (nginx on
// 127.0.0.1): three releases of one content seed (each differs from the last
// in one 64 KiB file and its os-release), published with one delta each;
// disks running the two older ones update to the newest. Oracles: nginx
// serves the repository, python3's hashlib computes the rollout buckets,
// the installer's verification of the written slot, and the published
// verity file itself for the recomputed tree.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/file_digest.h"
#include "release/offline.h"
#include "release/publish.h"
#include "release/rollout.h"
#include "slot/fixture.h"
#include "slot/update.h"
#include "support/status_matchers.h"
#include "tuf/fetcher.h"
#include "verity/published.h"

namespace hull::slot {
namespace {
namespace fs = std::filesystem;

using testing::Inputs;
using testing::Release;

constexpr const char* kV0 = "202611.24.0";
constexpr const char* kV1 = "202612.01.0";
constexpr const char* kV2 = "202612.08.0";

class ReleaseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto t0 = std::chrono::steady_clock::now();
    auto in = Inputs::Create();
    ASSERT_OK(in);
    inputs_ = std::move(*in).release();
    for (const char* v : {kV0, kV1, kV2}) {
      auto r = inputs_->MakeRelease(v, 1024, /*real_kernel=*/true, "shared content");
      ASSERT_OK(r);
      releases_.push_back(*r);
    }
    for (int i : {0, 1}) {
      auto d = inputs_->MakeDisk(releases_[size_t(i)], fmt::format("base{}", i));
      ASSERT_OK(d);
      disks_.push_back(*d);
    }
    // The newest release has a delta from the previous one only.
    auto repo = testing::PublishRepository(*inputs_, {releases_[0].dir, releases_[1].dir}, 1);
    ASSERT_OK(repo);
    repo_ = repo->dir;
    keydir_ = repo->keydir;
    // The newest through the CLI, at a 50% staged rollout.
    auto out =
        hull::Run(Command{.argv = {getenv("HULL_BIN"), "release", "add", repo_, releases_[2].dir,
                                   "--keys", keydir_, "--deltas", "1", "--delta-level", "3",
                                   "--chunk-level", "3", "--rollout", "50", "--json"}});
    ASSERT_OK(out);
    publish_json_ = nlohmann::json::parse(out->out);
    for (const auto& step : publish_json_["steps"])
      std::printf("publish %s: %.3f s, %llu bytes\n", step["step"].get<std::string>().c_str(),
                  step["seconds"].get<double>(), (unsigned long long)step["bytes"].get<uint64_t>());
    StartNginx();
    std::printf("fixture: 3 releases, 2 disks, repository and nginx in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  static void StartNginx() {
    const std::string d = inputs_->dir() + "/nginx";
    fs::create_directories(d);
    // A free loopback port: bind to 0, read it back, close.
    auto port_out =
        hull::Run(Command{.argv = {"python3", "-c",
                                   "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                                   "print(s.getsockname()[1])"}});
    ASSERT_OK(port_out);
    port_ = std::stoi(port_out->out);
    std::string conf = fmt::format(
        "user root;\nworker_processes 1;\npid {0}/nginx.pid;\nerror_log {0}/error.log;\n"
        "events {{ worker_connections 64; }}\n"
        "http {{ access_log off; client_body_temp_path {0}; proxy_temp_path {0};\n"
        "  fastcgi_temp_path {0}; uwsgi_temp_path {0}; scgi_temp_path {0};\n"
        "  types {{ application/json json; }} default_type application/octet-stream;\n"
        "  server {{ listen 127.0.0.1:{1}; root {2};\n"
        "    location /slow/ {{ alias {2}/; limit_rate 512; }} }} }}\n",
        d, port_, repo_);
    ASSERT_OK(WriteFileAtomic(d + "/nginx.conf", conf));
    auto started = hull::Run(Command{.argv = {"nginx", "-p", d, "-c", d + "/nginx.conf"}});
    ASSERT_OK(started);
    nginx_conf_ = d + "/nginx.conf";
    auto fetcher = tuf::MakeFetcher(Base());
    for (int i = 0; i < 100; ++i) {
      if (fetcher->Fetch("1.root.json", 1 << 20).ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "nginx did not answer on port " << port_;
  }

  static void TearDownTestSuite() {
    if (!nginx_conf_.empty()) {
      const std::string d = fs::path(nginx_conf_).parent_path();
      (void)hull::Run(Command{.argv = {"nginx", "-p", d, "-c", nginx_conf_, "-s", "stop"}});
    }
    delete inputs_;
  }

  static std::string Base() { return fmt::format("http://127.0.0.1:{}/", port_); }

  std::string Fresh(int from, const std::string& name) {
    std::string path = inputs_->dir() + "/" + name + ".raw";
    EXPECT_OK(testing::CopyImage(disks_[size_t(from)], path));
    return path;
  }

  // Within kV2's 50% rollout: a node without a machine id is in none.
  static ApplyFilters InRollout() {
    ApplyFilters f;
    f.machine_id = MachineId(true);
    return f;
  }

  static Result<ApplyResult> Apply(const std::string& image, const ApplyFilters& f) {
    HULL_ASSIGN_OR_RETURN(auto node, testing::OpenUpdatingNode(repo_, Base(), image));
    InstallOptions io;
    io.verity_cert = &inputs_->verity_cert();
    return node.Apply(f, io);
  }

  static std::string StoredTarget(const std::string& suffix) {
    for (const auto& e : fs::directory_iterator(repo_ + "/targets"))
      if (e.path().string().ends_with(suffix)) return e.path();
    return "";
  }

  // The targets of `targets` that belong to release `version`.
  static std::set<std::string> TargetsOfRelease(const tuf::Targets& targets,
                                                const std::string& version) {
    const std::string stem = std::string("hull-immutable-amd64-") + version + ".";
    std::set<std::string> out;
    for (const auto& [name, _] : targets.targets)
      if (name.starts_with(stem)) out.insert(name);
    return out;
  }

  // `after` is `before` re-signed as the next version with the same targets,
  // hashes and lengths; only the custom fields of `edited` differ, as `edit`
  // makes them from the old ones.
  static void ExpectOnlyCustomEdited(const tuf::Targets& before, const tuf::Targets& after,
                                     const std::set<std::string>& edited,
                                     const std::function<void(nlohmann::json&)>& edit) {
    EXPECT_EQ(after.version, before.version + 1);
    ASSERT_EQ(after.targets.size(), before.targets.size());
    for (const auto& [name, t] : after.targets) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(before.targets.contains(name));
      const auto& was = before.targets.at(name);
      EXPECT_EQ(t.hashes, was.hashes);
      EXPECT_EQ(t.length, was.length);
      nlohmann::json want = was.custom;
      if (edited.contains(name)) edit(want);
      EXPECT_EQ(nlohmann::json(t.custom), want);
    }
  }

  // Buckets of `ids` for `version`, computed by python3's hashlib.
  static std::vector<uint32_t> PythonBuckets(const std::string& version,
                                             const std::vector<std::string>& ids) {
    std::string script =
        "import hashlib,sys\n"
        "v=sys.argv[1]\n"
        "for m in sys.argv[2:]:\n"
        "  d=hashlib.sha256(b'hull-rollout\\0'+v.encode()+b'\\0'+m.encode()).digest()\n"
        "  print(int.from_bytes(d[:8],'big')%100)\n";
    std::vector<std::string> argv = {"python3", "-c", script, version};
    argv.insert(argv.end(), ids.begin(), ids.end());
    auto out = hull::Run(Command{.argv = argv});
    EXPECT_OK(out);
    std::vector<uint32_t> b;
    std::istringstream in(out.ok() ? out->out : "");
    for (uint32_t x; in >> x;) b.push_back(x);
    return b;
  }

  // A machine id whose bucket for kV2 is below (eligible) or at/above 50.
  static std::string MachineId(bool eligible) {
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) ids.push_back(fmt::format("{:032x}", 0x1000 + i));
    auto b = PythonBuckets(kV2, ids);
    for (size_t i = 0; i < b.size(); ++i)
      if ((b[i] < 50) == eligible) return ids[i];
    return "";
  }

  static Inputs* inputs_;
  static std::vector<Release> releases_;
  static std::vector<std::string> disks_;
  static std::string repo_, keydir_, nginx_conf_;
  static int port_;
  static nlohmann::json publish_json_;
};
Inputs* ReleaseTest::inputs_ = nullptr;
std::vector<Release> ReleaseTest::releases_;
std::vector<std::string> ReleaseTest::disks_;
std::string ReleaseTest::repo_, ReleaseTest::keydir_, ReleaseTest::nginx_conf_;
int ReleaseTest::port_ = 0;
nlohmann::json ReleaseTest::publish_json_;

TEST_F(ReleaseTest, PublishListsDeltasChunkIndexAndVerityParameters) {
  auto t = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(t);
  const std::string stem = std::string("hull-immutable-amd64-") + kV2;
  for (const char* s : {".usr.erofs", ".usr.verity", ".usr.verity-sig", ".uki.efi", ".usr.cidx",
                        ".usr.from-202612.01.0.zst", ".uki.from-202612.01.0.zst"})
    EXPECT_EQ(t->targets.count(stem + s), 1u) << s;
  // --deltas 1: no delta from the oldest release.
  EXPECT_EQ(t->targets.count(stem + ".usr.from-202611.24.0.zst"), 0u);
  const auto& d = t->targets.at(stem + ".usr.from-202612.01.0.zst").custom;
  EXPECT_EQ(d["payload"], "usr-delta");
  EXPECT_EQ(d["from"], kV1);
  EXPECT_EQ(d["from_root_hash"], releases_[1].root_hash);
  EXPECT_EQ(d["rollout_percent"], 50);
  EXPECT_EQ(publish_json_["deltas_from"], nlohmann::json::array({kV1}));
  EXPECT_GE(publish_json_["steps"].size(), 4u);
  EXPECT_TRUE(fs::is_directory(repo_ + "/chunks"));
  // Publishing the same version again is refused.
  auto keys = tuf::RoleKeySet::Load(keydir_, false);
  ASSERT_OK(keys);
  auto dup = release::PublishRelease(repo_, *keys, releases_[2].dir, {});
  ASSERT_ERROR(dup, ErrorCode::kAlreadyExists);
}

TEST_F(ReleaseTest, VerityRecomputedFromTheUsrImageMatchesThePublishedTree) {
  auto t = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(t);
  const auto& custom =
      t->targets.at(std::string("hull-immutable-amd64-") + kV2 + ".usr.verity").custom;
  ASSERT_TRUE(custom.contains("verity"));
  std::string out = inputs_->dir() + "/recomputed.verity";
  Status st = verity::RecomputeHashFile(custom["verity"], releases_[2].dir + "/usr.erofs", out);
  ASSERT_OK(st);
  auto got = crypto::DigestFile(crypto::DigestAlgorithm::kSha256, out);
  auto want =
      crypto::DigestFile(crypto::DigestAlgorithm::kSha256, releases_[2].dir + "/usr.verity");
  ASSERT_OK(got);
  ASSERT_OK(want);
  EXPECT_EQ(HexEncode(*got), HexEncode(*want));
  EXPECT_EQ(HexEncode(*want),
            t->targets.at(std::string("hull-immutable-amd64-") + kV2 + ".usr.verity")
                .hashes.at("sha256"));
  // Another salt gives another tree (the parameters are what decides it).
  nlohmann::json other = custom["verity"];
  other["salt"] = std::string(64, '0');
  ASSERT_OK(verity::RecomputeHashFile(other, releases_[2].dir + "/usr.erofs", out));
  EXPECT_NE(HexEncode(*crypto::DigestFile(crypto::DigestAlgorithm::kSha256, out)),
            HexEncode(*want));
}

TEST_F(ReleaseTest, RolloutBucketMatchesPythonAndHoldsBackTheRelease) {
  std::vector<std::string> ids = {"", "0", "5f2b1a0e9c8d4e7fa1b2c3d4e5f60718",
                                  "ffffffffffffffffffffffffffffffff"};
  for (const char* v : {kV1, kV2}) {
    auto b = PythonBuckets(v, ids);
    ASSERT_EQ(b.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(RolloutBucket(ids[i], v), b[i]) << ids[i];
  }
  std::string held = MachineId(false);
  ASSERT_FALSE(held.empty());
  std::string image = Fresh(1, "rollout");
  ApplyFilters f;
  f.machine_id = held;
  auto r = Apply(image, f);
  ASSERT_OK(r);
  EXPECT_TRUE(r->up_to_date);
  EXPECT_EQ(r->version, kV1);
  ASSERT_EQ(r->held_back.size(), 1u);
  EXPECT_EQ(r->held_back[0], fmt::format("{}: staged rollout 50%, this node's bucket is {}", kV2,
                                         PythonBuckets(kV2, {held})[0]));
}

TEST_F(ReleaseTest, SkippedVersionIsNeverChosen) {
  std::string image = Fresh(1, "skip");
  ApplyFilters f;
  f.skip_versions = {kV2};
  auto r = Apply(image, f);
  ASSERT_OK(r);
  EXPECT_TRUE(r->up_to_date);
  EXPECT_EQ(r->version, kV1);
  ASSERT_EQ(r->held_back.size(), 1u);
  EXPECT_EQ(r->held_back[0], std::string(kV2) + ": recorded as bad on this node (skipped)");
  f.skip_versions = {kV1, kV2, kV0};
  auto none = Apply(image, f);
  ASSERT_ERROR(none, ErrorCode::kNotFound);
}

TEST_F(ReleaseTest, MissingTargetsKeyIsRefusedBeforeAnyWork) {
  const std::string repo = inputs_->dir() + "/no-targets-key-repo";
  auto all = tuf::RoleKeySet::Load(keydir_, false);
  ASSERT_TRUE(all.ok());
  ASSERT_TRUE(tuf::Repository::Init(repo, *all).ok());
  const std::string empty = inputs_->dir() + "/no-keys";
  std::filesystem::create_directories(empty);
  auto keys = tuf::RoleKeySet::Load(tuf::KeySources{keydir_, {{tuf::Role::kTargets, empty}}});
  ASSERT_TRUE(keys.ok());
  auto r = release::PublishRelease(repo, *keys, releases_[0].dir, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.error().ToString().find("--targets-keys"), std::string::npos) << r.error().ToString();
  EXPECT_FALSE(std::filesystem::exists(repo + "/chunks"));  // no chunk was split
}

// The targets key apart (release/offline.h): the release is composed and
// stopped, signed from its signing directory, injected with the snapshot and
// timestamp keys alone; the node's update path installs it with its delta.
TEST_F(ReleaseTest, ReleaseSignedOfflineIsInstalledByTheNode) {
  const std::string repo = inputs_->dir() + "/offline-repo";
  const std::string tosign = inputs_->dir() + "/offline-tosign";
  ASSERT_OK_AND_ASSIGN(auto all, tuf::RoleKeySet::Load(keydir_, false));
  ASSERT_OK(tuf::Repository::Init(repo, all));
  ASSERT_OK(release::PublishRelease(repo, all, releases_[0].dir, {}));
  release::PublishOptions o;
  o.sign_offline = tosign;
  ASSERT_OK(release::PublishRelease(repo, tuf::RoleKeySet{}, releases_[1].dir, o));
  std::vector<signing::DirectoryKey> targets_key{{"", all.keys[tuf::Role::kTargets][0], "t"}};
  ASSERT_OK(signing::SignDirectory(tosign, targets_key));
  all.keys.erase(tuf::Role::kTargets);  // snapshot and timestamp only
  ASSERT_OK(release::InjectTargets(repo, all, "release add", tosign));

  std::string image = Fresh(0, "offline");
  ASSERT_OK_AND_ASSIGN(auto node, testing::OpenUpdatingNode(repo, repo, image));
  InstallOptions io;
  io.verity_cert = &inputs_->verity_cert();
  ASSERT_OK_AND_ASSIGN(auto r, node.Apply({}, io));
  EXPECT_EQ(r.version, kV1);
  EXPECT_EQ(r.pieces["usr"].method, std::string("delta from ") + kV0);
  EXPECT_EQ(r.install.slot, "B");
}

TEST_F(ReleaseTest, NodeAheadOfItsChannelIsNeverDowngraded) {
  // A repository whose newest release is older than the disk's (an
  // unpublished build, a channel change, a pulled release): nothing is
  // written, since the older entry would sort below the running one.
  const std::string repo = inputs_->dir() + "/older-repo";
  auto keys = tuf::RoleKeySet::Load(keydir_, false);
  ASSERT_OK(keys);
  ASSERT_OK(tuf::Repository::Init(repo, *keys));
  ASSERT_OK(release::PublishRelease(repo, *keys, releases_[0].dir, {}));
  std::string image = Fresh(1, "ahead");
  auto before = crypto::DigestFile(crypto::DigestAlgorithm::kSha256, image);
  ASSERT_OK(before);
  {
    ASSERT_OK_AND_ASSIGN(auto node, testing::OpenUpdatingNode(repo, repo, image));
    auto r = node.Apply();
    ASSERT_OK(r);
    EXPECT_TRUE(r->ahead_of_channel);
    EXPECT_FALSE(r->up_to_date);
    EXPECT_EQ(r->version, kV0);
  }
  EXPECT_EQ(HexEncode(*crypto::DigestFile(crypto::DigestAlgorithm::kSha256, image)),
            HexEncode(*before));
}

TEST_F(ReleaseTest, DiskRunningThePreviousReleaseUsesTheDelta) {
  std::string image = Fresh(1, "delta");
  ApplyFilters f;
  f.machine_id = MachineId(true);
  ASSERT_FALSE(f.machine_id.empty());
  auto r = Apply(image, f);
  ASSERT_OK(r);
  EXPECT_EQ(r->version, kV2);
  EXPECT_TRUE(r->held_back.empty());
  EXPECT_EQ(r->pieces["usr"].method, std::string("delta from ") + kV1);
  EXPECT_EQ(r->pieces["uki"].method, std::string("delta from ") + kV1);
  EXPECT_EQ(r->pieces["verity"].method, "recomputed");
  EXPECT_EQ(r->pieces["verity"].downloaded, 0u);
  EXPECT_EQ(r->install.slot, "B");
  EXPECT_LT(r->downloaded * 10, r->full_size);
  std::printf("delta: downloaded %llu of %llu bytes (usr %llu of %llu), peak RSS %llu\n",
              (unsigned long long)r->downloaded, (unsigned long long)r->full_size,
              (unsigned long long)r->pieces["usr"].downloaded,
              (unsigned long long)r->pieces["usr"].full_size, (unsigned long long)r->peak_rss);
  auto o = OpenDisk(image, false);
  ASSERT_OK(o);
  auto def = CheckBootable(*o->disk, *o->esp, &inputs_->verity_cert());
  ASSERT_OK(def);
  EXPECT_EQ(*def, std::string("hull_") + kV2 + "+3.efi");
  // The UKI on the ESP is byte for byte the published one.
  auto uki = o->esp->Read(*def, kMaxUkiBytes);
  ASSERT_OK(uki);
  EXPECT_TRUE(*uki == *ReadFileBytes(releases_[2].dir + "/uki.efi"));
}

TEST_F(ReleaseTest, DiskRunningAnOlderReleaseAssemblesFromChunks) {
  std::string image = Fresh(0, "chunks");
  auto r = Apply(image, InRollout());
  ASSERT_OK(r);
  EXPECT_EQ(r->version, kV2);
  const std::string& m = r->pieces["usr"].method;
  EXPECT_TRUE(m.starts_with("chunks: 1 of ")) << m;
  EXPECT_EQ(r->pieces["uki"].method, "full");
  EXPECT_EQ(r->pieces["verity"].method, "recomputed");
  EXPECT_LT(r->pieces["usr"].downloaded * 2, r->pieces["usr"].full_size);
  std::printf("chunks: %s, usr downloaded %llu of %llu bytes\n", m.c_str(),
              (unsigned long long)r->pieces["usr"].downloaded,
              (unsigned long long)r->pieces["usr"].full_size);
  auto o = OpenDisk(image, false);
  ASSERT_OK(o);
  auto def = CheckBootable(*o->disk, *o->esp, &inputs_->verity_cert());
  ASSERT_OK(def);
  EXPECT_EQ(*def, std::string("hull_") + kV2 + "+3.efi");
}

// A node whose active usr differs from its release (one flipped byte in the
// middle of slot A's image): the delta verifies (TUF) but does not reproduce
// the target, so the chunks path takes over and fetches the damaged chunk.
TEST_F(ReleaseTest, DeltaThatDoesNotReproduceTheTargetFallsBackToChunks) {
  std::string image = Fresh(1, "drifted");
  {
    auto o = OpenDisk(image, true);
    ASSERT_OK(o);
    auto st = ReadDiskState(*o->disk, *o->esp);
    ASSERT_OK(st);
    const Slot& a = st->slots[0];
    uint64_t off = a.Offset(a.usr) + 512 * 1024;
    Bytes b(1);
    ASSERT_OK(o->disk->ReadAt(off, b));
    b[0] ^= 0xff;
    ASSERT_OK(o->disk->WriteAt(off, b));
    ASSERT_OK(o->disk->Sync());
  }
  auto r = Apply(image, InRollout());
  ASSERT_OK(r);
  const PieceMethod& usr = r->pieces["usr"];
  // The chunk that differs between the releases, plus the damaged one (a
  // clean node fetches one: DiskRunningAnOlderReleaseAssemblesFromChunks).
  EXPECT_TRUE(usr.method.starts_with("chunks: 2 of ")) << usr.method;
  EXPECT_TRUE(usr.fallback.starts_with(std::string("delta from ") + kV1 + ": ")) << usr.fallback;
  EXPECT_EQ(r->pieces["uki"].method, std::string("delta from ") + kV1);
  EXPECT_EQ(r->install.slot, "B");
}

TEST_F(ReleaseTest, TamperedDeltaIsRefusedAndTheDiskIsUnchanged) {
  const std::string name = std::string("hull-immutable-amd64-") + kV2 + ".usr.from-" + kV1 + ".zst";
  std::string stored = StoredTarget("." + name);
  ASSERT_FALSE(stored.empty());
  Bytes good = *ReadFileBytes(stored);
  Bytes bad = good;
  bad[bad.size() / 2] ^= 1;
  ASSERT_OK(WriteFileAtomic(stored, bad));
  std::string image = Fresh(1, "tampered");
  Bytes before = *ReadFileBytes(image);
  auto r = Apply(image, InRollout());
  ASSERT_OK(WriteFileAtomic(stored, good));
  ASSERT_ERROR(r, ErrorCode::kVerifyFailed);
  EXPECT_NE(r.error().ToString().find("downloading " + name), std::string::npos)
      << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("target " + name + " does not match its sha256 hash"),
            std::string::npos)
      << r.error().ToString();
  EXPECT_TRUE(*ReadFileBytes(image) == before);
}

TEST_F(ReleaseTest, CliPrintsMethodsAndRatio) {
  std::string image = Fresh(1, "cli");
  auto out = hull::RunAllowFailure(
      Command{.argv = {getenv("HULL_BIN"), "update", "apply", "--repo", Base(), "--trusted-root",
                       repo_ + "/1.root.json", "--disk", image, "--machine-id", MachineId(true),
                       "--json"}});
  ASSERT_OK(out);
  ASSERT_EQ(out->exit_code, 0) << out->err;
  auto j = nlohmann::json::parse(out->out);
  EXPECT_EQ(j["version"], kV2);
  EXPECT_EQ(j["pieces"]["usr"]["method"], std::string("delta from ") + kV1);
  EXPECT_EQ(j["pieces"]["verity"]["method"], "recomputed");
  EXPECT_EQ(j["pieces"]["signature"]["method"], "full");
  EXPECT_LT(j["downloaded_bytes"].get<uint64_t>(), j["full_bytes"].get<uint64_t>());
  EXPECT_GT(j["peak_rss_bytes"].get<uint64_t>(), 0u);
}

// --deadline on both commands: the repository under /slow/ trickles at 512
// bytes/s (nginx limit_rate), so its metadata (targets.json is tens of KiB)
// cannot arrive within the run; each command ends with the deadline error,
// exit 2, and apply leaves the disk as it was.
TEST_F(ReleaseTest, CliRunDeadlineEndsCheckAndApply) {
  std::string image = Fresh(1, "deadline");
  auto before = ReadFileBytes(image);
  ASSERT_TRUE(before.ok());
  const std::string slow = Base() + "slow/";
  for (std::vector<std::string> args :
       {std::vector<std::string>{"update", "check", "--arch", "amd64"},
        std::vector<std::string>{"update", "apply", "--disk", image, "--machine-id", ""}}) {
    std::vector<std::string> argv = {getenv("HULL_BIN")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(),
                {"--repo", slow, "--trusted-root", repo_ + "/1.root.json", "--deadline", "2"});
    auto out = hull::RunAllowFailure(Command{.argv = argv});
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->exit_code, 2) << args[1] << ": " << out->err;
    EXPECT_NE(out->err.find("'" + slow), std::string::npos) << out->err;
    EXPECT_NE(out->err.find("': not done after "), std::string::npos) << out->err;
    EXPECT_NE(out->err.find("(deadline: the end of the run (--deadline))"), std::string::npos)
        << out->err;
  }
  EXPECT_TRUE(*ReadFileBytes(image) == *before);
}

// `hull release pull`: the operator's stop, signed into the targets
// metadata; the node's TUF client (over nginx) then never installs the
// release, and `--undo` restores it. The repository is the suite's: it is
// restored whatever happens.
TEST_F(ReleaseTest, PulledReleaseIsNeverInstalledUntilRestored) {
  const char* hull_bin = getenv("HULL_BIN");
  auto pull = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {hull_bin, "release", "pull", repo_, kV2, "--keys", keydir_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto out = hull::RunAllowFailure(Command{.argv = argv});
    EXPECT_OK(out);
    return out.ok() ? *out : ProcessOutput{};
  };
  struct Restore {
    std::function<void()> f;
    ~Restore() { f(); }
  } restore{[&] { (void)pull({"--undo"}); }};
  auto newest = [&] {
    auto out = hull::RunAllowFailure(
        Command{.argv = {hull_bin, "update", "check", "--repo", Base(), "--trusted-root",
                         repo_ + "/1.root.json", "--arch", "amd64", "--json"}});
    EXPECT_OK(out);
    if (!out.ok() || out->exit_code != 0) return std::string("check failed");
    return nlohmann::json::parse(out->out)["release"]["version"].get<std::string>();
  };
  auto before = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(before);
  ASSERT_EQ(newest(), kV2);
  // kV2's targets: its four pieces, chunk index and one delta of each kind.
  const std::set<std::string> of_v2 = TargetsOfRelease(*before, kV2);
  ASSERT_EQ(of_v2.size(), 7u);

  ProcessOutput out = pull({"--json"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  auto j = nlohmann::json::parse(out.out);
  EXPECT_TRUE(j["changed"].get<bool>());
  EXPECT_EQ(j["targets"].get<std::set<std::string>>(), of_v2);
  auto after = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(after);
  ExpectOnlyCustomEdited(*before, *after, of_v2,
                         [](nlohmann::json& custom) { custom["withdrawn"] = true; });
  // A node on kV1 within kV2's rollout: verified metadata, kV2 held back.
  std::string image = Fresh(1, "pulled");
  auto disk_before = ReadFileBytes(image);
  ASSERT_OK(disk_before);
  auto r = Apply(image, InRollout());
  ASSERT_OK(r);
  EXPECT_TRUE(r->up_to_date);
  EXPECT_EQ(r->version, kV1);
  EXPECT_EQ(r->held_back, std::vector<std::string>{std::string(kV2) +
                                                   ": withdrawn by its publisher (hull release "
                                                   "pull): never installed"});
  EXPECT_TRUE(*ReadFileBytes(image) == *disk_before);
  EXPECT_EQ(newest(), kV1);
  auto ls = hull::Run(Command{.argv = {hull_bin, "release", "ls", repo_}});
  ASSERT_OK(ls);
  EXPECT_NE(ls->out.find(std::string("hull-immutable-amd64-") + kV2 + ".usr.erofs  (withdrawn)"),
            std::string::npos)
      << ls->out;

  // Again: nothing to sign.
  out = pull({});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("was withdrawn already"), std::string::npos) << out.out;
  EXPECT_EQ(tuf::Repository::ReadTargets(repo_)->version, after->version);
  // No such release; no keys: refused, nothing written.
  auto unknown = hull::RunAllowFailure(
      Command{.argv = {hull_bin, "release", "pull", repo_, "202701.01.0", "--keys", keydir_}});
  ASSERT_OK(unknown);
  EXPECT_EQ(unknown->exit_code, 2);
  EXPECT_NE(unknown->err.find("has no release 202701.01.0"), std::string::npos) << unknown->err;
  const std::string no_keys = inputs_->dir() + "/no-keys-pull";
  fs::create_directories(no_keys);
  auto keyless = hull::RunAllowFailure(
      Command{.argv = {hull_bin, "release", "pull", repo_, kV2, "--undo", "--keys", no_keys}});
  ASSERT_OK(keyless);
  EXPECT_EQ(keyless->exit_code, 2) << keyless->err;
  EXPECT_EQ(tuf::Repository::ReadTargets(repo_)->version, after->version);

  // Restored: kV2 is offered again, its custom metadata as published.
  out = pull({"--undo"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("restored"), std::string::npos) << out.out;
  auto restored = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(restored);
  for (const auto& [name, t] : restored->targets)
    EXPECT_EQ(t.custom, before->targets.at(name).custom) << name;
  EXPECT_EQ(newest(), kV2);
}

// `hull release rollout`: raising kV2's staged rollout from 50% to 80%,
// signed into the targets metadata, brings it to a node whose bucket
// (python3's hashlib) is in [50, 80), as the node's TUF client reads it over
// nginx; lowering is refused without --allow-lower, and a node already on
// the release stays on it when the percentage drops below its bucket. The
// repository is the suite's: kV2 is put back at 50% whatever happens.
TEST_F(ReleaseTest, RaisedRolloutReachesMoreNodesAndLoweringNeverTakesItBack) {
  const char* hull_bin = getenv("HULL_BIN");
  auto rollout = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {hull_bin, "release", "rollout", repo_};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--keys", keydir_});
    auto out = hull::RunAllowFailure(Command{.argv = argv});
    EXPECT_OK(out);
    return out.ok() ? *out : ProcessOutput{};
  };
  struct Restore {
    std::function<void()> f;
    ~Restore() { f(); }
  } restore{[&] { (void)rollout({kV2, "50", "--allow-lower"}); }};
  auto checked = [&] {
    auto out = hull::RunAllowFailure(
        Command{.argv = {hull_bin, "update", "check", "--repo", Base(), "--trusted-root",
                         repo_ + "/1.root.json", "--arch", "amd64", "--json"}});
    EXPECT_OK(out);
    if (!out.ok() || out->exit_code != 0) return nlohmann::json();
    return nlohmann::json::parse(out->out)["release"];
  };
  // A node on kV1 whose bucket for kV2 is in [50, 80): held back at 50%.
  std::vector<std::string> ids;
  for (int i = 0; i < 60; ++i) ids.push_back(fmt::format("{:032x}", 0x2000 + i));
  const auto buckets = PythonBuckets(kV2, ids);
  ASSERT_EQ(buckets.size(), ids.size());
  ApplyFilters f;
  for (size_t i = 0; i < ids.size() && f.machine_id.empty(); ++i)
    if (buckets[i] >= 50 && buckets[i] < 80) f.machine_id = ids[i];
  ASSERT_FALSE(f.machine_id.empty());
  std::string image = Fresh(1, "raised");
  auto held = Apply(image, f);
  ASSERT_OK(held);
  EXPECT_TRUE(held->up_to_date);
  EXPECT_EQ(held->version, kV1);

  auto before = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(before);
  const std::set<std::string> of_v2 = TargetsOfRelease(*before, kV2);
  ASSERT_EQ(of_v2.size(), 7u);

  ProcessOutput out = rollout({kV2, "80", "--json"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  auto j = nlohmann::json::parse(out.out);
  EXPECT_TRUE(j["changed"].get<bool>());
  EXPECT_EQ(j["from"], 50);
  EXPECT_EQ(j["rollout_percent"], 80);
  EXPECT_EQ(j["targets"].get<std::set<std::string>>(), of_v2);
  auto after = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(after);
  ExpectOnlyCustomEdited(*before, *after, of_v2,
                         [](nlohmann::json& custom) { custom["rollout_percent"] = 80; });
  // The TUF client verifies the re-signed metadata and reads 80%; the node
  // installs kV2 now.
  EXPECT_EQ(checked()["rollout_percent"], 80);
  auto raised = Apply(image, f);
  ASSERT_OK(raised);
  EXPECT_FALSE(raised->up_to_date);
  EXPECT_EQ(raised->version, kV2);

  // Again: nothing to sign.
  out = rollout({kV2, "80"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("is at 80% already: nothing signed"), std::string::npos) << out.out;
  EXPECT_EQ(tuf::Repository::ReadTargets(repo_)->version, after->version);
  // Lowering without --allow-lower, a percentage above 100, an unknown
  // release: refused, nothing written.
  out = rollout({kV2, "10"});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_NE(out.err.find("release 202612.08.0 is at 80%: lowering it to 10% needs --allow-lower"),
            std::string::npos)
      << out.err;
  out = rollout({kV2, "101"});
  EXPECT_EQ(out.exit_code, 2) << out.err;
  EXPECT_NE(out.err.find("PERCENT: Value 101 not in range 0 to 100"), std::string::npos) << out.err;
  out = rollout({"202701.01.0", "100"});
  EXPECT_EQ(out.exit_code, 2) << out.err;
  EXPECT_NE(out.err.find("has no release 202701.01.0"), std::string::npos) << out.err;
  EXPECT_EQ(tuf::Repository::ReadTargets(repo_)->version, after->version);
  auto keys = tuf::RoleKeySet::Load(keydir_, false);
  ASSERT_OK(keys);
  EXPECT_ERROR(release::SetRollout(repo_, *keys, kV2, 101, {}), ErrorCode::kInvalidArgument);

  // Lowered to 0% with --allow-lower: a node already on kV2 stays on it.
  out = rollout({kV2, "0", "--allow-lower"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(checked()["rollout_percent"], 0);
  auto stays = Apply(image, f);
  ASSERT_OK(stays);
  EXPECT_TRUE(stays->up_to_date);
  EXPECT_EQ(stays->version, kV2);

  // A withdrawn release is refused: pull it first, nothing written.
  auto pulled =
      hull::Run(Command{.argv = {hull_bin, "release", "pull", repo_, kV2, "--keys", keydir_}});
  ASSERT_OK(pulled);
  struct Undo {
    std::function<void()> f;
    ~Undo() { f(); }
  } undo{[&] {
    (void)hull::Run(
        Command{.argv = {hull_bin, "release", "pull", repo_, kV2, "--undo", "--keys", keydir_}});
  }};
  const uint64_t withdrawn_version = tuf::Repository::ReadTargets(repo_)->version;
  out = rollout({kV2, "100"});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_NE(out.err.find("release 202612.08.0 is withdrawn"), std::string::npos) << out.err;
  EXPECT_NE(out.err.find("--undo"), std::string::npos) << out.err;
  EXPECT_EQ(tuf::Repository::ReadTargets(repo_)->version, withdrawn_version);
}

// SOURCE as a disk image and as a build output directory holding disk.raw;
// the text output of `update apply`.
TEST_F(ReleaseTest, CliPublishesFromDiskImagesAndBuildDirectories) {
  const std::string repo = inputs_->dir() + "/repo-cli", keys = inputs_->dir() + "/keys-cli";
  const char* hull_bin = getenv("HULL_BIN");
  auto init = hull::Run(Command{.argv = {hull_bin, "release", "init", repo, "--keys", keys}});
  ASSERT_OK(init);
  const std::string build_dir = inputs_->dir() + "/build-out";
  fs::create_directories(build_dir);
  ASSERT_OK(testing::CopyImage(disks_[1], build_dir + "/disk.raw"));
  for (const std::string& source : {disks_[0], build_dir}) {
    auto add = hull::Run(Command{.argv = {hull_bin, "release", "add", repo, source, "--keys", keys,
                                          "--delta-level", "3", "--chunk-level", "3"}});
    ASSERT_OK(add);
    EXPECT_NE(add->out.find("Chunks: "), std::string::npos) << add->out;
  }
  auto t = tuf::Repository::ReadTargets(repo);
  ASSERT_OK(t);
  EXPECT_EQ(
      t->targets.at(std::string("hull-immutable-amd64-") + kV0 + ".usr.erofs").custom["root_hash"],
      releases_[0].root_hash);
  EXPECT_EQ(
      t->targets.at(std::string("hull-immutable-amd64-") + kV1 + ".usr.erofs").hashes.at("sha256"),
      HexEncode(
          *crypto::DigestFile(crypto::DigestAlgorithm::kSha256, releases_[1].dir + "/usr.erofs")));
  EXPECT_EQ(
      t->targets.count(std::string("hull-immutable-amd64-") + kV1 + ".usr.from-" + kV0 + ".zst"),
      1u);
  auto wrong =
      hull::RunAllowFailure(Command{.argv = {hull_bin, "release", "add", repo, releases_[2].dir,
                                             "--keys", keys, "--version", "202701.01.0"}});
  ASSERT_OK(wrong);
  EXPECT_EQ(wrong->exit_code, 2);
  EXPECT_NE(wrong->err.find("--version 202701.01.0 but the payload is 202612.08.0"),
            std::string::npos)
      << wrong->err;
  EXPECT_EQ(tuf::Repository::ReadTargets(repo)->targets.count(std::string("hull-immutable-amd64-") +
                                                              kV2 + ".usr.erofs"),
            0u);
  auto bad = hull::RunAllowFailure(
      Command{.argv = {hull_bin, "release", "add", repo, inputs_->dir(), "--keys", keys}});
  ASSERT_OK(bad);
  EXPECT_EQ(bad->exit_code, 2);
  EXPECT_NE(bad->err.find("holds neither payload.json nor disk.raw"), std::string::npos)
      << bad->err;

  std::string image = Fresh(0, "cli-text");
  auto out = hull::RunAllowFailure(
      Command{.argv = {hull_bin, "update", "apply", "--repo", "file://" + repo, "--trusted-root",
                       repo + "/1.root.json", "--disk", image, "--machine-id", ""}});
  ASSERT_OK(out);
  ASSERT_EQ(out->exit_code, 0) << out->err;
  EXPECT_NE(out->out.find(std::string("usr       delta from ") + kV0), std::string::npos)
      << out->out;
  EXPECT_NE(out->out.find("verity    recomputed"), std::string::npos) << out->out;
  EXPECT_NE(out->out.find("%); peak RSS "), std::string::npos) << out->out;
  std::printf("%s", out->out.c_str());
}

}  // namespace
}  // namespace hull::slot

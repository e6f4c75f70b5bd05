// One repository publishing amd64 and arm64 releases side by side (issue 22):
// the arch of each release comes from its payload's UKI (Debian's x86-64 and
// aarch64 systemd-stubs), an --arch that is not the payload's is refused,
// deltas join releases of one arch only, `hull release ls --arch` lists one
// arch, and a disk updates to the newest release of its own arch even when
// the other arch has a newer one. Oracles: the DPS types the disks were laid
// out with (build::BuildLayout), the stubs' COFF machines, and the
// installer's verification of the written slot.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/subprocess.h"
#include "slot/fixture.h"
#include "slot/update.h"
#include "support/status_matchers.h"
#include "tuf/repository.h"

namespace hull::slot {
namespace {

using ::testing::HasSubstr;
using testing::Inputs;
using testing::Release;

constexpr const char* kV0 = "202611.24.0";
constexpr const char* kV1 = "202612.01.0";
constexpr const char* kV2 = "202612.08.0";

// amd64 publishes V0 and V1, arm64 V0 and V2: the newest release in the
// repository is arm64's.
class ArchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto in = Inputs::Create();
    ASSERT_OK(in);
    inputs_ = std::move(*in).release();
    for (auto [v, arch] :
         {std::pair{kV0, "amd64"}, {kV1, "amd64"}, {kV0, "arm64"}, {kV2, "arm64"}}) {
      auto r = inputs_->MakeRelease(v, 256, /*real_kernel=*/false, "shared", arch);
      ASSERT_OK(r);
      releases_[fmt::format("{}-{}", arch, v)] = *r;
    }
    // No arch given: each release's is its payload's.
    auto repo = testing::PublishRepository(
        *inputs_, {R("amd64", kV0).dir, R("arm64", kV0).dir, R("amd64", kV1).dir});
    ASSERT_OK(repo);
    repo_ = repo->dir;
    keydir_ = repo->keydir;
  }
  static void TearDownTestSuite() {
    delete inputs_;
    inputs_ = nullptr;
  }

  static Result<ProcessOutput> Hull(std::vector<std::string> args) {
    args.insert(args.begin(), getenv("HULL_BIN"));
    return hull::RunAllowFailure(Command{.argv = std::move(args)});
  }
  static const Release& R(const std::string& arch, const char* v) {
    return releases_[fmt::format("{}-{}", arch, v)];
  }
  // `hull update check` against the repository directory, --json.
  static Result<ProcessOutput> Check(std::vector<std::string> args) {
    args.insert(args.begin(), {"update", "check", "--repo", repo_, "--trusted-root",
                               repo_ + "/1.root.json", "--json"});
    return Hull(std::move(args));
  }
  // Publishes arm64 V2 through the CLI with --arch arm64 (once).
  static void PublishArm64V2() {
    if (published_v2_) return;
    auto out = Hull({"release", "add", repo_, R("arm64", kV2).dir, "--keys", keydir_, "--arch",
                     "arm64", "--delta-level", "3", "--chunk-level", "3", "--json"});
    ASSERT_OK(out);
    ASSERT_EQ(out->exit_code, 0) << out->err;
    published_v2_ = true;
  }

  static inline Inputs* inputs_ = nullptr;
  static inline std::map<std::string, Release> releases_;
  static inline std::string repo_, keydir_;
  static inline bool published_v2_ = false;
};

TEST_F(ArchTest, ArchThatIsNotThePayloadsIsOneLineAndPublishesNothing) {
  auto before = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(before);
  auto out =
      Hull({"release", "add", repo_, R("arm64", kV2).dir, "--keys", keydir_, "--arch", "amd64"});
  ASSERT_OK(out);
  EXPECT_NE(out->exit_code, 0);
  EXPECT_EQ(out->err,
            "hull: release add: --arch amd64 but the payload's UKI is for arm64 (aarch64): "
            "publish it with --arch arm64 or without --arch\n");
  out = Hull({"release", "add", repo_, R("amd64", kV1).dir, "--keys", keydir_, "--arch", "arm64",
              "--version", kV1});
  ASSERT_OK(out);
  EXPECT_NE(out->exit_code, 0);
  EXPECT_THAT(out->err, HasSubstr("--arch arm64 but the payload's UKI is for amd64 (x86-64)"));
  auto after = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(after);
  EXPECT_EQ(after->version, before->version);
  EXPECT_EQ(after->targets.size(), before->targets.size());
}

TEST_F(ArchTest, TargetsAndDeltasStayWithinTheirArch) {
  PublishArm64V2();
  auto t = tuf::Repository::ReadTargets(repo_);
  ASSERT_OK(t);
  std::set<std::string> deltas;
  for (const auto& [name, f] : t->targets) {
    const auto& c = f.custom;
    const std::string arch = c.value("arch", ""), version = c.value("version", "");
    // The name says the arch the custom metadata says.
    EXPECT_TRUE(name.starts_with("hull-immutable-" + arch + "-" + version + ".")) << name;
    if (c.value("payload", "") != "usr-delta") continue;
    deltas.insert(name);
    // A delta's source is a release of its own arch: its root hash.
    EXPECT_EQ(c.value("from_root_hash", ""), R(arch, c.value("from", "").c_str()).root_hash)
        << name;
  }
  // arm64 V2's delta is from arm64 V0, not from amd64 V1 (newer, other arch).
  EXPECT_EQ(deltas, (std::set<std::string>{
                        fmt::format("hull-immutable-amd64-{}.usr.from-{}.zst", kV1, kV0),
                        fmt::format("hull-immutable-arm64-{}.usr.from-{}.zst", kV2, kV0)}));
}

TEST_F(ArchTest, ReleaseLsListsOneArch) {
  PublishArm64V2();
  auto out = Hull({"release", "ls", repo_, "--arch", "arm64", "--json"});
  ASSERT_OK(out);
  ASSERT_EQ(out->exit_code, 0) << out->err;
  std::set<std::string> versions;  // one row per target: the pieces of each release
  for (const auto& r : nlohmann::json::parse(out->out)) {
    EXPECT_EQ(r["arch"], "arm64");
    versions.insert(r["version"].get<std::string>());
  }
  EXPECT_EQ(versions, (std::set<std::string>{kV0, kV2}));
  // Without --arch: both arches' (one row per target).
  out = Hull({"release", "ls", repo_, "--json"});
  ASSERT_OK(out);
  std::set<std::string> arches;
  for (const auto& r : nlohmann::json::parse(out->out)) arches.insert(r["arch"].get<std::string>());
  EXPECT_EQ(arches, (std::set<std::string>{"amd64", "arm64"}));
}

TEST_F(ArchTest, EachDiskTakesTheNewestReleaseOfItsOwnArch) {
  PublishArm64V2();
  for (const std::string arch : {"amd64", "arm64"}) {
    auto image = inputs_->MakeDisk(R(arch, kV0), "disk-" + arch, 3 << 20, arch);
    ASSERT_OK(image);
    const std::string other_arch = arch == "amd64" ? "arm64" : "amd64";
    const char* want = arch == "amd64" ? kV1 : kV2;
    // `hull update check --disk` takes the disk's arch as apply does: amd64's
    // V1 although arm64's V2 is newer; an --arch of another is refused.
    auto checked = Check({"--disk", *image});
    ASSERT_OK(checked);
    ASSERT_EQ(checked->exit_code, 0) << checked->err;
    const auto release = nlohmann::json::parse(checked->out)["release"];
    EXPECT_EQ(release["version"], want) << arch;
    EXPECT_EQ(release["arch"], arch);
    checked = Check({"--disk", *image, "--arch", other_arch});
    ASSERT_OK(checked);
    EXPECT_EQ(checked->exit_code, 2);
    EXPECT_EQ(checked->err,
              fmt::format("hull: update check: --arch {} but the disk's usr partitions are {}: "
                          "leave --arch out (the disk's is used) or update an {} disk\n",
                          other_arch, arch, other_arch));
    auto node = testing::OpenUpdatingNode(repo_, repo_, *image);
    ASSERT_OK(node);
    auto st = ReadDiskState(*node->opened.disk, *node->opened.esp);
    ASSERT_OK(st);
    EXPECT_EQ(*DiskArch(*st), arch);
    // Asking for the other arch is refused before anything is written.
    ApplyFilters other;
    other.arch = other_arch;
    auto refused = node->Apply(other);
    ASSERT_ERROR(refused, ErrorCode::kInvalidArgument);
    EXPECT_EQ(refused.error().message(),
              fmt::format("--arch {} but the disk's usr partitions are {}: leave --arch out (the "
                          "disk's is used) or update an {} disk",
                          other.arch, arch, other.arch));
    // No filter: the disk's arch. amd64 takes V1 although arm64's V2 is newer.
    auto r = node->Apply();
    ASSERT_OK(r);
    EXPECT_EQ(r->version, want);
    EXPECT_EQ(r->root_hash, R(arch, want).root_hash);
    EXPECT_EQ(r->pieces["usr"].method, std::string("delta from ") + kV0) << arch;
    EXPECT_EQ(r->install.slot, "B");
  }
}

// Without a disk the check knows no arch but the one it is told: --arch
// narrows to it, neither is refused before anything is fetched (the newest
// release of any arch, arm64's V2 here, is no node's answer).
TEST_F(ArchTest, UpdateCheckWithoutADiskNeedsAnArch) {
  PublishArm64V2();
  for (const auto& [arch, want] : {std::pair{"amd64", kV1}, {"arm64", kV2}}) {
    auto out = Check({"--arch", arch});
    ASSERT_OK(out);
    ASSERT_EQ(out->exit_code, 0) << out->err;
    const auto release = nlohmann::json::parse(out->out)["release"];
    EXPECT_EQ(release["version"], want);
    EXPECT_EQ(release["arch"], arch);
  }
  const std::pair<std::vector<std::string>, std::string> kRefused[] = {
      {{},
       "hull: update check: which architecture's releases? give --disk DISK (the node's disk: its "
       "arch is used) or --arch amd64|arm64\n"},
      {{"--arch", "aarch64"},
       "hull: update check: --arch aarch64 is not an architecture Hull builds (amd64, arm64)\n"},
  };
  for (const auto& [args, err] : kRefused) {
    // A repository that does not exist: the refusal comes before any fetch.
    std::vector<std::string> a = {"update",          "check",          "--repo",
                                  repo_ + "/absent", "--trusted-root", repo_ + "/1.root.json"};
    a.insert(a.end(), args.begin(), args.end());
    auto out = Hull(std::move(a));
    ASSERT_OK(out);
    EXPECT_EQ(out->exit_code, 2);
    EXPECT_EQ(out->err, err);
    EXPECT_EQ(out->out, "");
  }
}

}  // namespace
}  // namespace hull::slot

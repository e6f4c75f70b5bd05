// The working space and memory of `hull update apply` (the agent's ApplyUpdate)
// on an image of realistic size: two releases of a 256 MiB usr image that
// differ in one 64 KiB file, applied once by delta and once by a whole
// download (a repository with neither delta nor chunk index). The process is
// measured from outside (bench/peak-anon.py polls /proc/PID/status): its
// anonymous memory must stay within 64 MiB (a node's budget), and nothing
// the size of the image may appear under its TMPDIR (the usr image is read
// and written in the slots themselves). And a download that fails its hash
// after it was streamed into the target slot leaves the node as it was.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "release/publish.h"
#include "slot/fixture.h"
#include "slot/state.h"
#include "slot/update.h"
#include "support/status_matchers.h"

namespace hull::slot {
namespace {
namespace fs = std::filesystem;

using testing::Inputs;
using testing::Release;

constexpr const char* kV1 = "202612.01.0";
constexpr const char* kV2 = "202612.08.0";
constexpr uint64_t kImageKib = 256 * 1024;
constexpr uint64_t kSlotBytes = uint64_t(300) << 20;
constexpr uint64_t kMaxAnonKib = 64 * 1024;  // see ExpectSmall

class MemoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto in = Inputs::Create();
    ASSERT_OK(in);
    inputs_ = std::move(*in).release();
    for (const char* v : {kV1, kV2}) {
      auto r = inputs_->MakeRelease(v, kImageKib, /*real_kernel=*/true, "shared content");
      ASSERT_OK(r);
      releases_.push_back(*r);
    }
    auto keys = tuf::RoleKeySet::Load(inputs_->dir() + "/keys", true);
    ASSERT_OK(keys);
    release::PublishOptions o;
    o.delta_level = 3;
    o.chunks = false;
    // With a delta from the release the disk runs.
    ASSERT_OK(tuf::Repository::Init(Repo("delta"), *keys));
    for (const Release& r : releases_)
      ASSERT_OK(release::PublishRelease(Repo("delta"), *keys, r.dir, o));
    // The newest alone, without delta or chunk index: downloaded whole.
    ASSERT_OK(tuf::Repository::Init(Repo("full"), *keys));
    o.deltas = 0;
    ASSERT_OK(release::PublishRelease(Repo("full"), *keys, releases_[1].dir, o));
  }
  static void TearDownTestSuite() { delete inputs_; }

  static std::string Repo(const std::string& name) { return inputs_->dir() + "/repo-" + name; }

  struct Measured {
    nlohmann::json apply, peak;
  };

  // `hull update apply` of `repo` to a fresh disk running kV1, measured.
  static Result<Measured> ApplyMeasured(const std::string& repo, const std::string& name) {
    HULL_ASSIGN_OR_RETURN(std::string image, inputs_->MakeDisk(releases_[0], name, kSlotBytes));
    const std::string tmp = inputs_->dir() + "/tmp-" + name;
    fs::create_directories(tmp);
    const std::string peak = inputs_->dir() + "/peak-" + name + ".json";
    const std::string src = std::getenv("HULL_SOURCE_DIR");
    HULL_ASSIGN_OR_RETURN(
        auto out,
        hull::Run(Command{.argv = {"env", "TMPDIR=" + tmp, "python3", src + "/bench/peak-anon.py",
                                   "--watch", tmp, peak, std::getenv("HULL_BIN"), "update", "apply",
                                   "--repo", repo, "--trusted-root", repo + "/1.root.json",
                                   "--disk", image, "--json"}}));
    Measured m;
    m.apply = nlohmann::json::parse(out.out);
    HULL_ASSIGN_OR_RETURN(std::string p, ReadFileText(peak));
    m.peak = nlohmann::json::parse(p);
    std::printf("%s: %s, %llu bytes downloaded, %.1f s, RssAnon peak %llu KiB, TMPDIR peak %llu\n",
                name.c_str(), m.apply["pieces"]["usr"]["method"].dump().c_str(),
                (unsigned long long)m.apply["downloaded_bytes"].get<uint64_t>(),
                m.peak["seconds"].get<double>(),
                (unsigned long long)m.peak["peak_rss_anon_kib"].get<uint64_t>(),
                (unsigned long long)m.peak["peak_watch_bytes"].get<uint64_t>());
    std::error_code ec;
    fs::remove(image, ec);
    return m;
  }

  static void ExpectSmall(const Measured& m) {
    EXPECT_GT(m.peak["peak_rss_anon_kib"].get<uint64_t>(), 0u);  // it was measured
    EXPECT_LE(m.peak["peak_rss_anon_kib"].get<uint64_t>(), kMaxAnonKib);
    // A patch, the verity tree, UKIs: far below the 256 MiB image.
    EXPECT_LT(m.peak["peak_watch_bytes"].get<uint64_t>(), uint64_t(64) << 20);
  }

  static inline Inputs* inputs_ = nullptr;
  static inline std::vector<Release> releases_;
};

TEST_F(MemoryTest, DeltaAppliesInPlaceWithinTheBudget) {
  ASSERT_OK_AND_ASSIGN(Measured m, ApplyMeasured(Repo("delta"), "delta"));
  EXPECT_EQ(m.apply["version"], kV2);
  EXPECT_EQ(m.apply["pieces"]["usr"]["method"], std::string("delta from ") + kV1);
  EXPECT_EQ(m.apply["install"]["slot"], "B");
  ExpectSmall(m);
}

TEST_F(MemoryTest, FullDownloadStreamsIntoTheSlotWithinTheBudget) {
  ASSERT_OK_AND_ASSIGN(Measured m, ApplyMeasured(Repo("full"), "full"));
  EXPECT_EQ(m.apply["version"], kV2);
  EXPECT_EQ(m.apply["pieces"]["usr"]["method"], "full");
  EXPECT_GE(m.apply["downloaded_bytes"].get<uint64_t>(), kImageKib * 1024);
  EXPECT_EQ(m.apply["install"]["slot"], "B");
  ExpectSmall(m);
}

// The whole image altered on the server: streamed into the retired slot B,
// refused by its hash at the end; slot B stays "_empty" and the running
// entry is untouched and still verifies.
TEST_F(MemoryTest, TamperedDownloadLeavesTheRunningSlotBootable) {
  std::string stored;
  for (const auto& e : fs::directory_iterator(Repo("full") + "/targets"))
    if (e.path().string().ends_with(std::string(".hull-immutable-amd64-") + kV2 + ".usr.erofs"))
      stored = e.path();
  ASSERT_FALSE(stored.empty());
  ASSERT_OK_AND_ASSIGN(Bytes good, ReadFileBytes(stored));
  Bytes bad = good;
  bad[bad.size() / 2] ^= 1;
  ASSERT_OK(WriteFileAtomic(stored, bad));
  ASSERT_OK_AND_ASSIGN(std::string image, inputs_->MakeDisk(releases_[0], "tampered", kSlotBytes));
  Result<ApplyResult> r = Error(ErrorCode::kInternal, "not run");
  {
    ASSERT_OK_AND_ASSIGN(auto node, testing::OpenUpdatingNode(Repo("full"), Repo("full"), image));
    InstallOptions io;
    io.verity_cert = &inputs_->verity_cert();
    r = node.Apply({}, io);
  }
  ASSERT_OK(WriteFileAtomic(stored, good));
  ASSERT_ERROR(r, ErrorCode::kVerifyFailed);
  EXPECT_NE(r.error().ToString().find("does not match its sha256 hash"), std::string::npos)
      << r.error().ToString();
  ASSERT_OK_AND_ASSIGN(OpenedDisk o, OpenDisk(image, false));
  ASSERT_OK_AND_ASSIGN(std::string def, CheckBootable(*o.disk, *o.esp, &inputs_->verity_cert()));
  EXPECT_EQ(def, std::string("hull_") + kV1 + "+3.efi");
  ASSERT_OK_AND_ASSIGN(DiskState st, ReadDiskState(*o.disk, *o.esp));
  ASSERT_EQ(st.slots.size(), 2u);
  EXPECT_EQ(st.slots[1].usr.name, kEmptyLabel);
  EXPECT_EQ(st.ukis.size(), 1u);
}

}  // namespace
}  // namespace hull::slot

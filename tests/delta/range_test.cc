// Seeds read in place and images written in place: OLD lies inside a larger
// "disk" file at an unaligned offset (as the active usr partition lies in a
// disk), the result goes to another range of the same file (the inactive
// partition). Expected bytes: NEW as written by test_data.h, and every byte
// outside the output range as it was before.
#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/digest.h"
#include "delta/assemble.h"
#include "delta/patch.h"
#include "support/status_matchers.h"
#include "test_data.h"

namespace hull::delta {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSeedOffset = 12345;  // not a page multiple: maps must cope

class RangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("range");
    ASSERT_OK(d);
    dir_ = d->Release();
    old_ = testing::RealishData(6u << 20);
    new_ = testing::Edited(old_);
    old_path_ = testing::Put(dir_, "old", old_);
    new_path_ = testing::Put(dir_, "new", new_);
    // The disk: 0xA5 head, OLD, 0x3C filler, an output range holding stale
    // bytes (0x77), a 0x5A tail.
    out_offset_ = kSeedOffset + old_.size() + 4097;
    disk_.assign(kSeedOffset, 0xA5);
    disk_.insert(disk_.end(), old_.begin(), old_.end());
    disk_.resize(out_offset_, 0x3C);
    disk_.resize(out_offset_ + kCapacity, 0x77);
    disk_.resize(disk_.size() + 8192, 0x5A);
    disk_path_ = testing::Put(dir_, "disk", disk_);
    auto f = File::OpenReadWrite(disk_path_);
    ASSERT_OK(f);
    disk_file_ = std::move(*f);
  }
  void TearDown() override { fs::remove_all(dir_); }

  FileRange Seed() const { return {&disk_file_, kSeedOffset, old_.size()}; }
  WritableRange Out(uint64_t capacity = kCapacity) { return {&disk_file_, out_offset_, capacity}; }
  // The disk now: NEW in the output range, everything else as it was.
  void ExpectNewInPlace() {
    Bytes want = disk_;
    std::copy(new_.begin(), new_.end(), want.begin() + ptrdiff_t(out_offset_));
    auto now = ReadFileBytes(disk_path_);
    ASSERT_OK(now);
    ASSERT_EQ(now->size(), want.size());
    EXPECT_TRUE(*now == want);
  }
  void ExpectDiskUnchanged() {
    auto now = ReadFileBytes(disk_path_);
    ASSERT_OK(now);
    EXPECT_TRUE(*now == disk_);
  }

  static constexpr uint64_t kCapacity = 7u << 20;
  std::string dir_, old_path_, new_path_, disk_path_;
  Bytes old_, new_, disk_;
  uint64_t out_offset_ = 0;
  File disk_file_;
};

TEST_F(RangeTest, PatchReadsTheSeedRangeAndWritesTheOutputRange) {
  const std::string patch = dir_ + "/patch.zst";
  ASSERT_OK(MakePatch(old_path_, new_path_, patch, {.level = 3}));
  auto p = File::OpenRead(patch);
  ASSERT_OK(p);
  auto a = ApplyPatchInto(Seed(), *p, Out(), {.sha256 = crypto::Sha256(new_)});
  ASSERT_OK(a);
  EXPECT_EQ(a->out_size, new_.size());
  ExpectNewInPlace();
}

TEST_F(RangeTest, PatchLargerThanTheOutputRangeIsRefusedBeforeWriting) {
  const std::string patch = dir_ + "/patch.zst";
  ASSERT_OK(MakePatch(old_path_, new_path_, patch, {.level = 3}));
  auto p = File::OpenRead(patch);
  ASSERT_OK(p);
  auto a = ApplyPatchInto(Seed(), *p, Out(new_.size() - 1), {.sha256 = crypto::Sha256(new_)});
  EXPECT_ERROR(a, ErrorCode::kRefused);
  ExpectDiskUnchanged();
}

TEST_F(RangeTest, PatchAgainstAShiftedSeedIsCorrupt) {
  // The seed one byte off: the result differs, the frame checksum says so.
  const std::string patch = dir_ + "/patch.zst";
  ASSERT_OK(MakePatch(old_path_, new_path_, patch, {.level = 3}));
  auto p = File::OpenRead(patch);
  ASSERT_OK(p);
  FileRange shifted{&disk_file_, kSeedOffset - 1, old_.size()};
  auto a = ApplyPatchInto(shifted, *p, Out(), {.sha256 = crypto::Sha256(new_)});
  EXPECT_ERROR(a, ErrorCode::kCorrupt);
}

TEST_F(RangeTest, AssembleSeedsFromTheRangeAndWritesTheOutputRange) {
  const std::string store = dir_ + "/store";
  auto idx = SplitImage(new_path_, store, {.level = 3}, nullptr);
  ASSERT_OK(idx);
  int requests = 0;
  auto inner = MakeChunkSource(store);
  ChunkSource source = [&](ByteSpan sha, uint64_t max) {
    ++requests;
    return inner(sha, max);
  };
  FileRange seed = Seed();
  auto st = AssembleInto(*idx, &seed, source, Out());
  ASSERT_OK(st);
  // Three small edits: almost everything comes from the seed range.
  EXPECT_GT(st->bytes_from_seed, new_.size() * 9 / 10);
  EXPECT_LE(requests, 6);
  ExpectNewInPlace();
}

TEST_F(RangeTest, AssembleLargerThanTheOutputRangeIsRefusedBeforeWriting) {
  const std::string store = dir_ + "/store";
  auto idx = SplitImage(new_path_, store, {.level = 3}, nullptr);
  ASSERT_OK(idx);
  FileRange seed = Seed();
  auto st = AssembleInto(*idx, &seed, MakeChunkSource(store), Out(new_.size() - 1));
  EXPECT_ERROR(st, ErrorCode::kRefused);
  ExpectDiskUnchanged();
}

}  // namespace
}  // namespace hull::delta

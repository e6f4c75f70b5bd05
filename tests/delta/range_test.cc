// Seeds read in place and images written in place: OLD lies inside a larger
// "disk" file at an unaligned offset (as the active usr partition lies in a
// disk), the result goes to another range of the same file (the inactive
// partition). Expected bytes: NEW as written by test_data.h, and every byte
// outside the output range as it was before.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "crypto/digest.h"
#include "delta/assemble.h"
#include "delta/patch.h"
#include "delta/range.h"
#include "old_new_fixture.h"
#include "support/status_matchers.h"

namespace hull::delta {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSeedOffset = 12345;  // not a page multiple: maps must cope

class RangeTest : public testing::OldNewTest {
 protected:
  void SetUp() override {
    OldNewTest::SetUp();
    if (HasFatalFailure()) return;
    // The disk: 0xA5 head, OLD, 0x3C filler, an output range holding stale
    // bytes (0x77), a 0x5A tail.
    // A page boundary (4 KiB multiple, a multiple of every page size up to
    // 64 KiB): a writable map of a range must start on one.
    out_offset_ = (kSeedOffset + old_.size() + 4097 + 65535) / 65536 * 65536;
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
  std::string disk_path_;
  Bytes disk_;
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

// A shared map writes back whole pages: an output range that starts or
// ends inside a page (with bytes of the file after it) would write the
// neighbour's bytes back, so it is refused before anything is written.
TEST_F(RangeTest, UnalignedOutputRangeIsRefusedBeforeWriting) {
  const std::string patch = dir_ + "/patch.zst";
  ASSERT_OK(MakePatch(old_path_, new_path_, patch, {.level = 3}));
  auto p = File::OpenRead(patch);
  ASSERT_OK(p);
  const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
  WritableRange shifted{&disk_file_, out_offset_ + 512, kCapacity - 512};
  auto a = ApplyPatchInto(Seed(), *p, shifted, {.sha256 = crypto::Sha256(new_)});
  EXPECT_ERROR(a, ErrorCode::kInvalidArgument);
  ExpectDiskUnchanged();
  // Ends inside a page, with the rest of the disk after it.
  ASSERT_NE(new_.size() % page, 0u);
  a = ApplyPatchInto(Seed(), *p, Out(new_.size()), {.sha256 = crypto::Sha256(new_)});
  EXPECT_ERROR(a, ErrorCode::kInvalidArgument);
  ExpectDiskUnchanged();
  auto m = WritableMap::Open({&disk_file_, out_offset_, page + 1}, page + 1);
  EXPECT_ERROR(m, ErrorCode::kInvalidArgument);
  // Page-aligned start and end: mapped.
  EXPECT_OK(WritableMap::Open({&disk_file_, out_offset_, 2 * page}, page + 1));
}

// An output range ending at the file's end need not end on a page boundary
// (the rest of the last page lies past the end: nothing to overwrite).
TEST_F(RangeTest, OutputRangeEndingAtTheFilesEndNeedsNoAlignedEnd) {
  auto d = TempDir::Create("range-end");
  ASSERT_OK(d);
  auto f = File::CreateNew(d->path() + "/f");
  ASSERT_OK(f);
  const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
  ASSERT_OK(f->WriteAt(0, Bytes(page + 100, 0x11)));
  auto m = WritableMap::Open({&*f, page, 100}, 100);
  ASSERT_OK(m);
  std::fill(m->data(), m->data() + 100, 0x22);
  ASSERT_OK(m->Flush());
  auto now = ReadFileBytes(d->path() + "/f");
  ASSERT_OK(now);
  Bytes want(page, 0x11);
  want.resize(page + 100, 0x22);
  EXPECT_TRUE(*now == want);
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

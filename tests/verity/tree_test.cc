#include "verity/tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "base/hex.h"
#include "support/status_matchers.h"
#include "verity/superblock.h"
#include "verity/table.h"

namespace hull::verity {
namespace {

// Geometry of REFERENCE.md §5.2, checked against the level counts and sizes
// veritysetup reports ("Hash blocks:" in `veritysetup format` output):
// 129 data blocks -> 3 hash blocks; 1 data block -> 0.
TEST(Geometry, LevelsAndPositions) {
  VerityParams p;
  p.data_blocks = 129;
  auto g = ComputeGeometry(p);
  ASSERT_OK(g);
  EXPECT_EQ(g->levels(), 2);
  EXPECT_EQ(g->hash_blocks(), 3u);
  EXPECT_EQ(g->tree_start_block, 1u);  // after the superblock
  EXPECT_EQ(g->level_block[1], 1u);    // top level first
  EXPECT_EQ(g->level_block[0], 2u);
  EXPECT_EQ(g->level_size[0], 2u);
  EXPECT_EQ(g->hash_end_bytes(), 16384u);

  p.data_blocks = 1;
  g = ComputeGeometry(p);
  EXPECT_EQ(g->levels(), 0);
  EXPECT_EQ(g->hash_end_bytes(), 4096u);

  p.data_blocks = 128;
  EXPECT_EQ(ComputeGeometry(p)->levels(), 1);
  p.data_blocks = 128 * 128 + 1;
  EXPECT_EQ(ComputeGeometry(p)->levels(), 3);
}

TEST(Geometry, HashOffsetWithoutSuperblock) {
  VerityParams p;
  p.data_blocks = 10;
  p.superblock = false;
  p.hash_offset = 8192;
  EXPECT_EQ(ComputeGeometry(p)->tree_start_block, 2u);
  p.superblock = true;
  EXPECT_EQ(ComputeGeometry(p)->tree_start_block, 3u);  // ceil((8192 + 512) / 4096)
  p.superblock = false;
  p.hash_offset = 512;
  auto bad = ComputeGeometry(p);
  ASSERT_ERROR(bad, ErrorCode::kInvalidArgument);
}

TEST(Params, RejectsBadValues) {
  VerityParams p;
  p.data_blocks = 1;
  p.data_block_size = 3000;
  EXPECT_EQ(ValidateParams(p).error().message(),
            "data block size 3000 is not a power of two between 512 and 524288");
  p = VerityParams{};
  p.salt.resize(257);
  EXPECT_EQ(ValidateParams(p).error().message(), "salt is 257 bytes, at most 256 allowed");
  p = VerityParams{};
  p.hash_offset = 100;
  EXPECT_EQ(ValidateParams(p).error().message(), "hash offset 100 is not a multiple of 512");
  p = VerityParams{};
  p.hash_type = 2;
  EXPECT_ERROR(ValidateParams(p), ErrorCode::kUnsupported);
}

class TreeFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("hull-verity");
    ASSERT_OK(d);
    dir_ = std::make_unique<TempDir>(std::move(d).value());
    data_path_ = dir_->path() + "/data";
    hash_path_ = dir_->path() + "/hash";
  }
  void MakeData(uint64_t blocks, uint32_t bs = 4096) {
    Bytes d(blocks * bs);
    std::mt19937 rng(42);
    for (auto& b : d) b = uint8_t(rng());
    ASSERT_OK(WriteFileAtomic(data_path_, d));
  }
  FormatResult Format(VerityParams p) {
    auto data = File::OpenRead(data_path_);
    auto hash = File::CreateNew(hash_path_);
    auto r = FormatTree(*data, *hash, p, {.threads = 2});
    EXPECT_OK(r);
    return std::move(*r);
  }
  VerifyResult Verify(const Bytes& root) {
    auto data = File::OpenRead(data_path_);
    auto hash = File::OpenRead(hash_path_);
    auto p = ReadSuperblock(*hash);
    EXPECT_OK(p);
    auto r = VerifyTree(*data, *hash, *p, root, {.threads = 2});
    EXPECT_OK(r);
    return std::move(*r);
  }
  void FlipBit(const std::string& path, uint64_t offset) {
    auto f = File::OpenReadWrite(path);
    uint8_t b[1];
    ASSERT_OK(f->ReadAt(offset, b));
    b[0] ^= 0x10;
    ASSERT_OK(f->WriteAt(offset, b));
  }
  std::unique_ptr<TempDir> dir_;
  std::string data_path_, hash_path_;
};

TEST_F(TreeFixture, FormatThenVerify) {
  MakeData(300);
  VerityParams p;
  p.salt = *HexDecode("abcd");
  FormatResult r = Format(p);
  EXPECT_EQ(r.params.data_blocks, 300u);
  VerifyResult v = Verify(r.root_hash);
  EXPECT_TRUE(v.ok()) << v.Describe();
  EXPECT_EQ(v.Describe(), "ok");
}

// 129 blocks of 4 KiB: hash file = superblock block, level 1 (block 1),
// level 0 (blocks 2-3). Each corruption names the block it hit.
TEST_F(TreeFixture, FlippedDataBitNamesDataAndHashBlock) {
  MakeData(129);
  FormatResult r = Format(VerityParams{});
  FlipBit(data_path_, 128 * 4096 + 7);  // data block 128 -> level-0 block 3
  VerifyResult v = Verify(r.root_hash);
  ASSERT_FALSE(v.ok());
  ASSERT_EQ(v.mismatches.size(), 1u);
  EXPECT_EQ(v.mismatches[0].level, 0);
  EXPECT_EQ(v.mismatches[0].child, 128u);
  EXPECT_EQ(v.mismatches[0].hash_block, 3u);
  EXPECT_TRUE(v.root_matches);
  EXPECT_EQ(v.Describe(), "data block 128 does not match its digest in hash block 3 (level 0)");
}

TEST_F(TreeFixture, FlippedLevel0HashNamesIt) {
  MakeData(129);
  FormatResult r = Format(VerityParams{});
  FlipBit(hash_path_, 2 * 4096 + 5 * 32);  // digest of data block 5
  VerifyResult v = Verify(r.root_hash);
  ASSERT_EQ(v.mismatches.size(), 2u);
  EXPECT_EQ(v.mismatches[0].child, 5u);
  EXPECT_EQ(v.mismatches[1].level, 1);
  EXPECT_EQ(v.mismatches[1].child, 2u);  // hash block 2 is bad
  EXPECT_EQ(v.mismatches[1].hash_block, 1u);
  EXPECT_EQ(v.Describe(),
            "data block 5 does not match its digest in hash block 2 (level 0); hash block 2 "
            "(level 0) does not match its digest in hash block 1 (level 1)");
}

TEST_F(TreeFixture, FlippedTopLevelBreaksRoot) {
  MakeData(129);
  FormatResult r = Format(VerityParams{});
  FlipBit(hash_path_, 4096 + 33);
  VerifyResult v = Verify(r.root_hash);
  ASSERT_EQ(v.mismatches.size(), 1u);
  EXPECT_EQ(v.mismatches[0].level, 1);
  EXPECT_FALSE(v.root_matches);
}

TEST_F(TreeFixture, NonZeroPaddingIsReported) {
  MakeData(129);
  FormatResult r = Format(VerityParams{});
  FlipBit(hash_path_, 3 * 4096 + 100);  // block 3 holds one digest; byte 100 is padding
  VerifyResult v = Verify(r.root_hash);
  ASSERT_FALSE(v.mismatches.empty());
  EXPECT_TRUE(v.mismatches[0].padding);
  EXPECT_EQ(v.mismatches[0].hash_block, 3u);
}

TEST_F(TreeFixture, CorruptSuperblockIsAnError) {
  MakeData(4);
  Format(VerityParams{});
  FlipBit(hash_path_, 1);
  auto hash = File::OpenRead(hash_path_);
  auto p = ReadSuperblock(*hash);
  ASSERT_ERROR(p, ErrorCode::kCorrupt);
}

TEST_F(TreeFixture, WrongRootHash) {
  MakeData(2);
  Format(VerityParams{});
  VerifyResult v = Verify(Bytes(32, 0));
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(v.mismatches.empty());
  EXPECT_FALSE(v.root_matches);
}

TEST_F(TreeFixture, DataNotWholeBlocksIsRefused) {
  ASSERT_OK(WriteFileAtomic(data_path_, std::string(4097, 'x')));
  auto data = File::OpenRead(data_path_);
  auto hash = File::CreateNew(hash_path_);
  auto r = FormatTree(*data, *hash, VerityParams{});
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("not a multiple of the 4096-byte data block size"),
            std::string::npos);
}

TEST_F(TreeFixture, HashFileTooSmallForVerify) {
  MakeData(300);
  FormatResult r = Format(VerityParams{});
  auto h = File::OpenReadWrite(hash_path_);
  ASSERT_OK(h->Truncate(8192));
  auto data = File::OpenRead(data_path_);
  auto res = VerifyTree(*data, *h, r.params, r.root_hash);
  ASSERT_ERROR(res, ErrorCode::kVerifyFailed);
}

TEST_F(TreeFixture, ThreadCountDoesNotChangeOutput) {
  MakeData(5000);
  VerityParams p;
  auto data = File::OpenRead(data_path_);
  auto h1 = File::CreateNew(hash_path_);
  auto h2 = File::CreateNew(hash_path_ + "2");
  auto r1 = FormatTree(*data, *h1, p, {.threads = 1});
  auto r2 = FormatTree(*data, *h2, p, {.threads = 7});
  EXPECT_EQ(r1->root_hash, r2->root_hash);
  EXPECT_EQ(*ReadFileBytes(hash_path_), *ReadFileBytes(hash_path_ + "2"));
}

TEST(Table, KernelLine) {
  VerityParams p;
  p.data_blocks = 262144;
  p.salt = *HexDecode("1234");
  Bytes root(32, 0xab);
  auto t = KernelTable(p, "/dev/sda1", "/dev/sda2", root, {"restart_on_corruption"});
  ASSERT_OK(t);
  EXPECT_EQ(*t, "1 /dev/sda1 /dev/sda2 4096 4096 262144 1 sha256 " + HexEncode(root) +
                    " 1234 1 restart_on_corruption");
  p.salt.clear();
  p.superblock = false;
  EXPECT_EQ(KernelTable(p, "a", "b", root)->substr(0, 36), "1 a b 4096 4096 262144 0 sha256 abab");
  EXPECT_EQ(KernelTable(p, "a", "b", root)->substr(96), " -");
}

}  // namespace
}  // namespace hull::verity

namespace hull::verity {
namespace {

// A data area inside a larger file (a partition in a disk image) gives the
// same tree as the area alone.
TEST_F(TreeFixture, DataOffsetInsideLargerFile) {
  MakeData(200);
  FormatResult alone = Format(VerityParams{});
  Bytes data = *ReadFileBytes(data_path_);
  // 3 blocks of 0x5a, the data, 1 block of 0xa5. Filled in place: GCC 12
  // reports a false -Warray-bounds for an insert after a 12 KiB vector.
  Bytes disk(3 * 4096 + data.size() + 4096, 0xa5);
  std::fill_n(disk.begin(), 3 * 4096, 0x5a);
  std::copy(data.begin(), data.end(), disk.begin() + 3 * 4096);
  std::string disk_path = dir_->path() + "/disk";
  ASSERT_OK(WriteFileAtomic(disk_path, disk));
  auto d = File::OpenRead(disk_path);
  auto h = File::OpenRead(hash_path_);
  VerityParams p = alone.params;
  p.data_offset = 3 * 4096;
  auto v = VerifyTree(*d, *h, p, alone.root_hash);
  ASSERT_OK(v);
  EXPECT_TRUE(v->ok()) << v->Describe();
  p.data_offset = 2 * 4096;
  EXPECT_FALSE(VerifyTree(*d, *h, p, alone.root_hash)->ok());
}

}  // namespace
}  // namespace hull::verity

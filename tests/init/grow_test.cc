#include "init/grow.h"

#include <gtest/gtest.h>

#include "gpt/attributes.h"
#include "gpt/types.h"
#include "support/status_matchers.h"

namespace hull::init {
namespace {

gpt::Partition Part(uint32_t n, const char* type, uint64_t first, uint64_t last) {
  gpt::Partition p;
  p.number = n;
  p.type = *gpt::ParseType(type);
  p.uuid = *Uuid::Parse("11111111-1111-4111-8111-11111111111" + std::to_string(n));
  p.first_lba = first;
  p.last_lba = last;
  return p;
}

// The image's table (100 MiB of 512-byte sectors: last usable LBA
// 204800 - 34, UEFI 2.10 §5.3.2: 1 backup header + 32 sectors of 128 entries
// of 128 bytes) read from a disk of `disk_sectors`.
gpt::Table ImageTable(uint64_t disk_sectors, uint64_t root_attributes = gpt::kAttrGrowFs) {
  gpt::Table t;
  t.sector_size = 512;
  t.disk_sectors = disk_sectors;
  t.first_usable_lba = 34;
  t.last_usable_lba = 204766;
  t.partitions = {Part(1, "esp", 2048, 133119), Part(2, "usr-x86-64", 133120, 174079),
                  Part(8, "root-x86-64", 174080, 204766)};
  t.partitions[2].attributes = root_attributes;
  return t;
}

TEST(Grow, RootReachesTheEndOfALargerDisk) {
  // 1 GiB: last LBA 2097151, backup entries 2097119..2097150.
  ASSERT_OK_AND_ASSIGN(auto grown, GrowRootPartition(ImageTable(2097152), 8));
  ASSERT_TRUE(grown.has_value());
  EXPECT_EQ(grown->partitions[2].first_lba, 174080u);
  EXPECT_EQ(grown->partitions[2].last_lba, 2097118u);
  EXPECT_EQ(grown->last_usable_lba, 2097118u);
  EXPECT_EQ(grown->first_usable_lba, 34u);
  EXPECT_EQ(grown->partitions[0].last_lba, 133119u);  // others untouched
  EXPECT_EQ(grown->partitions[1].last_lba, 174079u);
  EXPECT_OK(gpt::Validate(*grown));
  // Once grown, nothing more to do.
  ASSERT_OK_AND_ASSIGN(auto again, GrowRootPartition(*grown, 8));
  EXPECT_FALSE(again.has_value());
}

TEST(Grow, FourKiBSectors) {
  gpt::Table t = ImageTable(0);
  t.sector_size = 4096;
  t.disk_sectors = 262144;  // 1 GiB; 128 x 128-byte entries fill 4 sectors
  for (auto& p : t.partitions) p.first_lba /= 8, p.last_lba /= 8;
  t.first_usable_lba = 6;
  t.last_usable_lba = 25595;
  ASSERT_OK_AND_ASSIGN(auto grown, GrowRootPartition(t, 8));
  ASSERT_TRUE(grown.has_value());
  EXPECT_EQ(grown->partitions[2].last_lba, 262144u - 1 - 4 - 1);
}

TEST(Grow, NothingToDo) {
  // The disk the image was made for.
  ASSERT_OK_AND_ASSIGN(auto same, GrowRootPartition(ImageTable(204800), 8));
  EXPECT_FALSE(same.has_value());
  // No grow-fs flag: the image opted out.
  ASSERT_OK_AND_ASSIGN(auto no_flag, GrowRootPartition(ImageTable(2097152, 0), 8));
  EXPECT_FALSE(no_flag.has_value());
  // Another partition after the root.
  gpt::Table t = ImageTable(2097152);
  t.partitions.push_back(Part(9, "linux-generic", 1048576, 1050623));
  ASSERT_OK_AND_ASSIGN(auto blocked, GrowRootPartition(t, 8));
  EXPECT_FALSE(blocked.has_value());
  EXPECT_ERROR(GrowRootPartition(ImageTable(2097152), 5), ErrorCode::kNotFound);
}

// A superblock laid out as Documentation/filesystems/ext4/super.rst says.
Bytes Superblock(uint32_t blocks_lo, uint32_t log_block_size, bool is64 = false,
                 uint32_t blocks_hi = 0) {
  Bytes sb(1024, 0);
  auto put32 = [&](size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) sb[off + i] = uint8_t(v >> (8 * i));
  };
  put32(0x04, blocks_lo);
  put32(0x18, log_block_size);
  sb[0x38] = 0x53;
  sb[0x39] = 0xEF;
  if (is64) put32(0x60, 0x80 | 0x40 | 0x2);  // 64bit | extents | filetype
  put32(0x150, blocks_hi);
  return sb;
}

TEST(Grow, Ext4Superblock) {
  ASSERT_OK_AND_ASSIGN(Ext4Size s, DecodeExt4Size(Superblock(65536, 0)));
  EXPECT_EQ(s.blocks, 65536u);
  EXPECT_EQ(s.block_size, 1024u);
  ASSERT_OK_AND_ASSIGN(s, DecodeExt4Size(Superblock(16384, 2, true, 1)));
  EXPECT_EQ(s.blocks, (uint64_t(1) << 32) + 16384);
  EXPECT_EQ(s.block_size, 4096u);
  // Without INCOMPAT_64BIT the high word is not part of the count.
  ASSERT_OK_AND_ASSIGN(s, DecodeExt4Size(Superblock(16384, 2, false, 1)));
  EXPECT_EQ(s.blocks, 16384u);

  auto expect = [](const Bytes& sb, const std::string& msg) {
    auto r = DecodeExt4Size(sb);
    EXPECT_ERROR(r, ErrorCode::kCorrupt);
    if (!r.ok()) {
      EXPECT_EQ(r.error().ToString(), msg);
    }
  };
  expect(Bytes(1023, 0), "ext4 superblock: 1023 bytes, need 1024");
  Bytes bad = Superblock(65536, 0);
  bad[0x38] = 0x52;
  expect(bad, "ext4 superblock: bad magic 0xef52");
  expect(Superblock(65536, 7), "ext4 superblock: block size 2^17 unsupported");
  expect(Superblock(65536, 0xffffffff), "ext4 superblock: block size 2^4294967305 unsupported");
}

TEST(Grow, Ext4Target) {
  const Ext4Size fs{65536, 1024};  // 64 MiB
  EXPECT_EQ(Ext4GrowTarget(fs, 64 << 20), std::nullopt);
  EXPECT_EQ(Ext4GrowTarget(fs, (64 << 20) + 1023 * 1024), std::nullopt);  // < 1 MiB more
  EXPECT_EQ(Ext4GrowTarget(fs, 65 << 20), std::optional<uint64_t>(66560));
  EXPECT_EQ(Ext4GrowTarget(fs, (uint64_t(3) << 30) + 100), std::optional<uint64_t>(3145728));
  EXPECT_EQ(Ext4GrowTarget(fs, 32 << 20), std::nullopt);  // never shrinks
}

}  // namespace
}  // namespace hull::init

// Unit tests of the install medium's pure parts: the ISO 9660 / El Torito
// header (field offsets from ECMA-119 §8.4, §9.1, §9.4 and El Torito 1.0
// §2.0-2.2) and the medium's GPT planned from an image's GPT.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/bytes.h"
#include "disk/image.h"
#include "disk/iso.h"
#include "disk/iso9660.h"
#include "gpt/types.h"
#include "support/status_matchers.h"

namespace hull::disk {
namespace {

using ::testing::HasSubstr;

// Offset of absolute 2048-byte block `b` in the header buffer.
size_t At(uint32_t b) { return size_t(b - 16) * 2048; }

IsoVolume Volume() {
  return {.volume_id = "HULL_TEST",
          .total_blocks = 100 * 512,  // 100 MiB
          .epoch = 1700000000,        // 2023-11-14 22:13:20 UTC
          .boot_block = 512,          // 1 MiB
          .boot_bytes = 64 << 20};
}

TEST(IsoHeader, PrimaryVolumeDescriptor) {
  ASSERT_OK_AND_ASSIGN(Bytes h, EncodeIsoHeader(Volume()));
  ASSERT_EQ(h.size(), 7u * 2048);
  const uint8_t* p = &h[At(16)];
  EXPECT_EQ(p[0], 1);
  EXPECT_EQ(std::string(p + 1, p + 6), "CD001");
  EXPECT_EQ(p[6], 1);
  EXPECT_EQ(std::string(p + 40, p + 72), "HULL_TEST" + std::string(23, ' '));
  EXPECT_EQ(LoadLe32(p + 80), 51200u);  // volume space size, both orders
  EXPECT_EQ(LoadBe32(p + 84), 51200u);
  EXPECT_EQ(LoadLe16(p + 128), 2048);  // logical block size
  EXPECT_EQ(LoadBe16(p + 130), 2048);
  EXPECT_EQ(LoadLe32(p + 132), 10u);  // path table size
  EXPECT_EQ(LoadLe32(p + 140), 21u);  // L path table
  EXPECT_EQ(LoadBe32(p + 148), 22u);  // M path table
  // Root directory record: 34 bytes, extent 20, one block, a directory.
  EXPECT_EQ(p[156], 34);
  EXPECT_EQ(LoadLe32(p + 156 + 2), 20u);
  EXPECT_EQ(LoadLe32(p + 156 + 10), 2048u);
  EXPECT_EQ(p[156 + 18], 123);  // 2023 - 1900
  EXPECT_EQ(p[156 + 25], 0x02);
  EXPECT_EQ(std::string(p + 813, p + 829), "2023111422132000");
  EXPECT_EQ(p[881], 1);
}

TEST(IsoHeader, BootRecordTerminatorAndCatalog) {
  ASSERT_OK_AND_ASSIGN(Bytes h, EncodeIsoHeader(Volume()));
  const uint8_t* br = &h[At(17)];
  EXPECT_EQ(br[0], 0);
  EXPECT_EQ(std::string(br + 7, br + 30), "EL TORITO SPECIFICATION");
  EXPECT_EQ(br[30], 0);
  EXPECT_EQ(LoadLe32(br + 71), 19u);
  EXPECT_EQ(h[At(18)], 255);
  EXPECT_EQ(std::string(&h[At(18) + 1], &h[At(18) + 6]), "CD001");
  const uint8_t* c = &h[At(19)];
  EXPECT_EQ(c[0], 1);
  EXPECT_EQ(c[1], 0xEF);
  EXPECT_EQ(c[30], 0x55);
  EXPECT_EQ(c[31], 0xAA);
  uint32_t sum = 0;
  for (int i = 0; i < 32; i += 2) sum += LoadLe16(c + i);
  EXPECT_EQ(sum & 0xFFFF, 0u);
  EXPECT_EQ(c[32], 0x88);               // bootable
  EXPECT_EQ(c[33], 0);                  // no emulation
  EXPECT_EQ(LoadLe16(c + 38), 0xFFFF);  // 64 MiB = 131072 sectors, capped
  EXPECT_EQ(LoadLe32(c + 40), 512u);    // load RBA
  // The root directory's "." and "..", and the path tables.
  EXPECT_EQ(h[At(20)], 34);
  EXPECT_EQ(h[At(20) + 33], 0x00);
  EXPECT_EQ(h[At(20) + 34 + 33], 0x01);
  EXPECT_EQ(LoadLe32(&h[At(21) + 2]), 20u);
  EXPECT_EQ(LoadBe32(&h[At(22) + 2]), 20u);
}

TEST(IsoHeader, SectorCountAndVolumeId) {
  EXPECT_EQ(ElToritoSectorCount(2 << 20), 4096);
  EXPECT_EQ(ElToritoSectorCount(513), 2);
  EXPECT_EQ(ElToritoSectorCount(uint64_t(32) << 20), 0xFFFF);
  EXPECT_EQ(IsoVolumeId("hull_usr_202611.24.0"), "HULL_USR_202611_24_0");
  EXPECT_EQ(IsoVolumeId(std::string(40, 'a')).size(), 32u);
}

TEST(IsoHeader, RefusesBadVolumes) {
  IsoVolume v = Volume();
  v.volume_id = "lower";
  EXPECT_ERROR(EncodeIsoHeader(v), ErrorCode::kInvalidArgument);
  v = Volume();
  v.boot_block = 20;  // inside the header
  EXPECT_THAT(EncodeIsoHeader(v).error().message(), HasSubstr("EFI boot image at block 20"));
  v = Volume();
  v.boot_block = 51200 - 10;  // runs past the end
  EXPECT_ERROR(EncodeIsoHeader(v), ErrorCode::kInvalidArgument);
  v = Volume();
  v.total_blocks = uint64_t(1) << 32;
  EXPECT_ERROR(EncodeIsoHeader(v), ErrorCode::kInvalidArgument);
}

gpt::Partition Part(uint32_t n, const char* type, uint64_t first_mib, uint64_t mib,
                    const char* name) {
  gpt::Partition p;
  p.number = n;
  p.type = *gpt::ParseType(type);
  p.uuid = DeriveUuid("t", name);
  p.first_lba = first_mib * 2048;
  p.last_lba = (first_mib + mib) * 2048 - 1;
  p.name = name;
  return p;
}

// An image laid out as `hull build` does: ESP, A slot, B slot, root.
gpt::Table Image() {
  gpt::Table t = *gpt::NewTable(uint64_t(400) << 20, 512, DeriveUuid("t", "disk"));
  t.partitions = {Part(1, "esp", 1, 64, "ESP"),
                  Part(2, "usr-x86-64", 65, 100, "usr_1"),
                  Part(3, "usr-x86-64-verity", 165, 10, "usr_1_verity"),
                  Part(4, "usr-x86-64-verity-sig", 175, 1, "usr_1_verity_sig"),
                  Part(5, "usr-x86-64", 176, 100, "usr_b"),
                  Part(6, "usr-x86-64-verity", 276, 10, "usr_b_verity"),
                  Part(7, "usr-x86-64-verity-sig", 286, 1, "usr_b_verity_sig"),
                  Part(8, "root-x86-64", 287, 64, "root")};
  return t;
}

TEST(IsoTable, TakesTheASlotAndTheRootAsTemplate) {
  gpt::Table img = Image();
  ASSERT_OK_AND_ASSIGN(gpt::Table t, PlanIsoTable(img));
  ASSERT_EQ(t.partitions.size(), 5u);
  // 1 MiB + 64 + 100 + 10 + 1 + 64 MiB + 1 MiB.
  EXPECT_EQ(t.disk_sectors * 512, uint64_t(241) << 20);
  const uint32_t from[] = {1, 2, 3, 4, 8};
  uint64_t mib = 1;
  for (size_t i = 0; i < 5; ++i) {
    const gpt::Partition& src = img.partitions[from[i] - 1];
    const gpt::Partition& p = t.partitions[i];
    EXPECT_EQ(p.number, i + 1);
    EXPECT_EQ(p.uuid, src.uuid) << i;
    EXPECT_EQ(p.first_lba, mib * 2048) << i;
    EXPECT_EQ(p.sectors(), src.sectors()) << i;
    mib += src.sectors() / 2048;
  }
  EXPECT_EQ(t.partitions[1].name, "usr_1");
  EXPECT_EQ(t.partitions[4].type, *gpt::ParseType("linux-generic"));
  EXPECT_EQ(t.partitions[4].name, "hull-root-image");
  EXPECT_NE(t.disk_guid, img.disk_guid);
}

// With a seed: the same five partitions, then hull-seed, 1 MiB right after
// the root template, typed linux-generic, with a UUID of its own.
TEST(IsoTable, SeedPartitionAfterTheTemplate) {
  gpt::Table img = Image();
  ASSERT_OK_AND_ASSIGN(gpt::Table plain, PlanIsoTable(img));
  ASSERT_OK_AND_ASSIGN(gpt::Table t, PlanIsoTable(img, /*seed=*/true));
  ASSERT_EQ(t.partitions.size(), 6u);
  EXPECT_EQ(t.disk_sectors, plain.disk_sectors + 2048);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(t.partitions[i].first_lba, plain.partitions[i].first_lba) << i;
    EXPECT_EQ(t.partitions[i].uuid, plain.partitions[i].uuid) << i;
  }
  const gpt::Partition& s = t.partitions[5];
  EXPECT_EQ(s.number, 6u);
  EXPECT_EQ(s.name, "hull-seed");
  EXPECT_EQ(s.type, *gpt::ParseType("linux-generic"));
  EXPECT_EQ(s.first_lba, (uint64_t(1) + 64 + 100 + 10 + 1 + 64) * 2048);
  EXPECT_EQ(s.sectors(), 2048u);
  for (size_t i = 0; i < 5; ++i) EXPECT_NE(s.uuid, t.partitions[i].uuid) << i;
}

TEST(IsoTable, RefusesIncompleteOrForeignImages) {
  gpt::Table img = Image();
  img.partitions.pop_back();
  EXPECT_THAT(PlanIsoTable(img).error().message(), HasSubstr("no root partition"));
  img = Image();
  img.partitions.erase(img.partitions.begin() + 3);
  img.partitions.erase(img.partitions.begin() + 5);
  EXPECT_ERROR(PlanIsoTable(img), ErrorCode::kNotFound);
  img = Image();
  img.sector_size = 4096;
  EXPECT_ERROR(PlanIsoTable(img), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hull::disk

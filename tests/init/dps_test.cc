#include "init/dps.h"

#include <gtest/gtest.h>

#include "base/hex.h"
#include "gpt/types.h"
#include "support/status_matchers.h"

namespace hull::init {
namespace {

// The example of REFERENCE.md §3.1 (observed in systemd/mkosi#1612).
const std::string kHash = "954172dfee9aaab2d90a0ab162ee6bc5a6a77ede951fad19f0f94df0d7266a93";

Bytes Hash() { return *HexDecode(kHash); }

gpt::Partition Part(uint32_t n, const char* type, const std::string& uuid) {
  gpt::Partition p;
  p.number = n;
  p.type = *gpt::ParseType(type);
  p.uuid = *Uuid::Parse(uuid);
  p.first_lba = 2048 * n;
  p.last_lba = 2048 * n + 2047;
  return p;
}

Disk DpsDisk(const std::string& dev) {
  Disk d{dev, {}};
  d.table.partitions = {Part(1, "esp", "11111111-1111-4111-8111-111111111111"),
                        Part(2, "usr-x86-64", "954172df-ee9a-aab2-d90a-0ab162ee6bc5"),
                        Part(3, "usr-x86-64-verity", "a6a77ede-951f-ad19-f0f9-4df0d7266a93"),
                        Part(8, "root-x86-64", "22222222-2222-4222-8222-222222222222")};
  return d;
}

TEST(Dps, PartitionDevice) {
  EXPECT_EQ(PartitionDevice("/dev/vda", 2), "/dev/vda2");
  EXPECT_EQ(PartitionDevice("/dev/sdb", 12), "/dev/sdb12");
  EXPECT_EQ(PartitionDevice("/dev/nvme0n1", 3), "/dev/nvme0n1p3");
  EXPECT_EQ(PartitionDevice("/dev/mmcblk0", 1), "/dev/mmcblk0p1");
}

TEST(Dps, FindsUsrVerityAndRootOnTheRightDisk) {
  Disk other{"/dev/vda", {}};
  other.table.partitions = {Part(1, "root-x86-64", "33333333-3333-4333-8333-333333333333")};
  auto f = FindPartitions({other, DpsDisk("/dev/vdb")}, Hash());
  ASSERT_OK(f);
  EXPECT_EQ(f->disk, "/dev/vdb");
  EXPECT_EQ(f->usr_dev, "/dev/vdb2");
  EXPECT_EQ(f->verity_dev, "/dev/vdb3");
  EXPECT_EQ(f->root_dev, "/dev/vdb8");
}

void ExpectError(const std::vector<Disk>& disks, ErrorCode code, const std::string& msg) {
  auto f = FindPartitions(disks, Hash());
  ASSERT_ERROR(f, code);
  EXPECT_EQ(f.error().ToString(), msg);
}

TEST(Dps, Errors) {
  Bytes other = *HexDecode(std::string(64, '1'));
  auto f = FindPartitions({DpsDisk("/dev/vda")}, other);
  ASSERT_ERROR(f, ErrorCode::kNotFound);
  EXPECT_EQ(f.error().ToString(),
            "no partition with UUID 11111111-1111-1111-1111-111111111111 (usr) and "
            "11111111-1111-1111-1111-111111111111 (usr-verity) on 1 disk(s)");

  Disk d = DpsDisk("/dev/vda");
  d.table.partitions.erase(d.table.partitions.begin() + 2);
  ExpectError({d}, ErrorCode::kNotFound,
              "usr partition 954172df-ee9a-aab2-d90a-0ab162ee6bc5 found on /dev/vda but no "
              "usr-verity partition a6a77ede-951f-ad19-f0f9-4df0d7266a93");

  d = DpsDisk("/dev/vda");
  d.table.partitions[1].type = *gpt::ParseType("root-x86-64");
  ExpectError({d}, ErrorCode::kCorrupt,
              "partition /dev/vda#2 has the usr UUID but type "
              "4f68bce3-e8cd-4db1-96e7-fbcaf984b709, not DPS usr");

  ExpectError({DpsDisk("/dev/vda"), DpsDisk("/dev/vdb")}, ErrorCode::kConflict,
              "two partitions with UUID 954172df-ee9a-aab2-d90a-0ab162ee6bc5");

  d = DpsDisk("/dev/vda");
  d.table.partitions.pop_back();
  ExpectError({d}, ErrorCode::kNotFound, "no DPS root partition on /dev/vda");
}

}  // namespace
}  // namespace hull::init

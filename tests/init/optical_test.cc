// The dm-linear map of a partition on a disk the kernel did not split (an
// optical drive): offsets in 512-byte sectors (dm table format, the kernel's
// Documentation/admin-guide/device-mapper/linear.rst: "<dev> <offset>"), whole
// logical blocks only, inside the device.
#include "init/optical.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::init {
namespace {

using ::testing::HasSubstr;

gpt::Table Medium() {
  gpt::Table t;
  t.sector_size = 512;
  t.disk_sectors = 241 * 2048;
  return t;
}

gpt::Partition Part(uint64_t first_lba, uint64_t sectors) {
  gpt::Partition p;
  p.number = 2;
  p.first_lba = first_lba;
  p.last_lba = first_lba + sectors - 1;
  return p;
}

TEST(PartitionMap, MapsAtThePartitionsOffset) {
  // usr at 65 MiB, 100 MiB long, on a CD-ROM with 2048-byte blocks.
  ASSERT_OK_AND_ASSIGN(LinearMap m, PlanPartitionMap("/dev/sr0", uint64_t(241) << 20, 2048,
                                                     Medium(), Part(133120, 204800), "usr"));
  EXPECT_EQ(m.name, "hull-medium-usr");
  EXPECT_EQ(m.sectors, 204800u);
  EXPECT_EQ(m.params, "/dev/sr0 133120");
}

TEST(PartitionMap, FourKibSectorTable) {
  gpt::Table t = Medium();
  t.sector_size = 4096;
  ASSERT_OK_AND_ASSIGN(LinearMap m, PlanPartitionMap("/dev/sr1", uint64_t(241) << 20, 2048, t,
                                                     Part(256, 10), "usr-verity"));
  EXPECT_EQ(m.sectors, 80u);
  EXPECT_EQ(m.params, "/dev/sr1 2048");
}

TEST(PartitionMap, RefusesPartialBlocksAndOverruns) {
  // Starts 512 bytes into a 2048-byte block.
  EXPECT_THAT(
      PlanPartitionMap("/dev/sr0", 1 << 30, 2048, Medium(), Part(2049, 2048), "usr")
          .error()
          .message(),
      HasSubstr("at byte 1049088, 1048576 bytes long, is not on 2048-byte blocks of /dev/sr0"));
  // Whole start, but a length of 3 sectors.
  EXPECT_ERROR(PlanPartitionMap("/dev/sr0", 1 << 30, 2048, Medium(), Part(2048, 3), "usr"),
               ErrorCode::kUnsupported);
  // Fine on 512-byte blocks.
  EXPECT_OK(PlanPartitionMap("/dev/sdb", 1 << 30, 512, Medium(), Part(2049, 3), "usr"));
  // Beyond the device.
  EXPECT_THAT(PlanPartitionMap("/dev/sr0", 2 << 20, 2048, Medium(), Part(2048, 4096), "usr")
                  .error()
                  .message(),
              HasSubstr("ends at byte 3145728, beyond the device's 2097152"));
  EXPECT_ERROR(PlanPartitionMap("/dev/sr0", 1 << 30, 1000, Medium(), Part(2048, 4), "usr"),
               ErrorCode::kInvalidArgument);
  gpt::Partition huge = Part(uint64_t(1) << 60, 8);
  EXPECT_ERROR(PlanPartitionMap("/dev/sr0", 1 << 30, 2048, Medium(), huge, "usr"),
               ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace hull::init

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

// The install medium (docs/iso.md): no DPS root, the root template instead.
TEST(Dps, InstallMediumIsALiveBoot) {
  Disk d = DpsDisk("/dev/sr0");
  d.table.partitions.back().type = *gpt::ParseType("linux-generic");
  d.table.partitions.back().name = "hull-root-image";
  ASSERT_OK_AND_ASSIGN(Found f, FindPartitions({d}, Hash()));
  EXPECT_TRUE(f.live);
  EXPECT_EQ(f.root.number, 8u);
  // A linux-generic partition with another name is no template.
  d.table.partitions.back().name = "data";
  EXPECT_ERROR(FindPartitions({d}, Hash()), ErrorCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(Found disk, FindPartitions({DpsDisk("/dev/vda")}, Hash()));
  EXPECT_FALSE(disk.live);
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

// hull-init takes the DPS types of the architecture it is built for
// (gpt::kNativeArch): this x86-64 build refuses an arm64 disk's usr pair,
// and its aarch64 build (boot_arm64_vm_test) boots from one.
TEST(Dps, TypesOfTheBuildsOwnArchitecture) {
  ASSERT_EQ(gpt::kNativeArch, gpt::Arch::kX86_64);
  Disk d = DpsDisk("/dev/vda");
  d.table.partitions[1].type = *gpt::ParseType("usr-arm64");
  auto f = FindPartitions({d}, Hash());
  ASSERT_ERROR(f, ErrorCode::kCorrupt);
  EXPECT_EQ(f.error().ToString(),
            "partition /dev/vda#2 has the usr UUID but type "
            "b0e01050-ee5f-4390-949a-9101b17104e9, not DPS usr");
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

  d = DpsDisk("/dev/vda");
  d.table.partitions.push_back(Part(9, "usr-x86-64", "954172df-ee9a-aab2-d90a-0ab162ee6bc5"));
  ExpectError({d}, ErrorCode::kConflict,
              "two partitions with UUID 954172df-ee9a-aab2-d90a-0ab162ee6bc5");

  Disk usr_only = DpsDisk("/dev/vda"), verity_only = DpsDisk("/dev/vdb");
  usr_only.table.partitions.erase(usr_only.table.partitions.begin() + 2);
  verity_only.table.partitions.erase(verity_only.table.partitions.begin() + 1);
  ExpectError({usr_only, verity_only}, ErrorCode::kNotFound,
              "usr partition on /dev/vda but usr-verity partition on /dev/vdb");

  d = DpsDisk("/dev/vda");
  d.table.partitions.pop_back();
  ExpectError({d}, ErrorCode::kNotFound, "no DPS root partition on /dev/vda");
}

// A copy of the OS disk attached as a data disk: the same usr pair on two
// disks. Another node's disk has its own ESP UUID; the loader's
// LoaderDevicePartUUID names the ESP it booted from.
Disk CopyWithEsp(const std::string& dev, const std::string& esp) {
  Disk d = DpsDisk(dev);
  d.table.partitions[0].uuid = *Uuid::Parse(esp);
  return d;
}

const Uuid kBootEsp = *Uuid::Parse("11111111-1111-4111-8111-111111111111");

TEST(Dps, CopyOfTheDiskPicksTheDiskTheFirmwareBootedFrom) {
  Disk copy = CopyWithEsp("/dev/vda", "44444444-4444-4444-8444-444444444444");
  for (auto disks : {std::vector<Disk>{copy, DpsDisk("/dev/vdb")},
                     std::vector<Disk>{DpsDisk("/dev/vdb"), copy}}) {
    auto f = FindPartitions(disks, Hash(), kBootEsp);
    ASSERT_TRUE(f.ok()) << f.error().ToString();
    EXPECT_EQ(f->disk, "/dev/vdb");
    EXPECT_EQ(f->usr_dev, "/dev/vdb2");
    EXPECT_EQ(f->verity_dev, "/dev/vdb3");
    EXPECT_EQ(f->root_dev, "/dev/vdb8");
  }
}

TEST(Dps, OneDiskIsAcceptedWithoutTheLoaderVariable) {
  auto f = FindPartitions({DpsDisk("/dev/vda")}, Hash(), std::nullopt);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->disk, "/dev/vda");
}

TEST(Dps, AmbiguousCopiesAreRefusedWithOneLine) {
  Disk copy = CopyWithEsp("/dev/vda", "44444444-4444-4444-8444-444444444444");
  auto once = [](const std::vector<Disk>& disks, const std::optional<Uuid>& esp, ErrorCode code,
                 const std::string& msg) {
    auto f = FindPartitions(disks, Hash(), esp);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().code(), code);
    EXPECT_EQ(f.error().ToString(), msg);
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  };
  once({copy, DpsDisk("/dev/vdb")}, std::nullopt, ErrorCode::kConflict,
       "usr partition 954172df-ee9a-aab2-d90a-0ab162ee6bc5 is on 2 disks (/dev/vda, /dev/vdb) "
       "and the boot loader did not name the disk it booted from (no LoaderDevicePartUUID): "
       "detach the copies");
  // Byte-for-byte copies: the ESP's UUID does not tell them apart.
  once({DpsDisk("/dev/vda"), DpsDisk("/dev/vdb")}, kBootEsp, ErrorCode::kConflict,
       "the ESP 11111111-1111-4111-8111-111111111111 the firmware booted from and usr partition "
       "954172df-ee9a-aab2-d90a-0ab162ee6bc5 are on 2 disks (/dev/vda, /dev/vdb): copies of one "
       "disk, and the firmware's boot device is unknown: detach the copies");
  // The disk the firmware booted from has not appeared (yet): hull-init
  // keeps waiting rather than take the copy.
  once({copy}, kBootEsp, ErrorCode::kNotFound,
       "usr partition 954172df-ee9a-aab2-d90a-0ab162ee6bc5 found on /dev/vda but not on the disk "
       "holding the ESP 11111111-1111-4111-8111-111111111111 the firmware booted from "
       "(LoaderDevicePartUUID)");
  // A partition of another type with the ESP's UUID does not count.
  Disk fake = CopyWithEsp("/dev/vdc", "44444444-4444-4444-8444-444444444444");
  fake.table.partitions.push_back(Part(9, "root-x86-64", "11111111-1111-4111-8111-111111111111"));
  once({fake}, kBootEsp, ErrorCode::kNotFound,
       "usr partition 954172df-ee9a-aab2-d90a-0ab162ee6bc5 found on /dev/vdc but not on the disk "
       "holding the ESP 11111111-1111-4111-8111-111111111111 the firmware booted from "
       "(LoaderDevicePartUUID)");
}

// Byte-identical copies (the image attached twice): the firmware's boot
// device, the PCI chain of BootCurrent's load option, decides when exactly
// one of them sits there.
TEST(Dps, IdenticalCopiesPickTheDiskAtTheFirmwaresBootDevice) {
  Disk a = DpsDisk("/dev/vda"), b = DpsDisk("/dev/vdb");
  a.pci = {{4, 0}};
  b.pci = {{5, 0}};
  const std::vector<node::PciFunction> at_b = {{5, 0}};
  for (auto disks : {std::vector<Disk>{a, b}, std::vector<Disk>{b, a}}) {
    auto f = FindPartitions(disks, Hash(), kBootEsp, at_b);
    ASSERT_TRUE(f.ok()) << f.error().ToString();
    EXPECT_EQ(f->disk, "/dev/vdb");
    EXPECT_EQ(f->root_dev, "/dev/vdb8");
  }
  // The ESP still comes first: a copy at the boot device without the
  // booted ESP is not taken.
  Disk other = CopyWithEsp("/dev/vdc", "44444444-4444-4444-8444-444444444444");
  other.pci = at_b;
  a.pci = {{4, 0}};
  auto f = FindPartitions({a, other}, Hash(), kBootEsp, at_b);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->disk, "/dev/vda");
}

TEST(Dps, IdenticalCopiesTheBootDeviceCannotTellApartAreRefused) {
  auto once = [](std::vector<Disk> disks, const std::vector<node::PciFunction>& boot,
                 const std::string& device) {
    auto f = FindPartitions(disks, Hash(), kBootEsp, boot);
    ASSERT_ERROR(f, ErrorCode::kConflict);
    EXPECT_EQ(f.error().ToString(),
              "the ESP 11111111-1111-4111-8111-111111111111 the firmware booted from and usr "
              "partition 954172df-ee9a-aab2-d90a-0ab162ee6bc5 are on 2 disks (/dev/vda, "
              "/dev/vdb): copies of one disk, and the firmware's boot device " +
                  device + ": detach the copies");
  };
  Disk a = DpsDisk("/dev/vda"), b = DpsDisk("/dev/vdb");
  a.pci = {{1, 0}, {0, 0}};
  b.pci = {{1, 0}, {0, 0}};  // two namespaces of one NVMe controller
  once({a, b}, {{1, 0}, {0, 0}}, "(PciRoot/Pci(0x1,0x0)/Pci(0x0,0x0)) matches 2 of them");
  once({a, b}, {{1, 0}}, "(PciRoot/Pci(0x1,0x0)) matches none of them");
  b.pci = {};  // a disk on no PCI bus
  once({a, b}, {{2, 0}}, "(PciRoot/Pci(0x2,0x0)) matches none of them");
  once({a, b}, {}, "is unknown");
}

}  // namespace
}  // namespace hull::init

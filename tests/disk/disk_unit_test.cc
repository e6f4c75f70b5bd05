// Unit tests of src/disk: sizes, strict layout parsing with positions,
// placement, derived UUIDs, the VHD footer codec, the vfat argv, sparse copy.
#include <sys/stat.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/hex.h"
#include "disk/image.h"
#include "disk/layout.h"
#include "disk/vfat.h"
#include "disk/vhd.h"
#include "gpt/attributes.h"
#include "support/status_matchers.h"

namespace hull::disk {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ParseSize, UnitsAndErrors) {
  EXPECT_EQ(*ParseSize("64MiB"), uint64_t(64) << 20);
  EXPECT_EQ(*ParseSize("2GiB"), uint64_t(2) << 30);
  EXPECT_EQ(*ParseSize("1G"), uint64_t(1) << 30);
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("512KiB"), 512u << 10);
  EXPECT_THAT(ParseSize("64MB").error().message(), StartsWith("bad size '64MB' (allowed:"));
  EXPECT_ERROR(ParseSize("MiB"), ErrorCode::kInvalidArgument);
  EXPECT_THAT(ParseSize("99999999999TiB").error().message(), HasSubstr("overflows"));
}

Result<Layout> Parse(const std::string& y) { return ParseLayout(y, "l.yaml", "/base"); }

TEST(Layout, ParsesEveryKey) {
  auto l = Parse(
      "size: 200MiB\nsector-size: 4096\nuuid: 0d2a6b8e-93a3-4ad4-8e3c-7f0a51c0b1e2\n"
      "seed: s\narch: arm64\npartitions:\n"
      "  - type: esp\n    label: ESP\n    size: 64MiB\n    content-dir: esp\n    format: vfat\n"
      "    volume-id: 1234abcd\n"
      "  - type: usr\n    content: /abs/usr.erofs\n    uuid: 954172df-ee9a-aab2-d90a-0ab162ee6bc5\n"
      "    attributes: [read-only, no-auto, 2]\n    priority: 3\n    tries: 2\n"
      "    successful: true\n"
      "  - type: 0fc63daf-8483-4772-8e79-3d69d8477de4\n    size: rest\n");
  ASSERT_OK(l);
  EXPECT_EQ(*l->size, uint64_t(200) << 20);
  EXPECT_EQ(l->sector_size, 4096u);
  EXPECT_EQ(l->arch, gpt::Arch::kArm64);
  ASSERT_EQ(l->partitions.size(), 3u);
  EXPECT_EQ(l->partitions[0].content_dir, "/base/esp");
  EXPECT_EQ(*l->partitions[0].volume_id, 0x1234abcdu);
  EXPECT_EQ(l->partitions[1].type.ToString(), "b0e01050-ee5f-4390-949a-9101b17104e9");
  EXPECT_EQ(l->partitions[1].content, "/abs/usr.erofs");
  uint64_t a = l->partitions[1].attributes;
  EXPECT_EQ(a & ~(uint64_t(0x1FF) << 48), gpt::kAttrReadOnly | gpt::kAttrNoAuto | 4);
  EXPECT_EQ(gpt::Priority(a), 3u);
  EXPECT_EQ(gpt::Tries(a), 2u);
  EXPECT_TRUE(gpt::Successful(a));
  EXPECT_TRUE(l->partitions[2].rest);
  EXPECT_EQ(l->partitions[1].where, "l.yaml:13:5");
}

void ExpectError(const std::string& yaml, const std::string& message) {
  auto l = Parse(yaml);
  ASSERT_FALSE(l.ok()) << yaml;
  EXPECT_ERROR(l, ErrorCode::kInvalidArgument);
  EXPECT_THAT(l.error().message(), StartsWith(message)) << l.error().message();
}

TEST(Layout, StrictErrorsWithPositions) {
  ExpectError("sise: 1MiB\npartitions: [{type: esp, size: 1MiB}]\n",
              "l.yaml:1:7: unknown key 'sise' (allowed: size, sector-size");
  ExpectError("partitions:\n  - type: esp\n    sise: 1MiB\n",
              "l.yaml:3:11: unknown key 'sise' in partition (allowed: type, label");
  ExpectError("partitions:\n  - type: esp\n    size: 64MB\n",
              "l.yaml:3:11: 'size': bad size '64MB'");
  ExpectError("partitions:\n  - type: usr-verity-signature\n    size: 1MiB\n",
              "l.yaml:2:11: unknown partition type 'usr-verity-signature' (allowed:");
  ExpectError("partitions:\n  - {type: esp, size: 1MiB, attributes: [readonly]}\n",
              "l.yaml:2:42: 'attributes' must be an integer 0..63");
  ExpectError("partitions:\n  - {type: esp, size: 1MiB, priority: 16}\n",
              "l.yaml:2:39: 'priority' must be an integer 0..15, got '16'");
  ExpectError("partitions:\n  - {type: esp, size: rest}\n  - {type: esp, size: 1MiB}\n",
              "l.yaml:2:23: 'size: rest' is allowed only on the last partition");
  ExpectError("partitions:\n  - {type: esp, size: rest}\n",
              "l.yaml:2:23: 'size: rest' is allowed only on the last partition");
  ExpectError("partitions:\n  - {label: x, size: 1MiB}\n", "l.yaml:2:5: partition without 'type'");
  ExpectError("partitions:\n  - {type: esp}\n", "l.yaml:2:5: partition needs a 'size' or a");
  ExpectError("partitions:\n  - {type: esp, size: 1MiB, content-dir: d}\n",
              "l.yaml:2:5: 'content-dir' needs 'format'");
  ExpectError("partitions:\n  - {type: esp, size: 1MiB, content-dir: d, format: ext4}\n",
              "l.yaml:2:53: unknown format 'ext4' (allowed: vfat)");
  ExpectError("sector-size: 1024\npartitions: [{type: esp, size: 1MiB}]\n",
              "l.yaml:1:14: sector-size 1024 (allowed: 512, 4096)");
  ExpectError("arch: riscv64\npartitions: [{type: esp, size: 1MiB}]\n",
              "l.yaml:1:7: unknown architecture 'riscv64'");
  ExpectError("partitions:\n  - {type: esp, size: 1MiB, uuid: nope}\n",
              "l.yaml:2:35: 'uuid': not a UUID");
  ExpectError("partitions: [\n", "l.yaml:");
  ExpectError("size: 1MiB\nsize: 2MiB\npartitions: [{type: esp, size: 1MiB}]\n",
              "l.yaml:2:1: duplicate key 'size'");
  ExpectError("partitions: []\n", "l.yaml:1:13: 'partitions' must be a non-empty list");
}

TEST(Plan, PlacementAlignmentAndDerivedUuids) {
  auto l = Parse(
      "seed: demo\npartitions:\n  - {type: esp, label: ESP, size: 3MiB}\n"
      "  - {type: root, label: root, size: 1536KiB}\n  - {type: swap, size: 1MiB}\n");
  ASSERT_OK(l);
  auto t = PlanTable(*l, 512);
  ASSERT_OK(t);
  ASSERT_EQ(t->partitions.size(), 3u);
  EXPECT_EQ(t->partitions[0].first_lba, 2048u);
  EXPECT_EQ(t->partitions[0].sectors(), 6144u);
  EXPECT_EQ(t->partitions[1].first_lba, 8192u);
  EXPECT_EQ(t->partitions[2].first_lba, 12288u);        // 1.5 MiB rounded up to the next MiB
  EXPECT_EQ(t->disk_sectors * 512, uint64_t(8) << 20);  // 1 + 3 + 2 + 1 + 1 MiB
  EXPECT_EQ(t->partitions[1].name, "root");
  EXPECT_EQ(t->disk_guid, DeriveUuid("demo", "disk"));
  EXPECT_EQ(t->partitions[0].uuid,
            DeriveUuid("demo", "partition:1:c12a7328-f81f-11d2-ba4b-00a0c93ec93b:ESP"));
  EXPECT_NE(DeriveUuid("demo", "disk"), DeriveUuid("demo2", "disk"));
  Uuid u = DeriveUuid("", "disk");
  EXPECT_EQ(u.bytes()[6] >> 4, 4);
  EXPECT_EQ(u.bytes()[8] >> 6, 2);
}

TEST(Plan, RestAndTooSmall) {
  auto l = Parse(
      "size: 64MiB\npartitions:\n  - {type: esp, size: 8MiB}\n"
      "  - {type: root, size: rest}\n");
  auto t = PlanTable(*l, 4096);
  ASSERT_OK(t);
  EXPECT_EQ(t->partitions[1].first_lba * 4096, uint64_t(9) << 20);
  EXPECT_EQ((t->partitions[1].last_lba + 1) * 4096, uint64_t(63) << 20);
  auto small = Parse("size: 8MiB\npartitions:\n  - {type: esp, size: 8MiB}\n");
  auto e = PlanTable(*small, 512);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.error().message(), StartsWith("partitions need"));
}

TEST(Plan, ContentSizes) {
  auto dir = TempDir::Create("disk-unit");
  std::string c = dir->path() + "/c.img";
  {
    File f = std::move(File::CreateNew(c).value());
    ASSERT_OK(f.Truncate((uint64_t(3) << 20) + 1));
  }
  auto l = ParseLayout("partitions:\n  - {type: usr, content: c.img}\n", "l.yaml", dir->path());
  ASSERT_OK(l);
  auto t = PlanTable(*l, 512);
  ASSERT_OK(t);
  EXPECT_EQ(t->partitions[0].sectors() * 512, uint64_t(4) << 20);  // rounded up to 1 MiB
  auto small = ParseLayout("partitions:\n  - {type: usr, size: 3MiB, content: c.img}\n", "l.yaml",
                           dir->path());
  auto e = PlanTable(*small, 512);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().ToString(),
            fmt::format("l.yaml:2:5: content '{}' (3145729 bytes) is larger than the partition "
                        "(3145728 bytes)",
                        c));
  auto missing =
      ParseLayout("partitions:\n  - {type: usr, content: nope.img}\n", "l.yaml", dir->path());
  EXPECT_ERROR(PlanTable(*missing, 512), ErrorCode::kNotFound);
}

TEST(Qemu, ConvertArgv) {
  EXPECT_THAT(QemuImgConvertArgv("/t/d.raw", "/o/d.vhdx", OutputFormat::kVhdx),
              ElementsAre("qemu-img", "convert", "-f", "raw", "-O", "vhdx", "-o",
                          "subformat=dynamic", "/t/d.raw", "/o/d.vhdx"));
  EXPECT_THAT(QemuImgConvertArgv("a", "b", OutputFormat::kQcow2),
              ElementsAre("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "a", "b"));
  EXPECT_EQ(*ParseOutputFormat("vhd"), OutputFormat::kVhd);
  EXPECT_THAT(ParseOutputFormat("vmdk").error().message(),
              HasSubstr("allowed: raw, vhd, qcow2, vhdx"));
}

TEST(Vhd, FooterFields) {
  Uuid id = *Uuid::Parse("0d2a6b8e-93a3-4ad4-8e3c-7f0a51c0b1e2");
  auto f = VhdFooter(uint64_t(64) << 20, 1700000000, id);
  ASSERT_OK(f);
  ASSERT_EQ(f->size(), 512u);
  EXPECT_EQ(AsChars(ByteSpan(f->data(), 8)), "conectix");
  EXPECT_EQ(LoadBe32(&(*f)[24]), 1700000000u - 946684800u);
  EXPECT_EQ(LoadBe64(&(*f)[48]), uint64_t(64) << 20);
  EXPECT_EQ(LoadBe32(&(*f)[60]), 2u);
  EXPECT_EQ(LoadBe32(&(*f)[64]), VhdChecksum(*f));
  // Checksum: the one's complement of the byte sum (field excluded).
  uint32_t sum = 0;
  for (size_t i = 0; i < 512; ++i)
    if (i < 64 || i >= 68) sum += (*f)[i];
  EXPECT_EQ(LoadBe32(&(*f)[64]), ~sum);
  EXPECT_THAT(VhdFooter((uint64_t(64) << 20) + 512, 1700000000, id).error().message(),
              HasSubstr("not a whole number of MiB"));
  EXPECT_ERROR(VhdFooter(uint64_t(64) << 20, 100, id), ErrorCode::kInvalidArgument);
}

TEST(Vfat, Argv) {
  VfatOptions o{.source_dir = "esp",
                .image_path = "/t/esp.img",
                .size = uint64_t(64) << 20,
                .volume_id = 0xab,
                .label = "ESP",
                .sector_size = 512,
                .source_date_epoch = 7};
  EXPECT_THAT(MkfsVfatArgv(o),
              ElementsAre("mkfs.vfat", "-C", "--invariant", "-F", "32", "-S", "512", "-i",
                          "000000ab", "-n", "ESP", "/t/esp.img", "65536"));
  EXPECT_THAT(VfatToolEnv(o), ::testing::Contains("SOURCE_DATE_EPOCH=7"));
}

TEST(CopySparse, SkipsZerosAndHoles) {
  auto dir = TempDir::Create("disk-unit");
  std::string src_path = dir->path() + "/src", dst_path = dir->path() + "/dst";
  {
    File s = std::move(File::CreateNew(src_path).value());
    ASSERT_OK(s.Truncate(uint64_t(8) << 20));
    ASSERT_OK(s.WriteAt(5000, AsBytes("data")));
    ASSERT_OK(s.WriteAt(uint64_t(6) << 20, Bytes(8192, 0)));  // explicit zeros
    ASSERT_OK(s.WriteAt((uint64_t(8) << 20) - 3, AsBytes("end")));
  }
  File s = std::move(File::OpenRead(src_path).value());
  File d = std::move(File::CreateNew(dst_path).value());
  ASSERT_OK(d.Truncate(uint64_t(9) << 20));
  ASSERT_OK(CopySparse(s, uint64_t(8) << 20, d, 1 << 20));
  Bytes got(4);
  ASSERT_OK(d.ReadAt((1 << 20) + 5000, got));
  EXPECT_EQ(AsChars(got), "data");
  Bytes end(3);
  ASSERT_OK(d.ReadAt((uint64_t(9) << 20) - 3, end));
  EXPECT_EQ(AsChars(end), "end");
  struct stat st;
  ASSERT_EQ(fstat(d.fd(), &st), 0);
  EXPECT_LE(uint64_t(st.st_blocks) * 512, 64u << 10);
}

}  // namespace
}  // namespace hull::disk

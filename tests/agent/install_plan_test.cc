// The installer's plan: its refusals (the disk booted from, a target with
// partitions without --wipe, a target too small) and the GPT it writes,
// positions worked out by hand from the medium's partitions (docs/iso.md).
#include "agent/install_plan.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "gpt/attributes.h"
#include "gpt/types.h"
#include "support/status_matchers.h"

namespace hull::agent {
namespace {

using ::hull::testing::ErrorIs;
using ::testing::HasSubstr;

constexpr uint64_t kMiB = 1 << 20;

Uuid U(int n) { return *Uuid::Parse(fmt::format("{:08x}-0000-4000-8000-000000000000", n)); }

gpt::Partition Part(uint32_t n, const char* type, uint64_t first_mib, uint64_t bytes,
                    const char* name) {
  gpt::Partition p;
  p.number = n;
  p.type = *gpt::ParseType(type);
  p.uuid = U(100 + int(n));
  p.first_lba = first_mib * 2048;
  p.last_lba = p.first_lba + bytes / 512 - 1;
  p.name = name;
  p.attributes = n >= 2 && n <= 4 ? gpt::kAttrReadOnly : 0;
  return p;
}

// The medium `hull disk iso` writes: ESP 64 MiB, usr 100 MiB, verity 10 MiB
// less 4 KiB (a partition that is not whole MiB), sig 1 MiB, root 64 MiB.
gpt::Table Medium() {
  gpt::Table t = *gpt::NewTable(241 * kMiB, 512, U(1));
  t.partitions = {Part(1, "esp", 1, 64 * kMiB, "ESP"),
                  Part(2, "usr-x86-64", 65, 100 * kMiB, "usr_1"),
                  Part(3, "usr-x86-64-verity", 165, 10 * kMiB - 4096, "usr_1_verity"),
                  Part(4, "usr-x86-64-verity-sig", 175, kMiB, "usr_1_verity_sig"),
                  Part(5, "linux-generic", 176, 64 * kMiB, "hull-root-image")};
  return t;
}

InstallIds Ids() { return {.disk = U(2), .esp = U(3), .root = U(4), .b = {U(5), U(6), U(7)}}; }

InstallTarget Target(uint64_t bytes) {
  return {.device = "/dev/vdb", .bytes = bytes, .sector_size = 512};
}

TEST(InstallPlan, LaysOutABSlotsAndGrowsTheRoot) {
  // 1 + 64 + 2 * (100 + 10 + 1) + 64 + 1 MiB = 352 MiB at least; a 1 GiB disk.
  ASSERT_OK_AND_ASSIGN(InstallPlan plan, PlanInstall(Medium(), Target(1024 * kMiB), false, Ids()));
  EXPECT_EQ(plan.min_bytes, 352 * kMiB);
  const gpt::Table& t = plan.table;
  EXPECT_EQ(t.disk_guid, U(2));
  EXPECT_EQ(t.disk_sectors, 1024 * 2048u);
  ASSERT_EQ(t.partitions.size(), 8u);
  const uint64_t first_mib[] = {1, 65, 165, 175, 176, 276, 286, 287};
  const uint64_t mib[] = {64, 100, 10, 1, 100, 10, 1, 1024 - 287 - 1};
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(t.partitions[i].number, i + 1);
    EXPECT_EQ(t.partitions[i].first_lba, first_mib[i] * 2048) << i;
    EXPECT_EQ(t.partitions[i].sectors(), mib[i] * 2048) << i;
  }
  EXPECT_EQ(t.partitions[0].uuid, U(3));    // fresh ESP
  EXPECT_EQ(t.partitions[1].uuid, U(102));  // DPS usr UUID kept
  EXPECT_EQ(t.partitions[2].uuid, U(103));  // DPS usr-verity UUID kept
  EXPECT_EQ(t.partitions[1].attributes, gpt::kAttrReadOnly);
  EXPECT_EQ(t.partitions[4].name, "_empty");
  EXPECT_EQ(t.partitions[4].type, *gpt::ParseType("usr-x86-64"));
  EXPECT_EQ(t.partitions[4].uuid, U(5));
  EXPECT_EQ(t.partitions[7].type, *gpt::ParseType("root-x86-64"));
  EXPECT_EQ(t.partitions[7].name, "root");
  EXPECT_EQ(t.partitions[7].uuid, U(4));
  EXPECT_EQ(t.partitions[7].attributes, gpt::kAttrGrowFs);
  ASSERT_EQ(plan.copies.size(), 5u);
  EXPECT_EQ(plan.copies[2].from, 3u);
  EXPECT_EQ(plan.copies[2].to, 3u);
  EXPECT_EQ(plan.copies[2].bytes, 10 * kMiB - 4096);
  EXPECT_EQ(plan.copies[4].from, 5u);
  EXPECT_EQ(plan.copies[4].to, 8u);
  EXPECT_EQ(plan.copies[4].bytes, 64 * kMiB);
  EXPECT_EQ(plan.zero, (std::vector<uint32_t>{5, 6, 7}));
}

TEST(InstallPlan, FourKibSectorTarget) {
  InstallTarget t = Target(1024 * kMiB);
  t.sector_size = 4096;
  ASSERT_OK_AND_ASSIGN(InstallPlan plan, PlanInstall(Medium(), t, false, Ids()));
  EXPECT_EQ(plan.table.sector_size, 4096u);
  EXPECT_EQ(plan.table.partitions[1].first_lba, 65 * 256u);
  EXPECT_EQ(plan.table.partitions[7].sectors(), (1024 - 287 - 1) * 256u);
}

TEST(InstallPlan, Refusals) {
  InstallTarget t = Target(1024 * kMiB);
  t.booted_from = true;
  t.holds_data = true;
  EXPECT_THAT(PlanInstall(Medium(), t, true, Ids()).error().message(),
              HasSubstr("/dev/vdb is the disk this system booted from"));
  t.booted_from = false;
  auto r = PlanInstall(Medium(), t, false, Ids());
  EXPECT_ERROR(r, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message(), HasSubstr("holds data (a partition table"));
  EXPECT_OK(PlanInstall(Medium(), t, true, Ids()));
  EXPECT_OK(PlanInstall(Medium(), Target(352 * kMiB), false, Ids()));
  auto small = PlanInstall(Medium(), Target(352 * kMiB - 512), false, Ids());
  EXPECT_ERROR(small, ErrorCode::kRefused);
  EXPECT_THAT(small.error().message(), HasSubstr("smaller than the image (369098752 bytes)"));
}

// A device reporting no (or an odd) logical block size is refused by name,
// never divided by.
TEST(InstallPlan, RefusesASectorSizeOtherThan512Or4096) {
  for (uint32_t ss : {0u, 1u, 1000u, 2048u, 8192u}) {
    InstallTarget t = Target(1024 * kMiB);
    t.sector_size = ss;
    auto r = PlanInstall(Medium(), t, false, Ids());
    EXPECT_ERROR(r, ErrorCode::kInvalidArgument) << ss;
    if (!r.ok()) {
      EXPECT_THAT(r.error().message(),
                  HasSubstr(fmt::format("/dev/vdb: sector size {} (allowed: 512, 4096)", ss)));
    }
  }
}

TEST(InstallPlan, RootTypeFollowsTheArchitecture) {
  gpt::Table m = Medium();
  m.partitions[1].type = *gpt::ParseType("usr-arm64");
  ASSERT_OK_AND_ASSIGN(InstallPlan plan, PlanInstall(m, Target(1024 * kMiB), false, Ids()));
  // DPS: root partition type for 64-bit ARM.
  EXPECT_EQ(plan.table.partitions[7].type, *Uuid::Parse("b921b045-1df0-41c3-af44-4c6f280d3fae"));
}

TEST(InstallPlan, RefusesAMediumWithoutTheImage) {
  gpt::Table m = Medium();
  m.partitions.pop_back();
  EXPECT_THAT(PlanInstall(m, Target(1024 * kMiB), false, Ids()).error().message(),
              HasSubstr("install medium: no hull-root-image partition"));
  m = Medium();
  m.partitions.erase(m.partitions.begin() + 2);
  EXPECT_ERROR(PlanInstall(m, Target(1024 * kMiB), false, Ids()), ErrorCode::kCorrupt);
}

// The usrhash= naming Medium()'s /usr: by the DPS verity rule, the usr
// partition's UUID is the root hash's first 128 bits and usr-verity's its
// last 128, in the UUIDs' written order.
std::string MediumUsrhash() {
  std::string h = U(102).ToString() + U(103).ToString();
  h.erase(std::remove(h.begin(), h.end(), '-'), h.end());
  return h;
}

const std::string kTemplate = std::string(64, 'c');

TEST(InstallTemplate, TheRunningCommandLineVouchesForItsOwnMedium) {
  ASSERT_EQ(MediumUsrhash().size(), 64u);
  ASSERT_OK_AND_ASSIGN(
      std::string want,
      ExpectedRootTemplate(Medium(), "BOOT_IMAGE=x usrhash=" + MediumUsrhash() +
                                         " hull.roottemplate=" + kTemplate + " rw\n"));
  EXPECT_EQ(want, kTemplate);
}

TEST(InstallTemplate, RefusedUnlessTheRunningSystemIsTheMediums) {
  EXPECT_THAT(ExpectedRootTemplate(Medium(), "console=ttyS0 hull.roottemplate=" + kTemplate),
              ErrorIs(ErrorCode::kRefused, HasSubstr("not a Hull node (no usrhash=")));
  // Another image's /usr: its usrhash= says nothing about this medium.
  std::string other = MediumUsrhash();
  other[63] = other[63] == '0' ? '1' : '0';
  EXPECT_THAT(
      ExpectedRootTemplate(Medium(), "usrhash=" + other + " hull.roottemplate=" + kTemplate),
      ErrorIs(ErrorCode::kRefused,
              HasSubstr("its /usr (partition UUIDs 00000066-0000-4000-8000-000000000000, "
                        "00000067-0000-4000-8000-000000000000) is not the running system's")));
  EXPECT_THAT(ExpectedRootTemplate(Medium(), "usrhash=" + MediumUsrhash()),
              ErrorIs(ErrorCode::kRefused, HasSubstr("has no hull.roottemplate=")));
  EXPECT_ERROR(
      ExpectedRootTemplate(Medium(), "usrhash=" + MediumUsrhash() + " hull.roottemplate=abc"),
      ErrorCode::kInvalidArgument);
  gpt::Table no_root = Medium();
  no_root.partitions.pop_back();
  EXPECT_ERROR(ExpectedRootTemplate(no_root, "usrhash=" + MediumUsrhash()), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace hull::agent

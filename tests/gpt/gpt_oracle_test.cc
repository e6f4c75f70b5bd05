// Oracle tests: GPTs written by Hull checked by sgdisk -v and sfdisk --dump;
// GPTs written by sfdisk and systemd-repart read by Hull exactly as sfdisk
// --dump shows them; the DPS type GUIDs against sfdisk's own type list.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/subprocess.h"
#include "gpt/attributes.h"
#include "gpt/gpt.h"
#include "gpt/sfdisk_dump.h"
#include "gpt/types.h"
#include "support/status_matchers.h"

namespace hull::gpt {
namespace {

using ::testing::HasSubstr;

Uuid U(std::string_view s) { return *Uuid::Parse(s); }

std::string Out(std::vector<std::string> argv, std::string cwd = "") {
  auto r = hull::Run(Command{.argv = std::move(argv), .cwd = std::move(cwd)});
  EXPECT_OK(r);
  return r.ok() ? r->out : "";
}

class Tmp : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>(std::move(TempDir::Create("gpt-oracle").value()));
  }
  std::string P(const std::string& n) const { return dir_->path() + "/" + n; }
  std::unique_ptr<TempDir> dir_;
};

Table Sample(uint32_t ss) {
  Table t = *NewTable(uint64_t(64) << 20, ss, U("0d2a6b8e-93a3-4ad4-8e3c-7f0a51c0b1e2"));
  uint64_t mib = (1 << 20) / ss;
  t.partitions.push_back({1, *ParseType("esp"), U("3f0e1a7c-5b2d-4c9e-8f61-2a4b6c8d0e12"), mib,
                          9 * mib - 1, kAttrRequired | kAttrLegacyBiosBootable, "ESP"});
  t.partitions.push_back(
      {2, *ParseType("usr-x86-64"), U("954172df-ee9a-aab2-d90a-0ab162ee6bc5"), 9 * mib,
       25 * mib - 1, kAttrReadOnly | WithSuccessful(WithPriority(0, 1), true), "usr_202611.24.0"});
  t.partitions.push_back({3, *ParseType("usr-x86-64-verity"),
                          U("a6a77ede-951f-ad19-f0f9-4df0d7266a93"), 25 * mib, 27 * mib - 1,
                          kAttrReadOnly, "usr_202611.24.0_verity"});
  t.partitions.push_back({4, *ParseType("usr-x86-64-verity-sig"),
                          U("6b1f2a3c-4d5e-4f60-8172-93a4b5c6d7e8"), 27 * mib, 28 * mib - 1,
                          kAttrReadOnly | kAttrNoAuto, "usr_202611.24.0_verity_sig"});
  t.partitions.push_back({8, *ParseType("root-x86-64"), U("c0ffee00-1234-4567-89ab-cdef01234567"),
                          28 * mib, t.last_usable_lba, kAttrGrowFs, "root"});
  return t;
}

void WriteTo(const std::string& path, const Table& t) {
  File f = std::move(File::CreateNew(path).value());
  ASSERT_OK(f.Truncate(t.disk_sectors * t.sector_size));
  Status st = Write(f, t);
  ASSERT_OK(st);
}

TEST_F(Tmp, HullGptPassesSgdiskAndSfdisk512) {
  Table t = Sample(512);
  WriteTo(P("disk.raw"), t);
  EXPECT_THAT(Out({"sgdisk", "-v", "disk.raw"}, dir_->path()), HasSubstr("No problems found."));
  EXPECT_EQ(Out({"sfdisk", "--dump", "disk.raw"}, dir_->path()), SfdiskDump(t, "disk.raw"));
  Out({"sfdisk", "--verify", "disk.raw"}, dir_->path());
}

// sfdisk and sgdisk take the sector size from the device: a 4096-byte loop device.
TEST_F(Tmp, HullGptPassesSgdiskAndSfdisk4096) {
  Table t = Sample(4096);
  WriteTo(P("disk4k.raw"), t);
  auto loop =
      hull::Run(Command{.argv = {"losetup", "--show", "-f", "-r", "-b", "4096", P("disk4k.raw")}});
  ASSERT_OK(loop);
  std::string dev = loop->out.substr(0, loop->out.find('\n'));
  std::string dump = Out({"sfdisk", "--dump", dev});
  std::string verify = Out({"sgdisk", "-v", dev});
  (void)hull::Run(Command{.argv = {"losetup", "-d", dev}});
  EXPECT_EQ(dump, SfdiskDump(t, dev));
  EXPECT_THAT(verify, HasSubstr("No problems found."));
}

TEST_F(Tmp, SfdiskGptReadByHull) {
  std::ofstream(P("script"))
      << "label: gpt\n"
         "label-id: 5A3C1E2B-7D4F-4A6B-9C8D-0E1F2A3B4C5D\n"
         "start=2048, size=8192, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, "
         "uuid=01234567-89AB-4DEF-8123-456789ABCDEF, name=\"EFI system\", "
         "attrs=\"RequiredPartition LegacyBIOSBootable GUID:48,56,60,63\"\n"
         "start=12288, size=4096, type=8484680C-9521-48C6-9C11-B0720656F69E, name=\"usr é\"\n"
         "start=20480, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=\"data\"\n";
  ASSERT_OK(hull::Run(Command{.argv = {"truncate", "-s", "48M", P("s.raw")}}));
  auto w = hull::Run(Command{.argv = {"sfdisk", "--no-reread", "--no-tell-kernel", P("s.raw")},
                             .stdin_data = *ReadFileText(P("script"))});
  ASSERT_OK(w);
  auto t = ReadFile(P("s.raw"));
  ASSERT_OK(t);
  EXPECT_EQ(SfdiskDump(*t, "s.raw"), Out({"sfdisk", "--dump", "s.raw"}, dir_->path()));
  ASSERT_EQ(t->partitions.size(), 3u);
  EXPECT_EQ(Priority(t->partitions[0].attributes), 1u);
  EXPECT_TRUE(Successful(t->partitions[0].attributes));
}

TEST_F(Tmp, RepartGptReadByHull) {
  std::filesystem::create_directory(P("repart.d"));
  std::ofstream(P("repart.d/10-esp.conf")) << "[Partition]\nType=esp\nLabel=ESP\n"
                                              "SizeMinBytes=32M\nSizeMaxBytes=32M\n";
  std::ofstream(P("repart.d/20-usr.conf")) << "[Partition]\nType=usr\nLabel=usr_1\n"
                                              "SizeMinBytes=20M\nSizeMaxBytes=20M\n"
                                              "Flags=0x1000000000000000\n";
  std::ofstream(P("repart.d/30-usr-verity.conf")) << "[Partition]\nType=usr-verity\n"
                                                     "Label=usr_1_verity\nSizeMinBytes=4M\n"
                                                     "SizeMaxBytes=4M\n";
  std::ofstream(P("repart.d/40-root.conf"))
      << "[Partition]\nType=root\nLabel=root\nGrowFileSystem=yes\n";
  auto w =
      hull::Run(Command{.argv = {"systemd-repart", "--empty=create", "--size=100M", "--dry-run=no",
                                 "--no-pager", "--seed=1e6c3b1b-5f8c-4c2a-9d1e-0a0b0c0d0e0f",
                                 "--definitions=" + P("repart.d"), P("r.raw")}});
  ASSERT_OK(w);
  auto t = ReadFile(P("r.raw"));
  ASSERT_OK(t);
  EXPECT_EQ(SfdiskDump(*t, "r.raw"), Out({"sfdisk", "--dump", "r.raw"}, dir_->path()));
  ASSERT_EQ(t->partitions.size(), 4u);
  EXPECT_EQ(LookupTypeGuid(t->partitions[2].type)->name, "usr-x86-64-verity");
  EXPECT_TRUE(t->partitions[1].attributes & kAttrReadOnly);
}

// Every DPS GUID in our table appears in util-linux's own GPT type list.
TEST(TypeTable, DpsGuidsKnownToSfdisk) {
  std::string list = Upper(Out({"sfdisk", "--label", "gpt", "--list-types"}));
  ASSERT_FALSE(list.empty());
  int checked = 0;
  for (const PartitionType& t : AllPartitionTypes()) {
    if (!t.dps && t.role != Role::kBiosBoot && t.role != Role::kChromeOsKernel) continue;
    EXPECT_THAT(list, HasSubstr(Upper(std::string(t.guid)))) << t.name;
    ++checked;
  }
  EXPECT_GE(checked, 22);
}

// Every DPS entry of our table under the same name and GUID in systemd's own
// table (`systemd-id128 show` lists the partition types systemd-repart and
// systemd-dissect know), among them the six aarch64 ones an arm64 image uses.
TEST(TypeTable, DpsNamesAndGuidsAsSystemdHasThem) {
  std::istringstream in(Out({"systemd-id128", "show"}));
  std::map<std::string, std::string> systemd;
  std::string name, id;
  while (in >> name >> id) systemd[name] = id;
  ASSERT_FALSE(systemd.empty());
  int dps = 0, arm64 = 0;
  for (const PartitionType& t : AllPartitionTypes()) {
    if (!t.dps) continue;
    std::string guid(t.guid);
    std::erase(guid, '-');
    EXPECT_EQ(systemd[std::string(t.name)], guid) << t.name;
    ++dps;
    if (t.arch == Arch::kArm64) ++arm64;
  }
  EXPECT_EQ(dps, 21);
  EXPECT_EQ(arm64, 6);
  for (const char* n :
       {"root", "usr", "root-verity", "usr-verity", "root-verity-sig", "usr-verity-sig"}) {
    ASSERT_OK_AND_ASSIGN(const PartitionType* t, LookupTypeName(n, Arch::kArm64));
    EXPECT_EQ(t->name, std::string(n).insert(n[0] == 'r' ? 4 : 3, "-arm64")) << n;
  }
}

}  // namespace
}  // namespace hull::gpt

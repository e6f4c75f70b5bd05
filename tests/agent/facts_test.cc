#include "agent/facts.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::agent {
namespace {

// Lines in the format of proc(5) /proc/[pid]/mountinfo, from a booted node.
constexpr const char* kMountInfo =
    "25 1 254:24 / / rw,relatime shared:1 - ext4 /dev/vda8 rw\n"
    "26 25 253:0 / /usr ro,nodev,relatime shared:2 - erofs /dev/mapper/usr ro,user_xattr,acl\n"
    "27 25 0:25 / /etc rw,relatime shared:3 - overlay overlay "
    "rw,lowerdir=/sysroot/usr/etc,upperdir=/sysroot/var/lib/hull/etc-overlay/upper\n"
    "40 25 0:30 / /mnt/with\\040space rw - tmpfs tmpfs rw\n";

TEST(MountInfo, ParsesPointTypeSourceAndEscapes) {
  auto m = ParseMountInfo(kMountInfo);
  ASSERT_OK(m);
  ASSERT_EQ(m->size(), 4u);
  auto usr = FindMount(*m, "/usr");
  ASSERT_TRUE(usr);
  EXPECT_EQ(usr->fstype, "erofs");
  EXPECT_EQ(usr->source, "/dev/mapper/usr");
  EXPECT_TRUE(usr->options.starts_with("ro,"));
  EXPECT_EQ(FindMount(*m, "/etc")->fstype, "overlay");
  EXPECT_TRUE(FindMount(*m, "/mnt/with space"));
  EXPECT_FALSE(FindMount(*m, "/var"));
}

TEST(MountInfo, MalformedLineNamesIt) {
  auto m = ParseMountInfo("25 1 254:24 / / rw - ext4 /dev/vda8 rw\n26 25 nonsense\n");
  ASSERT_ERROR(m, ErrorCode::kCorrupt);
  EXPECT_NE(m.error().ToString().find("line 2"), std::string::npos);
}

TEST(Lockdown, SelectedMode) {
  EXPECT_EQ(*ParseLockdown("none [integrity] confidentiality\n"), "integrity");
  EXPECT_EQ(*ParseLockdown("[none] integrity confidentiality\n"), "none");
  EXPECT_ERROR(ParseLockdown("none integrity"), ErrorCode::kCorrupt);
}

TEST(SecureBoot, AttributesThenOneByte) {
  const uint8_t on[] = {0x06, 0, 0, 0, 1}, off[] = {0x06, 0, 0, 0, 0};
  EXPECT_TRUE(*ParseSecureBootVariable(ByteSpan(on, 5)));
  EXPECT_FALSE(*ParseSecureBootVariable(ByteSpan(off, 5)));
  EXPECT_ERROR(ParseSecureBootVariable(ByteSpan(on, 4)), ErrorCode::kCorrupt);
}

TEST(Verity, RootHashIsTheNinthField) {
  // A table as DM_TABLE_STATUS returned it on a booted node.
  auto h = VerityTableRootHash(
      "1 254:18 254:19 4096 4096 89671 1 sha256 "
      "436A823D14D79AA0729DC4B290E8B49A5071B96C55C5EDE2D3669EE0C9DE9C8F "
      "3d6aecf5ad56d90fa5d20cc258fb1e5e299181973776a40fed46524d90493407");
  ASSERT_OK(h);
  EXPECT_EQ(*h, "436a823d14d79aa0729dc4b290e8b49a5071b96c55c5ede2d3669ee0c9de9c8f");
  EXPECT_ERROR(VerityTableRootHash("0 1048576 linear 8:1 0"), ErrorCode::kCorrupt);
}

TEST(Meminfo, TotalMinusAvailable) {
  auto m = MemoryInUse("MemTotal:        2000 kB\nMemFree: 10 kB\nMemAvailable:     500 kB\n");
  ASSERT_OK(m);
  EXPECT_EQ(*m, 1500u * 1024);
  EXPECT_ERROR(MemoryInUse("MemTotal: 5 kB\n"), ErrorCode::kCorrupt);
}

TEST(DefaultGateway, FromProcNetRoute) {
  // /proc/net/route of a host whose `ip -4 route show default` says
  // "default via 192.0.2.1 dev eth0" (tabs and trailing blanks as the kernel
  // writes them); the subnet's own route (no RTF_GATEWAY) comes second.
  const std::string table =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT  \n"
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0   \n"
      "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0   \n";
  auto g = DefaultGateway(table);
  ASSERT_OK(g);
  EXPECT_EQ(*g, "192.0.2.1");
  // Only the subnet route, a header alone, a short or non-hex line: none.
  EXPECT_ERROR(DefaultGateway("Iface\tDestination\n"
                              "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"),
               ErrorCode::kNotFound);
  EXPECT_ERROR(DefaultGateway(""), ErrorCode::kNotFound);
  EXPECT_ERROR(DefaultGateway("h\neth0\t00000000\t0102\t0003\n"), ErrorCode::kNotFound);
  EXPECT_ERROR(DefaultGateway("h\neth0\t00000000\t0102zz00\t0003\n"), ErrorCode::kNotFound);
  // A default route without RTF_GATEWAY (a point-to-point link) names none.
  EXPECT_ERROR(DefaultGateway("h\nwg0\t00000000\t00000000\t0001\n"), ErrorCode::kNotFound);
}

TEST(SystemdAnalyze, TotalInSecondsWithMinutes) {
  // systemd-analyze time output of the default image under TCG.
  auto s = ParseStartupSeconds(
      "Startup finished in 9.688s (kernel) + 1min 8.303s (userspace) = 1min 17.992s \n"
      "graphical.target reached after 1min 6.798s in userspace.");
  ASSERT_OK(s);
  EXPECT_DOUBLE_EQ(*s, 77.992);
  EXPECT_DOUBLE_EQ(
      *ParseStartupSeconds("Startup finished in 1.5s (kernel) + 800ms (userspace) = 2.300s"), 2.3);
  EXPECT_ERROR(ParseStartupSeconds("Bootup is not yet finished"), ErrorCode::kCorrupt);
}

TEST(Selinux, DenialsTrimmed) {
  auto d = SelinuxDenials(
      "audit: type=1400 audit(1.2:3): avc:  denied  { read } for  pid=9 comm=\"x\" "
      "tclass=dir permissive=0\nsome other line\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], "{ read } for  pid=9 comm=\"x\" tclass=dir");
}

// A copy of the OS disk attached as a data disk holds the same usr
// partition: the disk under /dev/mapper/usr decides, and without it the
// agent refuses to guess.
TEST(Facts, NodeDiskIsTheOneUnderUsr) {
  EXPECT_EQ(*ChooseNodeDisk({"vda"}, {}), "vda");
  EXPECT_EQ(*ChooseNodeDisk({"vda"}, {"vda"}), "vda");
  EXPECT_EQ(*ChooseNodeDisk({"vdb", "vda"}, {"vda"}), "vda");
  EXPECT_EQ(*ChooseNodeDisk({"vda", "vdb"}, {"vdb"}), "vdb");
  EXPECT_ERROR(ChooseNodeDisk({}, {"vda"}), ErrorCode::kNotFound);
  EXPECT_ERROR(ChooseNodeDisk({"vdb"}, {"vda"}), ErrorCode::kNotFound);
  EXPECT_ERROR(ChooseNodeDisk({"vda", "vdb"}, {}), ErrorCode::kConflict);
}

TEST(Facts, MachineIdMissingOrUnsetIsNone) {
  EXPECT_EQ(ParseMachineId("0123456789abcdef0123456789abcdef\n"),
            "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(ParseMachineId("0123456789abcdef0123456789abcdef"), "0123456789abcdef0123456789abcdef");
  for (const char* text : {"", "\n", "uninitialized\n", "0123456789ABCDEF0123456789ABCDEF\n",
                           "0123456789abcdef0123456789abcde\n", " 123456789abcdef0123456789abcdef"})
    EXPECT_EQ(ParseMachineId(text), "") << text;
}

}  // namespace
}  // namespace hull::agent

// Unit tests of the pure parts of `hull build`: derivations, cmdline, sizes,
// layout, initrd module resolution and the initrd's cpio contents (listed
// with bsdtar, an independent reader).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "build/artifacts.h"
#include "build/initrd.h"
#include "build/node_files.h"
#include "build/pipeline.h"
#include "build/plan.h"
#include "build/products.h"
#include "crypto/digest.h"
#include "disk/image.h"
#include "gpt/attributes.h"
#include "gpt/types.h"
#include "node/config.h"
#include "node/kernel_cmdline.h"
#include "support/status_matchers.h"

namespace hull::build {
namespace {
namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Derive, SaltIsSha256OfPurposeNameVersion) {
  // printf 'hull-verity-salt\0HullImmutable\0202611.25.0' | sha256sum
  auto sum = hull::Run(Command{.argv = {"sh", "-c",
                                        "printf 'hull-verity-salt\\000HullImmutable\\000"
                                        "202611.25.0' | sha256sum"}});
  ASSERT_OK(sum);
  EXPECT_EQ(HexEncode(VeritySalt("HullImmutable", "202611.25.0")), sum->out.substr(0, 64));
  EXPECT_NE(VeritySalt("HullImmutable", "202611.25.1"), VeritySalt("HullImmutable", "202611.25.0"));
}

TEST(Derive, UuidsAreVersion8AndDistinctPerPurpose) {
  Uuid v = VeritySuperblockUuid("A", "202611.25.0");
  Uuid r = RootFilesystemUuid("A", "202611.25.0");
  EXPECT_NE(v.ToString(), r.ToString());
  EXPECT_EQ(v.ToString()[14], '8');
  EXPECT_EQ(r.ToString()[14], '8');
  EXPECT_EQ(v.ToString(), VeritySuperblockUuid("A", "202611.25.0").ToString());
}

TEST(Epoch, FromVersionDate) {
  // date -u -d 2026-11-25 +%s
  auto e = SourceDateEpochForVersion("202611.25.3");
  ASSERT_OK(e);
  EXPECT_EQ(*e, 1795564800);
  auto bad = SourceDateEpochForVersion("2026.11.25");
  ASSERT_ERROR(bad, ErrorCode::kInvalidArgument);
}

spec::ImageSpec SpecWith(std::vector<std::string> cmdline, spec::SelinuxMode mode) {
  spec::ImageSpec s;
  s.name = "T";
  s.version = "202611.25.0";
  s.kernel.cmdline = std::move(cmdline);
  s.selinux = mode;
  return s;
}

TEST(Cmdline, UsrhashConsoleSpecAndSelinux) {
  auto s = SpecWith({"quiet"}, spec::SelinuxMode::kEnforcing);
  EXPECT_EQ(KernelCmdline(s, "ab12", "cd34"),
            "usrhash=ab12 hull.roottemplate=cd34 mount.usrfstype=erofs mount.usrflags=ro rw "
            "lockdown=integrity panic=5 "
            "console=ttyS0 quiet security=selinux selinux=1 enforcing=1");
  auto d = SpecWith({"console=tty0", "rw"}, spec::SelinuxMode::kDisabled);
  EXPECT_EQ(KernelCmdline(d, "ff", "ee"),
            "usrhash=ff hull.roottemplate=ee mount.usrfstype=erofs mount.usrflags=ro rw "
            "lockdown=integrity panic=5 "
            "console=tty0 selinux=0");
  auto p = SpecWith({}, spec::SelinuxMode::kPermissive);
  EXPECT_THAT(KernelCmdline(p, "00", "11"), HasSubstr("selinux=1 enforcing=0"));
  // The spec's own panic= comes after Hull's: the kernel keeps the last.
  auto own = SpecWith({"panic=30"}, spec::SelinuxMode::kDisabled);
  EXPECT_EQ(node::CmdlineValue(KernelCmdline(own, "ff", "ee"), "panic"), "30");
}

TEST(Names, UkiAndStem) {
  EXPECT_EQ(UkiFileName("202611.25.0"), "hull_202611.25.0+3.efi");
  EXPECT_EQ(UkiFileName("202611.25.0", 1), "hull_202611.25.0+1.efi");
  EXPECT_EQ(OutputStem(SpecWith({}, spec::SelinuxMode::kDisabled)), "T_202611.25.0");
}

TEST(Sizes, FromContentWithHeadroom) {
  auto p = ComputeSizes({}, 100 * kMiB, 20 * kMiB);
  ASSERT_OK(p);
  EXPECT_EQ(p->usr, 125 * kMiB);
  // The tree for 125 MiB of 4 KiB blocks: 32000 digests -> 250 + 2 + 1 hash
  // blocks + the superblock block = 1040384 bytes, rounded up to 1 MiB.
  EXPECT_EQ(p->verity, kMiB);
  EXPECT_EQ(p->esp, 64 * kMiB);
  EXPECT_EQ(p->root, kDefaultRootBytes);
  auto big_esp = ComputeSizes({}, 4096, 40 * kMiB);
  ASSERT_OK(big_esp);
  EXPECT_EQ(big_esp->esp, 96 * kMiB);
}

TEST(Sizes, SpecSmallerThanContentIsRefused) {
  auto p = ComputeSizes({.usr = 10 * kMiB}, 20 * kMiB, 0);
  ASSERT_ERROR(p, ErrorCode::kInvalidArgument);
  EXPECT_THAT(p.error().ToString(), HasSubstr("partitions.usr is 10485760 bytes"));
}

TEST(Layout, DesignOrderLabelsAndDpsUuids) {
  Bytes root(32);
  for (size_t i = 0; i < root.size(); ++i) root[i] = uint8_t(i);
  LayoutInputs in{.name = "T",
                  .version = "202611.25.0",
                  .sizes = {.esp = 64 * kMiB,
                            .usr = 10 * kMiB,
                            .verity = kMiB,
                            .signature = kMiB,
                            .root = 64 * kMiB},
                  .esp_dir = "/e",
                  .usr_image = "/u",
                  .verity_image = "/v",
                  .signature_image = "/s",
                  .root_image = "/r",
                  .root_hash = root};
  auto l = BuildLayout(in);
  ASSERT_OK(l);
  std::vector<std::string> labels, types;
  for (const auto& p : l->partitions) {
    labels.push_back(p.label);
    types.push_back(std::string(gpt::LookupTypeGuid(p.type)->name));
  }
  EXPECT_THAT(labels,
              ElementsAre("ESP", "usr_202611.25.0", "usr_202611.25.0_verity",
                          "usr_202611.25.0_verity_sig", "_empty", "_empty", "_empty", "root"));
  EXPECT_THAT(types, ElementsAre("esp", "usr-x86-64", "usr-x86-64-verity", "usr-x86-64-verity-sig",
                                 "usr-x86-64", "usr-x86-64-verity", "usr-x86-64-verity-sig",
                                 "root-x86-64"));
  EXPECT_EQ(l->partitions[1].uuid->ToString(), "00010203-0405-0607-0809-0a0b0c0d0e0f");
  EXPECT_EQ(l->partitions[2].uuid->ToString(), "10111213-1415-1617-1819-1a1b1c1d1e1f");
  EXPECT_EQ(l->partitions[4].size, l->partitions[1].size);  // slot B at full size
  EXPECT_TRUE(l->partitions[4].content.empty());
  EXPECT_EQ(l->partitions[0].format, "vfat");
  EXPECT_EQ(l->partitions[7].attributes, gpt::kAttrGrowFs);
  EXPECT_EQ(l->partitions[1].attributes, gpt::kAttrReadOnly);
}

const char kDep[] =
    "kernel/drivers/md/dm-verity.ko: kernel/drivers/md/dm-bufio.ko kernel/drivers/md/dm-mod.ko\n"
    "kernel/drivers/md/dm-bufio.ko:\n"
    "kernel/drivers/md/dm-mod.ko:\n"
    "kernel/fs/erofs/erofs.ko:\n"
    "kernel/drivers/gpu/drm/drm.ko:\n"
    "kernel/arch/x86/crypto/sha256-ssse3.ko:\n";

// arm64: the same layout with the DPS aarch64 types (GUIDs from the Discoverable
// Partitions Specification's table, "Root Partition (64-bit ARM/AArch64)" etc.).
TEST(Layout, Arm64UsesTheAarch64DpsTypes) {
  Bytes root(32, 7);
  LayoutInputs in{.name = "T",
                  .version = "202611.25.0",
                  .sizes = {.esp = 64 * kMiB,
                            .usr = 10 * kMiB,
                            .verity = kMiB,
                            .signature = kMiB,
                            .root = 64 * kMiB},
                  .root_hash = root,
                  .arch = gpt::Arch::kArm64};
  ASSERT_OK_AND_ASSIGN(auto l, BuildLayout(in));
  std::vector<std::string> types;
  for (const auto& p : l.partitions) types.push_back(p.type.ToString());
  EXPECT_THAT(
      types,
      ElementsAre("c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "b0e01050-ee5f-4390-949a-9101b17104e9",
                  "6e11a4e7-fbca-4ded-b9e9-e1a512bb664e", "c23ce4ff-44bd-4b00-b2d4-b41b3419e02a",
                  "b0e01050-ee5f-4390-949a-9101b17104e9", "6e11a4e7-fbca-4ded-b9e9-e1a512bb664e",
                  "c23ce4ff-44bd-4b00-b2d4-b41b3419e02a", "b921b045-1df0-41c3-af44-4c6f280d3fae"));
  ASSERT_OK_AND_ASSIGN(gpt::Arch a, GptArchOf("arm64"));
  EXPECT_EQ(a, gpt::Arch::kArm64);
  ASSERT_OK_AND_ASSIGN(gpt::Arch x, GptArchOf("amd64"));
  EXPECT_EQ(x, gpt::Arch::kX86_64);
  EXPECT_ERROR(GptArchOf("x86-64"), ErrorCode::kInvalidArgument);
}

// An arm64 build without the cross-built node programs fails before any
// stage runs, naming the target that builds them, and writes nothing.
TEST(Build, Arm64WithoutItsNodeProgramsNamesTheTarget) {
  ASSERT_OK_AND_ASSIGN(spec::ImageSpec s, spec::DefaultSpec(1795564800, "arm64"));
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("build-arm64"));
  BuildOptions o;
  o.spec = s;
  o.out_dir = tmp.path() + "/out";
  o.init_binary = tmp.path() + "/arm64/hull-init";
  o.agent_binary = tmp.path() + "/arm64/hull-agent";
  auto r = Build(o);
  EXPECT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("hull-init binary for arm64"));
  EXPECT_THAT(r.error().message(), HasSubstr("--target hull_node_arm64"));
  EXPECT_FALSE(std::filesystem::exists(o.out_dir));
}

// The node programs default to those next to the running program, and for
// arm64 to the cross-built ones in arm64/ beside them (cmake/NodeArm64.cmake).
TEST(Build, NodeProgramsOfEachArchitecture) {
  const fs::path dir = fs::read_symlink("/proc/self/exe").parent_path();
  EXPECT_EQ(DefaultInitPath(), (dir / "hull-init").string());
  EXPECT_EQ(DefaultAgentPath("amd64"), (dir / "hull-agent").string());
  EXPECT_EQ(DefaultInitPath("arm64"), (dir / "arm64" / "hull-init").string());
  EXPECT_EQ(DefaultAgentPath("arm64"), (dir / "arm64" / "hull-agent").string());
}

// The removable-media boot path is UEFI's (2.10, 3.5.1.1) for each machine;
// systemd-boot and the stub are the files Debian's systemd-boot-efi and
// systemd-boot-efi:arm64 install (scripts/install-deps.sh).
TEST(Efi, FilesOfEachArchitecture) {
  ASSERT_OK_AND_ASSIGN(EfiFiles x64, EfiFilesOf("amd64"));
  EXPECT_EQ(x64.boot_path, "/EFI/BOOT/BOOTX64.EFI");
  EXPECT_EQ(x64.systemd_boot, "/usr/lib/systemd/boot/efi/systemd-bootx64.efi");
  EXPECT_EQ(x64.systemd_stub, "/usr/lib/systemd/boot/efi/linuxx64.efi.stub");
  ASSERT_OK_AND_ASSIGN(EfiFiles aa64, EfiFilesOf("arm64"));
  EXPECT_EQ(aa64.boot_path, "/EFI/BOOT/BOOTAA64.EFI");
  ASSERT_OK_AND_ASSIGN(ProcessOutput listed,
                       hull::Run(Command{.argv = {"dpkg", "-L", "systemd-boot-efi:arm64"}}));
  EXPECT_THAT(listed.out, HasSubstr(aa64.systemd_boot + "\n"));
  EXPECT_THAT(listed.out, HasSubstr(aa64.systemd_stub + "\n"));
  EXPECT_ERROR(EfiFilesOf("riscv64"), ErrorCode::kInvalidArgument);
}

TEST(InitrdModules, ClosedOverDepsWithBuiltinsAndAbsent) {
  auto deps = rootfs::ParseModulesDep(kDep);
  ASSERT_OK(deps);
  auto r = ResolveInitrdModules(*deps, {"kernel/drivers/block/virtio_blk.ko"},
                                {"dm_verity", "erofs", "virtio_blk", "sha256_ssse3", "tpm_crb"});
  EXPECT_THAT(r.paths, ElementsAre("kernel/arch/x86/crypto/sha256-ssse3.ko",
                                   "kernel/drivers/md/dm-bufio.ko", "kernel/drivers/md/dm-mod.ko",
                                   "kernel/drivers/md/dm-verity.ko", "kernel/fs/erofs/erofs.ko"));
  EXPECT_THAT(r.builtin, ElementsAre("virtio_blk"));
  EXPECT_THAT(r.absent, ElementsAre("tpm_crb"));
  EXPECT_EQ(FilterModulesDep(*deps, {"kernel/fs/erofs/erofs.ko"}), "kernel/fs/erofs/erofs.ko:\n");
}

class InitrdFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("hull-initrd-test");
    ASSERT_OK(t);
    dir_ = t->Release();
    mods_ = dir_ + "/lib/modules/6.1.0-t";
    for (const char* m : {"kernel/drivers/md/dm-verity.ko", "kernel/drivers/md/dm-bufio.ko",
                          "kernel/drivers/md/dm-mod.ko", "kernel/fs/erofs/erofs.ko",
                          "kernel/drivers/gpu/drm/drm.ko"}) {
      fs::create_directories(fs::path(mods_ + "/" + m).parent_path());
      ASSERT_OK(WriteFileAtomic(mods_ + "/" + m, std::string("module ") + m));
    }
    ASSERT_OK(WriteFileAtomic(mods_ + "/modules.dep", std::string(kDep)));
    ASSERT_OK(WriteFileAtomic(mods_ + "/modules.builtin", std::string("kernel/fs/ext4/ext4.ko\n")));
    ASSERT_OK(WriteFileAtomic(dir_ + "/init", std::string("#!fake init\n"), 0755));
  }
  void TearDown() override { fs::remove_all(dir_); }
  InitrdOptions Options(const std::string& out) {
    return {.init_binary = dir_ + "/init",
            .modules_dir = mods_,
            .kernel_version = "6.1.0-t",
            .wanted = {"dm-verity", "erofs"},
            .output = out,
            .mtime = 1764028800};
  }
  std::string dir_, mods_;
};

TEST_F(InitrdFiles, NewcZstdSortedWithFixedMtimes) {
  auto r = WriteInitrd(Options(dir_ + "/a.cpio.zst"));
  ASSERT_OK(r);
  auto magic =
      hull::Run(Command{.argv = {"sh", "-c", "zstd -dc " + dir_ + "/a.cpio.zst | head -c 6"}});
  ASSERT_OK(magic);
  EXPECT_EQ(magic->out, "070701");  // newc
  auto list =
      hull::Run(Command{.argv = {"bsdtar", "-tvf", dir_ + "/a.cpio.zst"}, .env = {"TZ=UTC"}});
  // mtime 1764028800 = 2025-11-25 00:00 UTC (date -u -d @1764028800).
  ASSERT_OK(list);
  const std::string& o = list->out;
  EXPECT_THAT(o, HasSubstr("-rwxr-xr-x  1 0      0          12 Nov 25  2025 init\n"));
  EXPECT_THAT(o, HasSubstr("usr/lib/modules/6.1.0-t/kernel/drivers/md/dm-bufio.ko\n"));
  EXPECT_THAT(o, HasSubstr("usr/lib/modules/6.1.0-t/modules.dep\n"));
  // hull-init needs the built-in list to accept ext4 as present.
  EXPECT_THAT(o, HasSubstr("usr/lib/modules/6.1.0-t/modules.builtin\n"));
  EXPECT_EQ(o.find("drm.ko"), std::string::npos);
  // Sorted: dm-bufio before dm-mod before dm-verity, init first after "".
  EXPECT_LT(o.find("dm-bufio"), o.find("dm-mod"));
  EXPECT_LT(o.find("dm-mod"), o.find("dm-verity"));
  auto again = WriteInitrd(Options(dir_ + "/b.cpio.zst"));
  ASSERT_OK(again);
  auto a = ReadFileBytes(dir_ + "/a.cpio.zst");
  auto b = ReadFileBytes(dir_ + "/b.cpio.zst");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

// With a cache the second build of the same entries copies the first's bytes;
// any changed entry (a module's content here) misses and is built anew.
TEST_F(InitrdFiles, CacheReusesSameEntriesOnly) {
  auto o = Options(dir_ + "/a.cpio.zst");
  o.cache_dir = dir_ + "/cache";
  auto first = WriteInitrd(o);
  ASSERT_OK(first);
  EXPECT_FALSE(first->cache_hit);
  o.output = dir_ + "/b.cpio.zst";
  auto second = WriteInitrd(o);
  ASSERT_OK(second);
  EXPECT_TRUE(second->cache_hit);
  EXPECT_EQ(second->modules.paths, first->modules.paths);
  auto a = ReadFileBytes(dir_ + "/a.cpio.zst"), b = ReadFileBytes(dir_ + "/b.cpio.zst");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  // The cached bytes are what an uncached build writes.
  auto plain = WriteInitrd(Options(dir_ + "/p.cpio.zst"));
  ASSERT_OK(plain);
  EXPECT_EQ(*ReadFileBytes(dir_ + "/p.cpio.zst"), *a);

  ASSERT_OK(WriteFileAtomic(mods_ + "/kernel/fs/erofs/erofs.ko", std::string("changed")));
  o.output = dir_ + "/c.cpio.zst";
  auto third = WriteInitrd(o);
  ASSERT_OK(third);
  EXPECT_FALSE(third->cache_hit);
  auto list =
      hull::Run(Command{.argv = {"sh", "-c", "zstd -dc " + dir_ + "/c.cpio.zst | strings"}});
  ASSERT_OK(list);
  EXPECT_THAT(list->out, HasSubstr("changed"));
}

TEST_F(InitrdFiles, MissingInitNamesTheFix) {
  auto o = Options(dir_ + "/c.cpio.zst");
  o.init_binary = dir_ + "/nope";
  auto r = WriteInitrd(o);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().ToString(), HasSubstr("or pass --init PATH"));
  EXPECT_FALSE(fs::exists(dir_ + "/c.cpio.zst"));
}

TEST(Ext4, Argv) {
  EXPECT_THAT(MkfsExt4Argv("/r.img", "/d", "u"),
              ElementsAre("mkfs.ext4", "-q", "-F", "-b", "4096", "-T", "default", "-L", "root",
                          "-U", "u", "-E", "hash_seed=u,root_owner=0:0", "-d", "/d", "/r.img"));
}

// The default root is 64 MiB, which mke2fs.conf's "small" type would make
// with 1 KiB blocks: growing that online to a large disk adds four times the
// block groups of 4 KiB blocks (and may outlast the watchdog). dumpe2fs
// reads what mkfs.ext4 made of the argv.
TEST(Ext4, TheDefaultRootHas4KiBBlocks) {
  auto t = TempDir::Create("hull-ext4-test");
  ASSERT_OK(t);
  const std::string img = t->path() + "/root.img", dir = t->path() + "/tree";
  fs::create_directories(dir + "/etc");
  ASSERT_OK(hull::Run(Command{.argv = {"truncate", "-s", "64M", img}}));
  std::vector<std::string> argv = MkfsExt4Argv(img, dir, "0c5d6e7f-8091-4a2b-8c3d-4e5f60718293");
  ASSERT_OK(hull::Run(Command{.argv = argv}));
  ASSERT_OK_AND_ASSIGN(auto out, hull::Run(Command{.argv = {"dumpe2fs", "-h", img}}));
  EXPECT_THAT(out.out, ::testing::ContainsRegex("Block size: +4096\n")) << out.out;
}

TEST(Ext4, CtimeScriptCoversRootAndEveryPathSorted) {
  auto t = TempDir::Create("hull-ctime-test");
  ASSERT_OK(t);
  fs::create_directories(t->path() + "/var/lib");
  fs::create_directories(t->path() + "/etc");
  auto s = CtimeScript(t->path(), 42);
  ASSERT_OK(s);
  EXPECT_EQ(*s,
            "set_inode_field / ctime @42\n"
            "set_inode_field /etc ctime @42\n"
            "set_inode_field /var ctime @42\n"
            "set_inode_field /var/lib ctime @42\n");
}

// The labels come from libselinux's own lookup (longest-stem spec wins, path
// equivalences from .subs_dist): /lib is labelled as /usr/lib, the overlay's
// upper directory as /etc, and a path the policy marks <<none>> is skipped.
TEST(Ext4, LabelScriptFollowsFileContextsAndEquivalences) {
  auto t = TempDir::Create("hull-label-test");
  ASSERT_OK(t);
  const std::string tree = t->path() + "/tree", fc = t->path() + "/fc";
  fs::create_directories(tree + "/" + kEtcOverlayDir + "/upper");
  fs::create_directories(tree + "/proc");
  fs::create_symlink("usr/lib", tree + "/lib");
  ASSERT_OK(WriteFileAtomic(fc,
                            "/.*\tsystem_u:object_r:default_t:s0\n"
                            "/\t-d\tsystem_u:object_r:root_t:s0\n"
                            "/etc(/.*)?\tsystem_u:object_r:etc_t:s0\n"
                            "/usr/lib(/.*)?\tsystem_u:object_r:lib_t:s0\n"
                            "/var(/.*)?\tsystem_u:object_r:var_t:s0\n"
                            "/proc\t-d\t<<none>>\n"));
  ASSERT_OK(WriteFileAtomic(fc + ".subs_dist", "/lib /usr/lib\n"));
  auto s = LabelScript(tree, fc);
  ASSERT_OK(s);
  EXPECT_EQ(*s,
            "ea_set / security.selinux system_u:object_r:root_t:s0\n"
            "ea_set /lib security.selinux system_u:object_r:lib_t:s0\n"
            "ea_set /var security.selinux system_u:object_r:var_t:s0\n"
            "ea_set /var/lib security.selinux system_u:object_r:var_t:s0\n"
            "ea_set /var/lib/hull security.selinux system_u:object_r:var_t:s0\n"
            "ea_set /var/lib/hull/etc-overlay security.selinux system_u:object_r:var_t:s0\n"
            "ea_set /var/lib/hull/etc-overlay/upper security.selinux system_u:object_r:etc_t:s0\n");
  auto bad = LabelScript(tree, t->path() + "/missing");
  ASSERT_ERROR(bad, ErrorCode::kCorrupt);
  EXPECT_THAT(bad.error().ToString(), HasSubstr("cannot be loaded"));
}

// The usr products key changes with every input shape and pack read; the
// .deb-level inputs come in through the compose key.
TEST(Products, KeyFollowsEveryShapeAndPackInput) {
  auto t = TempDir::Create("products-key");
  ASSERT_OK(t);
  ASSERT_OK(WriteFileAtomic(t->path() + "/motd", std::string("hello\n")));
  spec::ImageSpec s;
  s.name = "Node";
  s.version = "202611.25.0";
  s.kernel.modules = {"virtio*"};
  s.files = {{"motd", "/etc/motd"}};
  ProductInputs in{
      .spec = &s, .spec_dir = t->path(), .compose_key = "c1", .source_date_epoch = 1764028800};
  auto key = [&]() {
    auto m = ProductMaterial(in);
    EXPECT_OK(m);
    return ProductKey(in.compose_key, m.ok() ? *m : "");
  };
  const std::string base = key();
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(key(), base);  // deterministic
  std::vector<std::string> keys{base};
  auto changed = [&](const char* what) {
    std::string k = key();
    for (const auto& old : keys) EXPECT_NE(k, old) << what;
    keys.push_back(k);
  };
  in.compose_key = "c2";
  changed("compose key");
  s.kernel.modules.push_back("nvme*");
  changed("module allow-list");
  ASSERT_OK(WriteFileAtomic(t->path() + "/motd", std::string("hello!\n")));
  changed("a file's content");
  s.services.enable = {"containerd.service"};
  changed("services");
  s.selinux = spec::SelinuxMode::kPermissive;
  changed("selinux");
  s.erofs_compression = spec::Compression::kLz4hc;
  changed("erofs compression");
  s.signing_key_dir = "keys";
  changed("development keys or not");
  in.source_date_epoch += 1;
  changed("SOURCE_DATE_EPOCH");
  s.version = "202611.25.1";
  changed("version");
  in.init_binary = t->path() + "/motd";
  changed("hull-init");
  // A missing files source is an error, not a silent key.
  s.files = {{"absent", "/etc/absent"}};
  auto m = ProductMaterial(in);
  ASSERT_ERROR(m, ErrorCode::kNotFound);
  EXPECT_EQ(ProductDir("/c", "k"), "/c/products/k");
}

// systemd-system.conf(5): [Manager] RuntimeWatchdogSec= and RebootWatchdogSec=
// take time spans; drop-ins in /usr/lib/systemd/system.conf.d/*.conf.
TEST(NodeFiles, WatchdogDropInHandsTheWatchdogToSystemd) {
  EXPECT_EQ(WatchdogDropIn(),
            "# Hull (docs/init.md, \"Watchdog\"): systemd takes over the watchdog hull-init "
            "armed.\n[Manager]\nRuntimeWatchdogSec=60s\nRebootWatchdogSec=10min\n");
  auto work = TempDir::Create("hull-node-files");
  ASSERT_OK(work);
  spec::ImageSpec s;
  ASSERT_OK(AddNodeFiles({.agent = "a", .init = "i"}, work->path(), work->path(), 0, s));
  auto it = std::find_if(s.files.begin(), s.files.end(), [](const auto& f) {
    return f.dest == "/usr/lib/systemd/system.conf.d/hull-watchdog.conf";
  });
  ASSERT_NE(it, s.files.end());
  auto text = ReadFileText(it->source);
  ASSERT_OK(text);
  EXPECT_EQ(*text, WatchdogDropIn());
}

// softdog (and its dependency) goes into every initrd: hull-init arms it.
TEST(InitrdModules, CarrySoftdog) {
  auto deps = rootfs::ParseModulesDep(
      std::string(kDep) +
      "kernel/drivers/watchdog/softdog.ko: kernel/drivers/watchdog/watchdog.ko\n"
      "kernel/drivers/watchdog/watchdog.ko:\n");
  ASSERT_OK(deps);
  auto r = ResolveInitrdModules(*deps, {}, kInitrdModules);
  EXPECT_THAT(r.paths, ::testing::IsSupersetOf({"kernel/drivers/watchdog/softdog.ko",
                                                "kernel/drivers/watchdog/watchdog.ko"}));
}

// A netbooted medium's RAM disk (docs/iso.md "Netboot"): nfit and nd_pmem
// with their dependencies, as Debian's 6.1 cloud kernel's modules.dep has
// them.
TEST(InitrdModules, CarryTheNetbootRamDisk) {
  auto deps = rootfs::ParseModulesDep(
      std::string(kDep) +
      "kernel/drivers/acpi/nfit/nfit.ko: kernel/drivers/nvdimm/libnvdimm.ko\n"
      "kernel/drivers/nvdimm/libnvdimm.ko:\n"
      "kernel/drivers/nvdimm/nd_btt.ko: kernel/drivers/nvdimm/libnvdimm.ko\n"
      "kernel/drivers/nvdimm/nd_pmem.ko: kernel/drivers/nvdimm/nd_btt.ko "
      "kernel/drivers/nvdimm/libnvdimm.ko\n");
  ASSERT_OK(deps);
  auto r = ResolveInitrdModules(*deps, {}, kInitrdModules);
  EXPECT_THAT(r.paths,
              ::testing::IsSupersetOf(
                  {"kernel/drivers/acpi/nfit/nfit.ko", "kernel/drivers/nvdimm/nd_pmem.ko",
                   "kernel/drivers/nvdimm/nd_btt.ko", "kernel/drivers/nvdimm/libnvdimm.ko"}));
}

TEST(NodeFiles, UpdateUnitsAreEnabledOnlyWithARepository) {
  auto work = TempDir::Create("hull-node-files");
  ASSERT_OK(work);
  const std::string root = work->path() + "/root.json";
  ASSERT_OK(WriteFileAtomic(root, "{}"));
  auto enabled = [&](const std::string& repository) {
    spec::ImageSpec s;
    s.update.repository = repository;
    s.update.trusted_root = repository.empty() ? "" : root;
    EXPECT_OK(AddNodeFiles({.agent = "a", .init = "i"}, work->path(), work->path(), 0, s));
    return s.services.enable;
  };
  EXPECT_THAT(enabled(""), ::testing::ElementsAre("hull-validate.service", "hull-health.service",
                                                  "hull-bless.service", "hull-extensions.service",
                                                  "hull-install.service"));
  EXPECT_THAT(
      enabled("http://10.0.2.2:8080/repo/"),
      ::testing::ElementsAre("hull-validate.service", "hull-health.service", "hull-bless.service",
                             "hull-extensions.service", "hull-install.service",
                             "hull-update.service", "hull-update.timer"));
  // The trusted root goes into /usr with the configuration that names it.
  spec::ImageSpec s;
  s.update.repository = "http://10.0.2.2:8080/repo/";
  s.update.trusted_root = "missing.json";
  auto st = AddNodeFiles({.agent = "a", .init = "i"}, work->path(), work->path(), 0, s);
  ASSERT_ERROR(st, ErrorCode::kNotFound);
}

// A spec given by a relative path with a relative trusted root: the root's
// file entry is absolute, so the copy stage (which resolves a relative
// source against the spec's folder) does not join the folder twice.
TEST(NodeFiles, RelativeTrustedRootIsResolvedOnce) {
  auto work = TempDir::Create("hull-node-files");
  ASSERT_OK(work);
  ASSERT_EQ(mkdir((work->path() + "/fs").c_str(), 0755), 0);
  ASSERT_OK(WriteFileAtomic(work->path() + "/fs/root.json", "{}"));
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(work->path());
  spec::ImageSpec s;
  s.update.repository = "http://10.0.2.2:8080/repo/";
  s.update.trusted_root = "root.json";
  auto st = AddNodeFiles({.agent = "a", .init = "i"}, "fs", work->path(), 0, s);
  std::filesystem::current_path(cwd);
  ASSERT_OK(st);
  std::string source;
  for (const auto& f : s.files)
    if (f.dest == node::kFactoryRoot) source = f.source;
  EXPECT_EQ(source, work->path() + "/fs/root.json");
}

// System extensions are merged before sysinit.target (systemd 252 starts
// only units it knew when the boot's transaction was made, docs/sysext.md),
// once /var (where they are kept) is mounted.
TEST(NodeFiles, ExtensionsAreMergedEarlyInBoot) {
  auto work = TempDir::Create("hull-node-files");
  ASSERT_OK(work);
  spec::ImageSpec s;
  ASSERT_OK(AddNodeFiles({.agent = "a", .init = "i"}, work->path(), work->path(), 0, s));
  std::string source;
  for (const auto& f : s.files)
    if (f.dest == "/usr/lib/systemd/system/hull-extensions.service") source = f.source;
  ASSERT_FALSE(source.empty());
  ASSERT_OK_AND_ASSIGN(std::string unit, ReadFileText(source));
  for (const char* line :
       {"DefaultDependencies=no\n", "ConditionDirectoryNotEmpty=/var/lib/hull/extensions\n",
        "ExecStart=/usr/libexec/hull/hull-agent extensions\n", "WantedBy=sysinit.target\n",
        "SuccessExitStatus=1\n"})
    EXPECT_NE(unit.find(line), std::string::npos) << line << "\n" << unit;
  EXPECT_NE(unit.find("After=local-fs.target"), std::string::npos) << unit;
  EXPECT_NE(unit.find("Before=sysinit.target"), std::string::npos) << unit;
  // Before tmpfiles, which then reads the merged /usr/lib/tmpfiles.d (the
  // CNI extension's /opt/cni/bin link, docs/sysext.md).
  const size_t before = unit.find("\nBefore=");
  ASSERT_NE(before, std::string::npos) << unit;
  const std::string line = unit.substr(before + 1, unit.find('\n', before + 1) - before - 1);
  EXPECT_NE(line.find(" systemd-tmpfiles-setup.service"), std::string::npos) << line;
}

// The image's build time reaches the node as the TUF client's clock floor.
TEST(NodeFiles, BuildTimeIsWritten) {
  auto work = TempDir::Create("hull-node-files");
  ASSERT_OK(work);
  spec::ImageSpec s;
  ASSERT_OK(AddNodeFiles({.agent = "a", .init = "i"}, work->path(), work->path(), 1800000000, s));
  std::string source;
  for (const auto& f : s.files)
    if (f.dest == "/usr/lib/hull/build-time") source = f.source;
  ASSERT_FALSE(source.empty());
  auto text = ReadFileText(source);
  ASSERT_OK(text);
  EXPECT_EQ(*text, "1800000000\n");
}

}  // namespace
}  // namespace hull::build

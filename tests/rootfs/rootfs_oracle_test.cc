// The rootfs stages against the real tools: apt/gpgv refusing a repository
// signed by an untrusted key, dpkg judging the path-filter prune, depmod on Debian's kernel
// modules, and one compose of a small package set from deb.debian.org, shaped, packed twice
// (byte-identical) and checked with fsck.erofs / dump.erofs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "base/file.h"
#include "base/subprocess.h"
#include "rootfs/arch_check.h"
#include "rootfs/compose.h"
#include "rootfs/erofs.h"
#include "rootfs/modules.h"
#include "rootfs/sbom.h"
#include "rootfs/selinux.h"
#include "rootfs/shape.h"
#include "support/status_matchers.h"

namespace hull::rootfs {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// 2026-11-25T00:00:00Z
constexpr int64_t kEpoch = 1795564800;

void Sh(const std::string& script, const std::string& cwd = "") {
  auto r = hull::Run(Command{.argv = {"sh", "-ec", script}, .cwd = cwd});
  ASSERT_OK(r);
}

// A one-suite apt repository (no packages) made with apt-ftparchive and
// clear-signed by a throwaway GPG key that no keyring trusts.
class UntrustedRepo : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("untrusted-repo");
    ASSERT_OK(t);
    dir_.emplace(std::move(*t));
    const std::string d = dir_->path();
    ASSERT_NO_FATAL_FAILURE(
        Sh("mkdir -p repo/dists/bookworm/main/binary-amd64 gnupg && chmod 700 gnupg\n"
           ": > repo/dists/bookworm/main/binary-amd64/Packages\n"
           "cd repo && apt-ftparchive -o APT::FTPArchive::Release::Suite=bookworm"
           " -o APT::FTPArchive::Release::Codename=bookworm"
           " -o APT::FTPArchive::Release::Architectures=amd64"
           " -o APT::FTPArchive::Release::Components=main release dists/bookworm > ../Release\n"
           "mv ../Release dists/bookworm/Release && cd ..\n"
           "gpg --homedir gnupg --batch --passphrase '' --quick-gen-key"
           " 'Throwaway <throwaway@invalid>' ed25519 sign never 2>/dev/null\n"
           "gpg --homedir gnupg --batch --clearsign -o repo/dists/bookworm/InRelease"
           " repo/dists/bookworm/Release 2>/dev/null\n"
           "gpg --homedir gnupg --batch --export > throwaway.gpg\n",
           d));
    options_.mirror = "file://" + d + "/repo";
    options_.variant = "essential";
    options_.source_date_epoch = kEpoch;
  }
  std::optional<TempDir> dir_;
  ComposeOptions options_;
};

TEST_F(UntrustedRepo, InReleaseSignedByUnknownKeyIsRefused) {
  auto r = FetchVerifiedInRelease(options_);
  ASSERT_ERROR(r, ErrorCode::kBadSignature);
  EXPECT_THAT(r.error().message(),
              StartsWith(options_.mirror + "/dists/bookworm/InRelease is not signed by a key in "
                                           "/usr/share/keyrings/debian-archive-keyring.gpg: "));
  EXPECT_THAT(r.error().message(), HasSubstr("No public key"));
  // Compose stops there: nothing is downloaded, no tree appears.
  auto c = Compose(options_, dir_->path() + "/tree");
  ASSERT_ERROR(c, ErrorCode::kBadSignature);
  EXPECT_FALSE(fs::exists(dir_->path() + "/tree"));
}

TEST_F(UntrustedRepo, TrustingTheKeyAcceptsIt) {
  // The control: the same repository passes once its key is in the keyring.
  options_.keyring = dir_->path() + "/throwaway.gpg";
  auto r = FetchVerifiedInRelease(options_);
  ASSERT_OK(r);
  EXPECT_THAT(*r, HasSubstr("Codename: bookworm"));
}

TEST_F(UntrustedRepo, MirrorWithoutTheArchIsOneLineBeforeMmdebstrap) {
  // apt-ftparchive wrote an amd64-only Release: amd64 is there, arm64 is not.
  options_.keyring = dir_->path() + "/throwaway.gpg";
  auto in_release = FetchVerifiedInRelease(options_);
  ASSERT_OK(in_release);
  EXPECT_OK(CheckMirrorHasArch(*in_release, options_));
  options_.arch = "arm64";
  auto c = Compose(options_, dir_->path() + "/tree");
  ASSERT_ERROR(c, ErrorCode::kNotFound);
  EXPECT_EQ(c.error().message(),
            "architecture 'arm64' is not on the mirror " + options_.mirror +
                " (bookworm): its InRelease does not name it in Architectures: (it has: amd64); "
                "use a mirror that carries arm64 (distribution.mirror) or another arch");
  EXPECT_FALSE(fs::exists(dir_->path() + "/tree"));
}

TEST_F(UntrustedRepo, AptInsideMmdebstrapRefusesItToo) {
  // Skip our own pre-check and run mmdebstrap as Compose would: apt refuses.
  const std::string tree = dir_->path() + "/tree";
  auto r = hull::Run(Command{.argv = BuildMmdebstrapArgv(options_, tree, ""),
                             .env = {"SOURCE_DATE_EPOCH=1795564800"},
                             .timeout = std::chrono::minutes(3)});
  ASSERT_ERROR(r, ErrorCode::kProcessFailed);
  EXPECT_THAT(r.error().message(), HasSubstr("bookworm InRelease' is not signed."));
  EXPECT_FALSE(fs::exists(tree + "/usr/bin/dpkg"));  // nothing installed
}

// The extract hook's prune against dpkg itself: a package with each kind of
// entry the path filters treat differently, installed by `dpkg --root` with
// the filters on one side; its tree extracted whole and pruned on the other.
TEST(PathFilterOracle, PruneLeavesWhatDpkgInstalls) {
  auto t = TempDir::Create("path-filter-oracle");
  ASSERT_OK(t);
  const std::string d = t->path();
  ASSERT_NO_FATAL_FAILURE(Sh(
      "s=pkg/usr/share\n"
      "mkdir -p pkg/DEBIAN $s/doc/pkg/examples $s/doc/pkg/sub $s/doc/other $s/man/man1"
      " $s/man/de/man8 $s/locale/de/LC_MESSAGES $s/info $s/lintian/overrides $s/docs/x"
      " pkg/usr/bin\n"
      "echo c > $s/doc/pkg/copyright; echo r > $s/doc/pkg/README\n"
      "echo e > $s/doc/pkg/examples/x; echo c > $s/doc/pkg/sub/copyright\n"
      "ln -s pkg $s/doc/linked; ln -s README $s/doc/pkg/changelog.gz\n"
      "echo m > $s/man/man1/a.1.gz; echo m > $s/man/de/man8/b.8.gz\n"
      "echo a > $s/locale/locale.alias; echo m > $s/locale/de/LC_MESSAGES/x.mo\n"
      "echo i > $s/info/x.info.gz; echo l > $s/lintian/overrides/pkg\n"
      "echo k > $s/docs/x/kept; echo b > pkg/usr/bin/tool\n"
      "printf 'Package: hull-filter-probe\\nVersion: 1\\nArchitecture: all\\n"
      "Maintainer: Hull <hull@invalid>\\nDescription: path filter probe\\n' > pkg/DEBIAN/control\n"
      "dpkg-deb --root-owner-group --build pkg probe.deb > /dev/null\n",
      d));
  std::vector<std::string> dpkg = {"dpkg", "--root=ref"};
  for (const char* f : kDpkgPathFilters) dpkg.push_back(std::string("--") + f);
  dpkg.insert(dpkg.end(), {"--install", "probe.deb"});
  ASSERT_NO_FATAL_FAILURE(
      Sh("mkdir -p ref/var/lib/dpkg/info ref/var/lib/dpkg/updates ours\n"
         ": > ref/var/lib/dpkg/status\n" +
             ShellQuote(dpkg) +
             " > /dev/null\n"
             "dpkg-deb --fsys-tarfile probe.deb | tar -C ours -x\n"
             "sh -ec " +
             ShellQuote({PathFilterPruneHook()}) + " sh ours\n",
         d));
  auto listing = [&](const std::string& root) {
    auto r = hull::Run(
        Command{.argv = {"sh", "-c", "find usr -printf '%y %p\\n' | sort"}, .cwd = d + "/" + root});
    return r.ok() ? r->out : r.error().ToString();
  };
  const std::string ours = listing("ours");
  EXPECT_EQ(ours, listing("ref"));
  // Not vacuous: the filters removed files, and kept what dpkg keeps.
  EXPECT_THAT(ours, HasSubstr("f usr/share/doc/pkg/copyright\n"));
  EXPECT_THAT(ours, HasSubstr("f usr/share/doc/pkg/sub/copyright\n"));
  EXPECT_THAT(ours, HasSubstr("l usr/share/doc/pkg/changelog.gz\n"));
  EXPECT_THAT(ours, HasSubstr("f usr/share/locale/locale.alias\n"));
  EXPECT_THAT(ours, HasSubstr("f usr/share/docs/x/kept\n"));
  EXPECT_THAT(ours, ::testing::Not(HasSubstr("README")));
  EXPECT_THAT(ours, ::testing::Not(HasSubstr("man1")));
  EXPECT_THAT(ours, ::testing::Not(HasSubstr(".mo")));
}

// Debian's kernel modules (linux-image-cloud-amd64 on the build host), a
// subset copied into a tree, indexed by depmod, then pruned.
TEST(ModulesOracle, PruneKeepsDependenciesAndDepmodStaysConsistent) {
  std::string kver;
  for (const auto& e : fs::directory_iterator("/usr/lib/modules")) {
    if (fs::exists(e.path() / "kernel/net/bridge/br_netfilter.ko")) kver = e.path().filename();
  }
  ASSERT_FALSE(kver.empty()) << "no Debian kernel in /usr/lib/modules "
                                "(apt-get install linux-image-cloud-amd64)";
  auto t = TempDir::Create("modules-oracle");
  ASSERT_OK(t);
  const std::string root = t->path();
  const std::string src = "/usr/lib/modules/" + kver;
  const std::string dst = root + "/usr/lib/modules/" + kver;
  ASSERT_NO_FATAL_FAILURE(Sh("mkdir -p " + root + "/usr/lib && ln -s usr/lib " + root +
                             "/lib && mkdir -p " + dst + "/kernel && cp " + src +
                             "/modules.builtin* " + src + "/modules.order " + dst + "/ && cp -r " +
                             src + "/kernel/net " + src + "/kernel/drivers " + dst +
                             "/kernel/ && "
                             "depmod -b " +
                             root + " " + kver));
  auto before = ReadFileText(dst + "/modules.dep");
  ASSERT_OK(before);
  auto deps_before = ParseModulesDep(*before);
  ASSERT_OK(deps_before);
  std::vector<std::string> pats = {"br_netfilter", "veth", "kernel/drivers/net/virtio*"};
  auto expected = ModulesToKeep(*deps_before, pats);
  auto r = PruneModules(root, pats);
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].modules_before, deps_before->size());
  EXPECT_EQ((*r)[0].modules_kept, expected.size());
  // depmod rewrote the index: exactly the kept modules, each file present,
  // and br_netfilter still depends on bridge.
  auto after = ReadFileText(dst + "/modules.dep");
  ASSERT_OK(after);
  auto deps_after = ParseModulesDep(*after);
  ASSERT_OK(deps_after);
  std::set<std::string> listed;
  for (const auto& [m, d] : *deps_after) {
    listed.insert(m);
    EXPECT_TRUE(fs::exists(dst + "/" + m)) << m;
    for (const auto& dep : d) EXPECT_TRUE(expected.count(dep)) << dep;
  }
  EXPECT_EQ(listed, expected);
  EXPECT_TRUE(expected.count("kernel/net/bridge/bridge.ko"));
  EXPECT_TRUE(expected.count("kernel/drivers/net/veth.ko"));
  auto modinfo = hull::Run(
      Command{.argv = {"modprobe", "-d", root, "-S", kver, "--show-depends", "br_netfilter"}});
  ASSERT_OK(modinfo);
  EXPECT_THAT(modinfo->out, HasSubstr("bridge.ko"));
}

// systemd-sysusers and systemd-tmpfiles (systemd 252) apply the files Shape
// writes for login users to a root, as they would on the node's first boot.
TEST(UsersOracle, SysusersAndTmpfilesCreateTheUsersAndKeys) {
  auto t = TempDir::Create("users-oracle");
  ASSERT_OK(t);
  const std::string root = t->path();
  std::vector<LoginUser> users = {{"core",
                                   {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake core@example",
                                    "ssh-rsa AAAAB3Nza 100%\\weird comment"}},
                                  {"ops", {}}};
  ASSERT_OK(WriteFileAtomic(root + "/sysusers.conf", SysusersText(users)));
  ASSERT_OK(WriteFileAtomic(root + "/tmpfiles.conf", TmpfilesText(users)));
  ASSERT_NO_FATAL_FAILURE(Sh("mkdir -p etc home && systemd-sysusers --root=" + root + " " + root +
                                 "/sysusers.conf && systemd-tmpfiles --root=" + root +
                                 " --create " + root + "/tmpfiles.conf",
                             root));
  auto passwd = ReadFileText(root + "/etc/passwd");
  ASSERT_OK(passwd);
  EXPECT_THAT(*passwd, HasSubstr(":/home/core:/bin/bash\n"));
  EXPECT_THAT(*passwd, HasSubstr("ops:x:"));
  auto keys = ReadFileText(root + "/home/core/.ssh/authorized_keys");
  ASSERT_OK(keys);
  EXPECT_EQ(*keys, users[0].ssh_authorized_keys[0] + "\n" + users[0].ssh_authorized_keys[1] + "\n");
  struct stat st {};
  ASSERT_EQ(::stat((root + "/home/core/.ssh/authorized_keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(st.st_uid, 0u);
  EXPECT_TRUE(fs::is_directory(root + "/home/ops"));
}

std::string TextOf(const std::string& path) {
  auto r = ReadFileText(path);
  return r.ok() ? *r : "<" + r.error().ToString() + ">";
}

// One compose of a small set from the real mirror, reused within the test.
TEST(ComposeOracle, ComposeShapePackReproducibly) {
  auto t = TempDir::Create("compose-oracle");
  ASSERT_OK(t);
  const std::string d = t->path();
  ComposeOptions o;
  o.variant = "essential";
  o.packages = {"kmod", "zstd"};
  o.source_date_epoch = kEpoch;
  o.cache_dir = d + "/cache";
  auto cold = Compose(o, d + "/a");
  ASSERT_OK(cold);
  EXPECT_FALSE(cold->cache_hit);
  EXPECT_EQ(cold->key, CacheKey(o, cold->release_sha256));
  // Warm: same key, the cached tree linked, no mmdebstrap run (the cached
  // tree's files are the very inodes of the build's tree).
  const std::string cached = cold->cached_tree;
  ASSERT_TRUE(fs::is_directory(cached + "/usr/bin"));
  auto issue_before = ReadFileText(cached + "/etc/issue");
  ASSERT_OK(issue_before);
  auto warm = Compose(o, d + "/b");
  ASSERT_OK(warm);
  EXPECT_TRUE(warm->cache_hit);
  EXPECT_EQ(warm->key, cold->key);
  EXPECT_EQ(warm->cached_tree, cached);
  EXPECT_TRUE(fs::equivalent(cached + "/usr/bin/kmod", d + "/b/usr/bin/kmod"));
  std::printf("compose: cold %.1f s, warm %.1f s\n", cold->seconds, warm->seconds);
  // The path filters held for the essential packages, which mmdebstrap
  // extracts with tar before dpkg runs: no manual pages, and so no
  // alternative for one; the copyright files stay.
  EXPECT_TRUE(fs::exists(cached + "/usr/share/doc/kmod/copyright"));
  EXPECT_FALSE(fs::exists(cached + "/usr/share/doc/dpkg/changelog.Debian.gz"));
  EXPECT_FALSE(fs::exists(cached + "/usr/share/man/man1/dpkg.1.gz"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(cached + "/etc/alternatives/which.1.gz")));
  EXPECT_TRUE(fs::exists(cached + "/etc/alternatives/which"));
  // The .debs were kept for the next cold compose and the SBOM.
  EXPECT_TRUE(fs::exists(o.cache_dir + "/debs/kmod_30+20221128-1_amd64.deb"));

  ShapeOptions so{
      .image_id = "HullTest", .image_version = "202611.25.0", .deb_cache = o.cache_dir + "/debs"};
  ASSERT_OK(WriteFileAtomic(d + "/issue", std::string_view("Hull test\n")));
  so.files = {{d + "/issue", "/etc/issue"}};
  auto stamps = StampLinkedTree(d + "/a", cached);
  ASSERT_OK(stamps);
  EXPECT_GT(stamps->mtimes.size(), 100u);
  auto shaped = Shape(d + "/a", so);
  ASSERT_OK(shaped);
  auto untouched = CheckCacheUntouched(d + "/a", *stamps);
  EXPECT_OK(untouched);
  // Shaping replaced and removed files of the linked tree; the cache's stay.
  EXPECT_EQ(TextOf(d + "/a/usr/etc/issue"), "Hull test\n");
  EXPECT_EQ(TextOf(cached + "/etc/issue"), *issue_before);
  EXPECT_TRUE(fs::exists(cached + "/usr/bin/dpkg"));
  EXPECT_TRUE(fs::is_directory(cached + "/etc"));
  EXPECT_THAT(shaped->removed_packages, ::testing::ElementsAre("dpkg"));  // no apt in essential
  EXPECT_FALSE(fs::exists(d + "/a/usr/bin/dpkg"));
  EXPECT_TRUE(fs::exists(d + "/a/usr/bin/kmod"));
  EXPECT_TRUE(fs::is_symlink(d + "/a/lib"));
  EXPECT_TRUE(fs::exists(d + "/a/usr/etc/passwd"));
  const PackageInfo* kmod = nullptr;
  for (const auto& p : shaped->packages) {
    if (p.name == "kmod") kmod = &p;
  }
  ASSERT_NE(kmod, nullptr);
  EXPECT_EQ(kmod->version, "30+20221128-1");
  // The .deb's SHA-256 as sha256sum computes it.
  auto sum = hull::Run(Command{.argv = {"sha256sum", o.cache_dir + "/debs/" + kmod->deb_file}});
  ASSERT_OK(sum);
  EXPECT_EQ(kmod->deb_sha256, sum->out.substr(0, 64));
  // grep '^License:' usr/share/doc/kmod/copyright | sort -u: GPL-2+, LGPL-2.1+
  EXPECT_THAT(kmod->licenses, ::testing::ElementsAre("GPL-2+", "LGPL-2.1+"));
  EXPECT_EQ(kmod->license_spdx, "GPL-2.0-or-later AND LGPL-2.1-or-later");

  // Pack twice with labels from a file_contexts; the images are identical.
  const std::string fc = d + "/file_contexts";
  ASSERT_OK(WriteFileAtomic(
      fc, UsrImageFileContexts("/usr(/.*)?\tsystem_u:object_r:usr_t:s0\n"
                               "/usr/bin/kmod\t--\tsystem_u:object_r:insmod_exec_t:s0\n"
                               "/etc(/.*)?\tsystem_u:object_r:etc_t:s0\n")));
  ErofsOptions eo{.source_dir = d + "/a/usr",
                  .output = d + "/usr1.erofs",
                  .timestamp = kEpoch,
                  .uuid = UsrFilesystemUuid("HullTest", "202611.25.0"),
                  .file_contexts = fc};
  ASSERT_OK(PackErofs(eo));
  eo.output = d + "/usr2.erofs";
  ASSERT_OK(PackErofs(eo));
  auto a = ReadFileBytes(d + "/usr1.erofs"), b = ReadFileBytes(d + "/usr2.erofs");
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(*a, *b);
  std::string img(a->begin(), a->end());
  EXPECT_THAT(img, HasSubstr("system_u:object_r:insmod_exec_t:s0"));
  EXPECT_THAT(img, HasSubstr("system_u:object_r:etc_t:s0"));
  auto fsck = hull::Run(Command{.argv = {"fsck.erofs", "--extract", d + "/usr1.erofs"}});
  EXPECT_OK(fsck);
  auto dump = hull::Run(Command{.argv = {"dump.erofs", "-s", d + "/usr1.erofs"}});
  ASSERT_OK(dump);
  EXPECT_THAT(dump->out, HasSubstr(eo.uuid.ToString()));
  auto os = hull::Run(Command{.argv = {"dump.erofs", "--path=/lib/os-release", d + "/usr1.erofs"}});
  ASSERT_OK(os);
  // lz4hc: smaller, still valid.
  eo.output = d + "/usr-lz4hc.erofs";
  eo.lz4hc = true;
  ASSERT_OK(PackErofs(eo));
  EXPECT_LT(fs::file_size(eo.output), a->size());
  EXPECT_OK(hull::Run(Command{.argv = {"fsck.erofs", "--extract", eo.output}}));

  auto sbom =
      BuildSpdx({.image_name = "HullTest", .image_version = "202611.25.0", .created = kEpoch},
                shaped->packages);
  EXPECT_EQ(sbom["packages"].size(), shaped->packages.size() + 1);

  // The guard: a write into a linked file (the cache's inode) is caught by
  // its moved mtime, named, and the poisoned cache entry removed.
  auto b_stamps = StampLinkedTree(d + "/b", cached);
  ASSERT_OK(b_stamps);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the clock tick
  {
    auto f = File::OpenReadWrite(d + "/b/usr/bin/kmod");
    ASSERT_OK(f);
    ASSERT_OK(f->WriteAt(0, AsBytes("\x7f")));  // same byte, new mtime
  }
  auto caught = CheckCacheUntouched(d + "/b", *b_stamps);
  ASSERT_ERROR(caught, ErrorCode::kCorrupt);
  EXPECT_THAT(caught.error().ToString(), HasSubstr(d + "/b/usr/bin/kmod' was written in place"));
  EXPECT_FALSE(fs::exists(cached));
}

}  // namespace
}  // namespace hull::rootfs

// Pure parts of the rootfs stages: argv builders, cache keys, dpkg/DEP-5
// parsing, module selection, file_contexts rewriting, SBOM shape, and Shape
// on a small hand-made tree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "base/subprocess.h"
#include "rootfs/arch_check.h"
#include "rootfs/compose.h"
#include "rootfs/erofs.h"
#include "rootfs/modules.h"
#include "rootfs/packages.h"
#include "rootfs/sbom.h"
#include "rootfs/selinux.h"
#include "rootfs/shape.h"
#include "support/status_matchers.h"

namespace hull::rootfs {
namespace {
namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Compose, MmdebstrapArgv) {
  ComposeOptions o;
  o.variant = "essential";
  o.packages = {"runc", "kmod", "runc"};
  o.components = {"main", "contrib"};
  const auto d = ComposeDiversions();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_THAT(
      BuildMmdebstrapArgv(o, "/c/tree", "/c/debs"),
      ElementsAre(
          "mmdebstrap", "--mode=unshare", "--variant=essential", "--architectures=amd64",
          "--components=main,contrib", "--keyring=/usr/share/keyrings/debian-archive-keyring.gpg",
          "--format=directory", "--setup-hook=" + PathFilterSetupHook(),
          "--extract-hook=" + PathFilterPruneHook(),
          "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
          R"(--setup-hook=mkdir -p "$1"/etc/apt/preferences.d && printf )"
          R"('Package: usrmerge\nPin: release *\nPin-Priority: -1\n' > )"
          R"("$1"/etc/apt/preferences.d/hull-no-usrmerge)",
          R"(--customize-hook=rm "$1"/etc/apt/preferences.d/hull-no-usrmerge)",
          "--customize-hook=" + PolicyModuleHook(), "--essential-hook=" + DivertHook(d[0]),
          "--customize-hook=" + RestoreHook(d[0]), "--essential-hook=" + DivertHook(d[1]),
          "--customize-hook=" + RestoreHook(d[1]), "--include=kmod,runc", "--skip=essential/unlink",
          R"(--setup-hook=mkdir -p "$1"/var/cache/apt/archives && )"
          R"(if ls /c/debs | grep -q '\.deb$'; then cp -n --link /c/debs/*.deb )"
          R"("$1"/var/cache/apt/archives/ 2>/dev/null || cp -n /c/debs/*.deb )"
          R"("$1"/var/cache/apt/archives/; fi)",
          R"(--customize-hook=if ls "$1"/var/cache/apt/archives | grep -q '\.deb$'; then )"
          R"(cp -n --link "$1"/var/cache/apt/archives/*.deb /c/debs/ 2>/dev/null || )"
          R"(cp -n "$1"/var/cache/apt/archives/*.deb /c/debs/; fi)",
          "bookworm", "/c/tree", "http://deb.debian.org/debian"));
  // A cache path with a space is quoted for mmdebstrap's hook shell.
  auto argv = BuildMmdebstrapArgv(o, "/tree", "/my cache/debs");
  EXPECT_THAT(argv[19], HasSubstr("cp -n --link '/my cache/debs'/*.deb "));
  // No cache: no hooks; eatmydata: its hook directory.
  auto bare = BuildMmdebstrapArgv(ComposeOptions{}, "/tree", "", true);
  ASSERT_EQ(bare.size(), 21u);
  EXPECT_EQ(bare[17], "--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata");
  EXPECT_THAT(std::vector<std::string>(bare.end() - 3, bare.end()),
              ElementsAre("bookworm", "/tree", "http://deb.debian.org/debian"));
}

TEST(MmdebstrapHooks, TextsAreShellCommands) {
  // The filter file carries the filters verbatim, one per line.
  EXPECT_EQ(PathFilterSetupHook(),
            R"(mkdir -p "$1"/etc/dpkg/dpkg.cfg.d && printf '%s\n' )"
            R"('path-exclude=/usr/share/doc/*/*' 'path-include=/usr/share/doc/*/copyright' )"
            R"('path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' )"
            R"('path-exclude=/usr/share/locale/*' path-include=/usr/share/locale/locale.alias )"
            R"('path-exclude=/usr/share/lintian/*' > "$1"/etc/dpkg/dpkg.cfg.d/hull-path-filters)");
  // The prune walks only below the patterns' common directory.
  EXPECT_THAT(PathFilterPruneHook(),
              ::testing::StartsWith(R"(cd "$1" && if [ -d ./usr/share ]; then find ./usr/share )"));
  // A diversion's stand-in is written whole, quotes and all.
  ProgramDiversion p{"/usr/sbin/x y", "#!/bin/sh\necho 'it'\n"};
  EXPECT_EQ(DivertHook(p),
            R"(chroot "$1" dpkg-divert --quiet --local --rename --divert '/usr/sbin/x y.hull' )"
            R"(--add '/usr/sbin/x y' && printf %s '#!/bin/sh)"
            "\n"
            R"(echo '\''it'\'')"
            "\n"
            R"(' > "$1"'/usr/sbin/x y' && chmod 755 "$1"'/usr/sbin/x y')");
  EXPECT_EQ(RestoreHook(p),
            R"(rm "$1"'/usr/sbin/x y' && chroot "$1" dpkg-divert --quiet --local --rename )"
            R"(--remove '/usr/sbin/x y')");
}

TEST(MmdebstrapHooks, PolicyModuleHookInstallsTheModuleOfTheSourceTree) {
  // The embedded text is src/rootfs/policy/hull.cil as committed.
  const char* src = std::getenv("HULL_SOURCE_DIR");  // set by ctest
  ASSERT_NE(src, nullptr);
  auto file = ReadFileText(std::string(src) + "/src/rootfs/policy/hull.cil", 1 << 20);
  ASSERT_OK(file);
  EXPECT_EQ(HullPolicyModule(), *file);
  // Run as mmdebstrap runs a hook ("$1" the tree), with a chroot on PATH
  // that records its arguments and the module file it is given.
  auto t = TempDir::Create("hull-policy-hook");
  ASSERT_OK(t);
  const std::string tree = t->path() + "/tree", bin = t->path() + "/bin";
  for (const char* d : {"/tree/etc/selinux/default", "/tree/usr/sbin", "/tree/tmp", "/bin"})
    fs::create_directories(t->path() + d);
  ASSERT_OK(WriteFileAtomic(tree + "/usr/sbin/semodule", "#!/bin/sh\n"));
  fs::permissions(tree + "/usr/sbin/semodule", fs::perms(0755));
  ASSERT_OK(WriteFileAtomic(bin + "/chroot",
                            "#!/bin/sh\necho \"$*\" > \"$1\"/../args\n"
                            "cp \"$1\"/tmp/hull.cil \"$1\"/../given.cil\n"));
  fs::permissions(bin + "/chroot", fs::perms(0755));
  const std::string path = bin + ":" + std::getenv("PATH");
  auto run = [&] {
    return hull::Run(
        Command{.argv = {"sh", "-c", PolicyModuleHook(), "sh", tree}, .env = {"PATH=" + path}});
  };
  ASSERT_OK(run());
  auto args = ReadFileText(t->path() + "/args", 4096);
  ASSERT_OK(args);
  EXPECT_EQ(*args, tree + " /usr/sbin/semodule -n -i /tmp/hull.cil\n");
  auto given = ReadFileText(t->path() + "/given.cil", 1 << 20);
  ASSERT_OK(given);
  EXPECT_EQ(*given, *file);
  EXPECT_FALSE(fs::exists(tree + "/tmp/hull.cil"));
  // A tree without the policy (SELinux not installed) is left alone.
  fs::remove(t->path() + "/args");
  fs::remove_all(tree + "/etc/selinux");
  ASSERT_OK(run());
  EXPECT_FALSE(fs::exists(t->path() + "/args"));
  // Hooks of one kind run in order: the module is installed while semodule
  // is still the stand-in that keeps the store uncompressed.
  auto argv = BuildMmdebstrapArgv(ComposeOptions{}, "/tree", "");
  auto module = std::find(argv.begin(), argv.end(), "--customize-hook=" + PolicyModuleHook());
  auto restore = std::find(argv.begin(), argv.end(),
                           "--customize-hook=" + RestoreHook(ComposeDiversions()[1]));
  ASSERT_NE(module, argv.end());
  EXPECT_LT(module, restore);
}

TEST(Compose, InReleaseUrl) {
  ComposeOptions o;
  o.mirror = "http://deb.debian.org/debian/";
  EXPECT_EQ(InReleaseUrl(o), "http://deb.debian.org/debian/dists/bookworm/InRelease");
}

TEST(Compose, CacheKeyIgnoresPackageOrderButNotContent) {
  ComposeOptions a, b;
  a.packages = {"runc", "kmod"};
  b.packages = {"kmod", "runc", "kmod"};
  EXPECT_EQ(CacheKey(a, "r1"), CacheKey(b, "r1"));
  EXPECT_EQ(CacheKey(a, "r1").size(), 64u);
  EXPECT_NE(CacheKey(a, "r1"), CacheKey(a, "r2"));  // a new Release
  b.packages.push_back("bash");
  EXPECT_NE(CacheKey(a, "r1"), CacheKey(b, "r1"));
  b = a;
  b.suite = "trixie";
  EXPECT_NE(CacheKey(a, "r1"), CacheKey(b, "r1"));
  b = a;
  b.variant = "essential";
  EXPECT_NE(CacheKey(a, "r1"), CacheKey(b, "r1"));
}

// The stanza layout of dpkg's status file (dpkg-query(1), deb-control(5)).
constexpr char kStatus[] = R"(Package: bsdutils
Essential: yes
Status: install ok installed
Priority: required
Installed-Size: 334
Architecture: amd64
Multi-Arch: foreign
Source: util-linux (2.38.1-5)
Version: 1:2.38.1-5+deb12u3
Description: basic utilities from 4.4BSD-Lite
 This package contains the bare minimum of BSD utilities.

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: base-files
Status: install ok installed
Installed-Size: 340
Architecture: amd64
Version: 12.4+deb12u15
)";

TEST(Packages, ParsesInstalledPackagesSorted) {
  auto r = ParseDpkgStatus(kStatus);
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 2u);
  const auto& b = (*r)[0];
  EXPECT_EQ(b.name, "base-files");
  EXPECT_EQ(b.source, "base-files");
  EXPECT_EQ(b.source_version, "12.4+deb12u15");
  const auto& u = (*r)[1];
  EXPECT_EQ(u.name, "bsdutils");
  EXPECT_EQ(u.version, "1:2.38.1-5+deb12u3");
  EXPECT_EQ(u.arch, "amd64");
  EXPECT_EQ(u.source, "util-linux");
  EXPECT_EQ(u.source_version, "2.38.1-5");
  EXPECT_EQ(u.installed_kib, 334u);
  // apt's pool name for this package, as found in /var/cache/apt/archives.
  EXPECT_EQ(DebFileName(u), "bsdutils_1%3a2.38.1-5+deb12u3_amd64.deb");
}

TEST(Packages, MissingVersionIsCorrupt) {
  auto r = ParseDpkgStatus("Package: x\nStatus: install ok installed\nArchitecture: all\n");
  ASSERT_ERROR(r, ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().message(), "dpkg status: package 'x' lacks Version or Architecture");
}

TEST(Packages, Dep5LicensesAndSpdx) {
  constexpr char kCopyright[] =
      "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
      "Upstream-Name: example\n\n"
      "Files: *\nCopyright: 2020 A\nLicense: GPL-2+\n\n"
      "Files: lib/*\nCopyright: 2020 B\nLicense: LGPL-2.1+ or BSD-3-clause\n\n"
      "Files: debian/*\nLicense: GPL-2+\n\n"
      "License: GPL-2+\n This program is free software...\n\n"
      "License: Sleepycat\n text\n";
  auto names = Dep5Licenses(kCopyright);
  EXPECT_THAT(names, ElementsAre("GPL-2+", "LGPL-2.1+ or BSD-3-clause", "Sleepycat"));
  EXPECT_EQ(SpdxExpression(names),
            "(LGPL-2.1-or-later OR BSD-3-Clause) AND GPL-2.0-or-later AND LicenseRef-Sleepycat");
  EXPECT_TRUE(Dep5Licenses("This is free software, see GPL.\n").empty());
  EXPECT_EQ(SpdxExpression({}), "NOASSERTION");
}

TEST(Modules, NamesAndPatterns) {
  EXPECT_EQ(ModuleName("kernel/drivers/net/virtio_net.ko"), "virtio_net");
  EXPECT_EQ(ModuleName("kernel/arch/x86/crypto/sha256-ssse3.ko.xz"), "sha256-ssse3");
  std::vector<std::string> pats = {"virtio*", "sha256_ssse3", "kernel/net/bridge/*", "dm-verity"};
  EXPECT_TRUE(ModuleMatches("kernel/drivers/net/virtio_net.ko", pats));
  EXPECT_TRUE(ModuleMatches("kernel/arch/x86/crypto/sha256-ssse3.ko", pats));   // - == _
  EXPECT_TRUE(ModuleMatches("kernel/net/bridge/netfilter/ebtables.ko", pats));  // * crosses /
  EXPECT_TRUE(ModuleMatches("kernel/drivers/md/dm-verity.ko", pats));
  EXPECT_FALSE(ModuleMatches("kernel/drivers/net/e1000e/e1000e.ko", pats));
  EXPECT_FALSE(ModuleMatches("kernel/drivers/md/dm-crypt.ko", pats));
}

TEST(Modules, KeepsDependenciesOfKeptModules) {
  auto deps = ParseModulesDep(
      "kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko kernel/net/802/stp.ko "
      "kernel/net/llc/llc.ko\n"
      "kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko\n"
      "kernel/net/802/stp.ko: kernel/net/llc/llc.ko\n"
      "kernel/net/llc/llc.ko:\n"
      "kernel/drivers/net/dummy.ko:\n");
  ASSERT_OK(deps);
  EXPECT_EQ(deps->size(), 5u);
  auto keep = ModulesToKeep(*deps, {"br_netfilter"});
  EXPECT_EQ(keep, (std::set<std::string>{"kernel/net/bridge/br_netfilter.ko",
                                         "kernel/net/bridge/bridge.ko", "kernel/net/802/stp.ko",
                                         "kernel/net/llc/llc.ko"}));
  auto bad = ParseModulesDep("no colon here\n");
  ASSERT_ERROR(bad, ErrorCode::kCorrupt);
  EXPECT_EQ(bad.error().message(), "modules.dep: line without ':': 'no colon here'");
}

TEST(Selinux, FileContextsForTheUsrImage) {
  // Lines in the format of refpolicy's file_contexts (selinux-policy-default).
  constexpr char kPolicy[] =
      "/.*\tsystem_u:object_r:default_t:s0\n"
      "/usr(/.*)?\tsystem_u:object_r:usr_t:s0\n"
      "/usr\t-d\tsystem_u:object_r:usr_t:s0\n"
      "/usr/bin/bash\t--\tsystem_u:object_r:shell_exec_t:s0\n"
      "/usrx/foo\tsystem_u:object_r:default_t:s0\n"
      "# comment\n"
      "/etc(/.*)?\tsystem_u:object_r:etc_t:s0\n"
      "/etc/shadow.*\t--\tsystem_u:object_r:shadow_t:s0\n"
      "/var/log(/.*)?\tsystem_u:object_r:var_log_t:s0\n"
      "/bin/bash\t--\tsystem_u:object_r:shell_exec_t:s0\n";
  EXPECT_EQ(UsrImageFileContexts(kPolicy),
            "# Generated by hull from the policy's file_contexts for the /usr erofs image:\n"
            "# /usr specs without their prefix, then the factory /etc (at /usr/etc).\n"
            "/\tsystem_u:object_r:usr_t:s0\n"
            "/.*\tsystem_u:object_r:usr_t:s0\n"
            "/\t-d\tsystem_u:object_r:usr_t:s0\n"
            "/bin/bash\t--\tsystem_u:object_r:shell_exec_t:s0\n"
            "/etc(/.*)?\tsystem_u:object_r:etc_t:s0\n"
            "/etc/shadow.*\t--\tsystem_u:object_r:shadow_t:s0\n");
}

TEST(Erofs, ArgvAndDerivedUuid) {
  ErofsOptions o;
  o.source_dir = "/t/usr";
  o.timestamp = 1764028800;
  o.uuid = UsrFilesystemUuid("HullImmutable", "202611.25.0");
  o.file_contexts = "/t/fc";
  o.lz4hc = true;
  EXPECT_THAT(BuildMkfsErofsArgv(o, "/o.img"),
              ElementsAre("mkfs.erofs", "--quiet", "-T1764028800", "-U" + o.uuid.ToString(),
                          "--all-root", "-zlz4hc", "--file-contexts=/t/fc", "/o.img", "/t/usr"));
  // Independent derivation with coreutils: the first 16 bytes of the SHA-256,
  // then the version (8) and variant bits.
  auto sum = hull::Run(Command{.argv = {"sh", "-c",
                                        "printf 'hull-usr-erofs\\000HullImmutable\\000202611.25.0'"
                                        " | sha256sum | cut -c1-32"}});
  ASSERT_OK(sum);
  std::string hex = sum->out.substr(0, 32);
  std::string uuid = o.uuid.ToString();
  uuid.erase(std::remove(uuid.begin(), uuid.end(), '-'), uuid.end());
  EXPECT_EQ(uuid.substr(0, 12), hex.substr(0, 12));
  EXPECT_EQ(uuid[12], '8');
  EXPECT_EQ(uuid.substr(13, 3), hex.substr(13, 3));
  EXPECT_EQ(uuid.substr(17), hex.substr(17));
  EXPECT_NE(UsrFilesystemUuid("HullImmutable", "202611.25.1").ToString(), o.uuid.ToString());
}

TEST(Sbom, Spdx23RequiredFields) {
  PackageInfo p{.name = "libc6",
                .version = "2.36-9+deb12u4",
                .arch = "amd64",
                .source = "glibc",
                .source_version = "2.36-9+deb12u4",
                .license_spdx = "GPL-2.0-or-later AND LicenseRef-Sleepycat",
                .deb_file = "libc6_2.36-9+deb12u4_amd64.deb",
                .deb_sha256 = std::string(64, 'a')};
  PackageInfo q{.name = "g++-12",
                .version = "1:12.2",
                .arch = "amd64",
                .source = "gcc-12",
                .source_version = "1:12.2",
                .license_spdx = "NOASSERTION"};
  auto doc =
      BuildSpdx({.image_name = "Hull", .image_version = "202611.25.0", .created = 0}, {p, q});
  // SPDX 2.3 clause 6 (document creation information) and 7 (package information):
  // the fields the schema marks required.
  EXPECT_EQ(doc["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(doc["dataLicense"], "CC0-1.0");
  EXPECT_EQ(doc["SPDXID"], "SPDXRef-DOCUMENT");
  EXPECT_EQ(doc["name"], "Hull-202611.25.0");
  EXPECT_THAT(doc["documentNamespace"].get<std::string>(),
              HasSubstr("https://spdx.hull.invalid/Hull-202611.25.0-"));
  EXPECT_EQ(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(doc["creationInfo"]["creators"][0], "Tool: hull-0.1.0");
  ASSERT_EQ(doc["packages"].size(), 3u);
  std::set<std::string> ids;
  for (const auto& pkg : doc["packages"]) {
    for (const char* f : {"SPDXID", "name", "downloadLocation"}) EXPECT_TRUE(pkg.contains(f)) << f;
    std::string id = pkg["SPDXID"];
    EXPECT_TRUE(ids.insert(id).second) << id;
    EXPECT_EQ(
        id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"),
        std::string::npos)
        << id;
  }
  const auto& libc = doc["packages"][1];
  EXPECT_EQ(libc["SPDXID"], "SPDXRef-Package-deb-libc6-amd64");
  EXPECT_EQ(libc["checksums"][0]["algorithm"], "SHA256");
  EXPECT_EQ(libc["externalRefs"][0]["referenceLocator"],
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=bookworm");
  EXPECT_EQ(doc["packages"][2]["SPDXID"], "SPDXRef-Package-deb-g---12-amd64");
  EXPECT_FALSE(doc["packages"][2].contains("checksums"));
  // Every LicenseRef used is defined.
  ASSERT_EQ(doc["hasExtractedLicensingInfos"].size(), 1u);
  EXPECT_EQ(doc["hasExtractedLicensingInfos"][0]["licenseId"], "LicenseRef-Sleepycat");
  ASSERT_EQ(doc["relationships"].size(), 3u);
  EXPECT_EQ(doc["relationships"][0]["relationshipType"], "DESCRIBES");
  EXPECT_EQ(doc["relationships"][2]["relatedSpdxElement"], "SPDXRef-Package-deb-g---12-amd64");
  // Deterministic.
  EXPECT_EQ(doc.dump(),
            BuildSpdx({.image_name = "Hull", .image_version = "202611.25.0", .created = 0}, {p, q})
                .dump());
}

// The checksum part of an InRelease as Debian's mirror writes it.
constexpr const char* kInRelease =
    "Origin: Debian\nSuite: stable\nCodename: bookworm\n"
    "Architectures: all amd64 arm64\nComponents: main contrib\nSHA256:\n"
    " 0123 1234 main/binary-amd64/Packages\n"
    " 0123 234 main/binary-amd64/Packages.xz\n"
    " 0123 345 main/binary-arm64/Packages.xz\n"
    " 0123 456 contrib/binary-amd64/Packages.gz\n"
    " 0123 567 contrib/binary-arm64/Packages.diff/Index\n";

TEST(MirrorArch, EveryComponentNeedsAnIndexOfTheArch) {
  ComposeOptions o;
  o.mirror = "http://mirror.example/debian";
  EXPECT_OK(CheckMirrorHasArch(kInRelease, o));  // amd64, main
  o.components = {"main", "contrib"};
  EXPECT_OK(CheckMirrorHasArch(kInRelease, o));
  o.arch = "arm64";
  o.components = {"main"};
  EXPECT_OK(CheckMirrorHasArch(kInRelease, o));  // only Packages.xz: still an index
  // contrib has arm64 diffs only: apt cannot start from them.
  o.components = {"main", "contrib"};
  auto r = CheckMirrorHasArch(kInRelease, o);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message(),
            "architecture 'arm64' is not on the mirror http://mirror.example/debian (bookworm): "
            "its InRelease lists no contrib/binary-arm64/Packages index (it has: all, amd64, "
            "arm64); use a mirror that carries arm64 (distribution.mirror) or another arch");
  o.arch = "riscv64";
  o.components = {"main"};
  r = CheckMirrorHasArch(kInRelease, o);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(),
              HasSubstr("'riscv64' is not on the mirror http://mirror.example/debian (bookworm): "
                        "its InRelease does not name it in Architectures: (it has: all, amd64, "
                        "arm64)"));
}

TEST(ForeignArch, NeedsAnEnabledQemuUserHandler) {
  auto t = TempDir::Create("binfmt-test");
  ASSERT_OK(t);
  const std::string dir = t->path();
  // The host's own architecture needs no handler.
  EXPECT_OK(CheckCanRunArch("amd64", "x86_64", dir));
  EXPECT_OK(CheckCanRunArch("arm64", "aarch64", dir));
  auto r = CheckCanRunArch("arm64", "x86_64", dir);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message(),
            "architecture 'arm64' is foreign to this amd64 host and its maintainer scripts run "
            "under qemu-user, but no handler is registered at " +
                dir +
                "/qemu-aarch64: run "
                "`sudo scripts/binfmt.sh arm64` (needs qemu-user-static)");
  // binfmt_misc's status file of a handler: "enabled" or "disabled" first.
  ASSERT_OK(WriteFileAtomic(dir + "/qemu-aarch64",
                            std::string_view("disabled\ninterpreter /usr/libexec/qemu-binfmt/"
                                             "aarch64-binfmt-P\nflags: POF\n")));
  r = CheckCanRunArch("arm64", "x86_64", dir);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("but " + dir + "/qemu-aarch64 is disabled: run"));
  ASSERT_OK(WriteFileAtomic(dir + "/qemu-aarch64",
                            std::string_view("enabled\ninterpreter /usr/libexec/qemu-binfmt/"
                                             "aarch64-binfmt-P\nflags: POF\n")));
  EXPECT_OK(CheckCanRunArch("arm64", "x86_64", dir));
  // The other way round: an arm64 host composing amd64.
  r = CheckCanRunArch("amd64", "aarch64", dir);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("'amd64' is foreign to this arm64 host"));
  ASSERT_ERROR(CheckCanRunArch("riscv64", "x86_64", dir), ErrorCode::kInvalidArgument);
}

// A hand-made merged-/usr tree with a dpkg database.
class ShapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("shape-test");
    ASSERT_OK(t);
    dir_.emplace(std::move(*t));
    root_ = dir_->path() + "/tree";
    for (const char* d : {"usr/bin", "usr/lib", "usr/sbin", "usr/share/doc/foo", "etc/selinux",
                          "var/lib/dpkg/info", "var/cache/apt", "home/user", "srv/www", "tmp"}) {
      fs::create_directories(root_ + "/" + d);
    }
    for (const char* d : {"bin", "sbin", "lib"})
      fs::create_symlink(std::string("usr/") + d, root_ + "/" + d);
    Write("var/lib/dpkg/status",
          "Package: foo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\n"
          "Package: apt\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.6.1\n\n"
          "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21\n");
    // dpkg lists /lib (a link to a directory on merged /usr): it must stay.
    Write("var/lib/dpkg/info/apt.list",
          "/.\n/lib\n/usr\n/usr/bin\n/usr/bin/apt\n/usr/bin/apt-get\n");
    Write("var/lib/dpkg/info/dpkg.list", "/usr/bin/dpkg\n/etc/dpkg-link\n");
    Write("usr/bin/apt", "x");
    Write("usr/bin/apt-get", "x");
    Write("usr/bin/dpkg", "x");
    Write("usr/bin/foo", "foo binary");
    fs::create_symlink("/usr/bin/dpkg", root_ + "/etc/dpkg-link");
    Write("usr/share/doc/foo/copyright",
          "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
          "Files: *\nLicense: Expat\n");
    Write("usr/lib/os-release", "ID=debian\n");
    fs::create_symlink("../usr/lib/os-release", root_ + "/etc/os-release");
    Write("etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    Write("etc/hostname", "debian\n");
    Write("var/cache/apt/pkgcache.bin", "cache");
    Write("home/user/.profile", "x");
    Write("srv/www/index.html", "x");
  }
  void Write(const std::string& rel, const std::string& text) {
    ASSERT_OK(WriteFileAtomic(root_ + "/" + rel, std::string_view(text))) << rel;
  }
  std::optional<TempDir> dir_;
  std::string root_;
};

TEST_F(ShapeTest, ShapesForImmutability) {
  Write("../motd", "hello\n");
  ShapeOptions o{.image_id = "HullImmutable",
                 .image_version = "202611.25.0",
                 .sysext_level = "12",
                 .insecure_dev_keys = true,
                 .selinux_mode = "permissive",
                 .files = {{dir_->path() + "/motd", "/etc/motd"}},
                 .users = {{"core", {"ssh-ed25519 AAAA core"}}}};
  auto r = Shape(root_, o);
  ASSERT_OK(r);
  ASSERT_EQ(r->packages.size(), 1u);
  EXPECT_EQ(r->packages[0].name, "foo");
  EXPECT_THAT(r->packages[0].licenses, ElementsAre("Expat"));
  EXPECT_EQ(r->packages[0].license_spdx, "MIT");
  EXPECT_THAT(r->removed_packages, ElementsAre("apt", "dpkg"));
  EXPECT_FALSE(fs::exists(root_ + "/usr/bin/apt"));
  EXPECT_FALSE(fs::exists(root_ + "/usr/bin/apt-get"));
  EXPECT_FALSE(fs::exists(root_ + "/usr/bin/dpkg"));
  EXPECT_TRUE(fs::exists(root_ + "/usr/bin/foo"));
  EXPECT_TRUE(fs::is_directory(root_ + "/usr/bin"));  // directories listed by dpkg stay
  EXPECT_TRUE(fs::is_symlink(root_ + "/lib"));
  // The factory /etc moved; /etc is empty for the overlay.
  EXPECT_TRUE(fs::is_directory(root_ + "/etc"));
  EXPECT_TRUE(fs::is_empty(root_ + "/etc"));
  EXPECT_EQ(*ReadFileText(root_ + "/usr/etc/hostname"), "debian\n");
  EXPECT_EQ(*ReadFileText(root_ + "/usr/etc/motd"), "hello\n");
  EXPECT_EQ(*ReadFileText(root_ + "/usr/lib/sysusers.d/hull-users.conf"), SysusersText(o.users));
  EXPECT_EQ(*ReadFileText(root_ + "/usr/lib/tmpfiles.d/hull-users.conf"), TmpfilesText(o.users));
  EXPECT_EQ(*ReadFileText(root_ + "/usr/etc/machine-id"), "");
  EXPECT_EQ(*ReadFileText(root_ + "/usr/etc/selinux/config"),
            "# Written by hull from the image spec.\nSELINUX=permissive\nSELINUXTYPE=default\n");
  EXPECT_EQ(fs::read_symlink(root_ + "/usr/etc/os-release"), "../usr/lib/os-release");
  EXPECT_FALSE(fs::is_symlink(root_ + "/usr/etc/dpkg-link"));  // dpkg's file, removed
  EXPECT_EQ(*ReadFileText(root_ + "/usr/lib/os-release"),
            "NAME=\"Hull\"\nID=hull\nID_LIKE=debian\n"
            "PRETTY_NAME=\"Hull HullImmutable 202611.25.0\"\n"
            "IMAGE_ID=hullimmutable\nIMAGE_VERSION=202611.25.0\nVARIANT_ID=immutable\n"
            "HOME_URL=\"https://github.com/hull-os/hull\"\n"
            "VERSION_ID=202611.25.0\nSYSEXT_LEVEL=12\n"
            "# Signed with insecure development keys: not for production.\n"
            "HULL_INSECURE_DEV_KEYS=1\n");
  for (const char* d : {"var", "home", "srv", "tmp"}) {
    EXPECT_TRUE(fs::is_directory(root_ + "/" + d)) << d;
    EXPECT_TRUE(fs::is_empty(root_ + "/" + d)) << d;
  }
  EXPECT_GT(r->usr_bytes_after, 0u);
  ASSERT_FALSE(r->largest.empty());
  // Shaping twice is refused rather than nesting /usr/etc.
  auto again = Shape(root_, o);
  ASSERT_FALSE(again.ok());
}

// libapt-pkg6.0 is Multi-Arch: same, so dpkg lists its files in
// libapt-pkg6.0:<arch>.list: an arm64 tree's is removed by its arm64 list, and
// a list of another architecture names no file of this tree.
TEST_F(ShapeTest, PackageManagerListsOfTheTreesArchitecture) {
  Write("var/lib/dpkg/status",
        "Package: foo\nStatus: install ok installed\nArchitecture: arm64\nVersion: 1.0-1\n\n"
        "Package: libapt-pkg6.0\nStatus: install ok installed\nArchitecture: arm64\n"
        "Multi-Arch: same\nVersion: 2.6.1\n");
  fs::remove(root_ + "/var/lib/dpkg/info/apt.list");
  fs::remove(root_ + "/var/lib/dpkg/info/dpkg.list");
  Write("usr/lib/libapt-pkg.so.6.0", "arm64 library");
  Write("var/lib/dpkg/info/libapt-pkg6.0:arm64.list", "/usr/lib/libapt-pkg.so.6.0\n");
  Write("var/lib/dpkg/info/libapt-pkg6.0:amd64.list", "/usr/bin/foo\n");
  EXPECT_EQ(DpkgListPath(root_, "libapt-pkg6.0", "arm64"),
            root_ + "/var/lib/dpkg/info/libapt-pkg6.0:arm64.list");
  EXPECT_EQ(DpkgListPath(root_, "libapt-pkg6.0", "amd64"),
            root_ + "/var/lib/dpkg/info/libapt-pkg6.0:amd64.list");
  EXPECT_EQ(DpkgListPath(root_, "libapt-pkg6.0", "riscv64"), "");
  EXPECT_EQ(DpkgListPath(root_, "apt", "arm64"), "");  // not installed
  auto r = Shape(
      root_,
      ShapeOptions{.image_id = "HullImmutable", .image_version = "202611.25.0", .arch = "arm64"});
  ASSERT_OK(r);
  EXPECT_THAT(r->removed_packages, ElementsAre("libapt-pkg6.0"));
  EXPECT_FALSE(fs::exists(root_ + "/usr/lib/libapt-pkg.so.6.0"));
  EXPECT_TRUE(fs::exists(root_ + "/usr/bin/foo"));  // named by the amd64 list only
  ASSERT_EQ(r->packages.size(), 1u);
  EXPECT_EQ(r->packages[0].name, "foo");
}

TEST(Users, SysusersAndTmpfilesLines) {
  std::vector<LoginUser> users = {{"core", {"ssh-ed25519 AAAA a%b\\c"}}, {"ops", {}}};
  EXPECT_EQ(SysusersText(users),
            "# Written by hull from the image spec's users.\n"
            "u core - \"core\" /home/core /bin/bash\n"
            "u ops - \"ops\" /home/ops /bin/bash\n");
  EXPECT_EQ(TmpfilesText(users),
            "# Written by hull from the image spec's users.\n"
            "d /home/core 0700 core core -\n"
            "d /home/core/.ssh 0700 core core -\n"
            "f+ /home/core/.ssh/authorized_keys 0600 core core - ssh-ed25519 AAAA a%%b\\\\c\\n\n"
            "d /home/ops 0700 ops ops -\n");
}

TEST_F(ShapeTest, SplitUsrTreeIsRefused) {
  fs::remove(root_ + "/sbin");
  fs::create_directory(root_ + "/sbin");
  auto r = Shape(root_, ShapeOptions{.image_id = "x", .image_version = "202611.25.0"});
  ASSERT_ERROR(r, ErrorCode::kUnsupported);
  EXPECT_EQ(r.error().message(),
            "tree '" + root_ + "' is not merged-/usr: /sbin is not a link to usr/sbin");
}

TEST_F(ShapeTest, TreeFilesResolveSymlinksInsideTheTree) {
  // An absolute link in the tree must resolve against the tree, not the host.
  fs::create_directories(root_ + "/usr/share/doc/bar");
  fs::create_symlink("/usr/share/doc/foo/copyright", root_ + "/usr/share/doc/bar/copyright");
  auto r = ReadTreeFile(root_, "usr/share/doc/bar/copyright", 1 << 20);
  ASSERT_OK(r);
  EXPECT_THAT(*r, HasSubstr("License: Expat"));
  fs::create_symlink("/etc/shadow-not-in-tree", root_ + "/usr/share/doc/bar/evil");
  auto evil = ReadTreeFile(root_, "usr/share/doc/bar/evil", 1 << 20);
  ASSERT_ERROR(evil, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hull::rootfs

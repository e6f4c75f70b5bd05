// The sysext spec, the extension-release text and the /usr rule: pure
// functions, plus the tree side (tree.h) on small synthetic trees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "support/status_matchers.h"
#include "sysext/build.h"
#include "sysext/spec.h"
#include "sysext/tree.h"
#include "sysext/usr_rule.h"

namespace hull::sysext {
namespace {
namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSpec[] = R"(name: cni
version: 1.1.1-2
arch: amd64
compatibility:
  id: hull
  sysext_level: "12"
packages: [containernetworking-plugins, kubernetes-client]
files: [kubelet/, /srv/k.tar.gz]
)";

TEST(SysextSpec, Parses) {
  ASSERT_OK_AND_ASSIGN(auto s, ParseSysextSpec(kSpec, "cni.yaml"));
  EXPECT_EQ(s.name, "cni");
  EXPECT_EQ(s.version, "1.1.1-2");
  EXPECT_EQ(s.arch, "amd64");
  EXPECT_EQ(s.compatibility.id, "hull");
  EXPECT_EQ(s.compatibility.kind, Compatibility::Kind::kSysextLevel);
  EXPECT_EQ(s.compatibility.value, "12");
  EXPECT_THAT(s.packages, ElementsAre("containernetworking-plugins", "kubernetes-client"));
  EXPECT_THAT(s.files, ElementsAre("kubelet/", "/srv/k.tar.gz"));
  EXPECT_EQ(ImageBaseName(s), "cni_1.1.1-2_amd64");
}

TEST(SysextSpec, RelativeFilesAreResolvedAgainstTheSpecDirectory) {
  ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("sysext-spec"));
  ASSERT_OK(WriteFileAtomic(d.path() + "/cni.yaml", std::string(kSpec)));
  ASSERT_OK_AND_ASSIGN(auto s, LoadSysextSpec(d.path() + "/cni.yaml"));
  EXPECT_THAT(s.files, ElementsAre(d.path() + "/kubelet/", "/srv/k.tar.gz"));
}

struct BadSpec {
  const char* yaml;
  const char* says;
};

TEST(SysextSpec, StrictErrorsNameThePlace) {
  const BadSpec kCases[] = {
      {"name: a\nversion: 1\ncompatibility: {id: hull, sysext_level: '12'}\npackages: [x]\n"
       "pakages: [y]\n",
       "x.yaml:5:1: unknown key 'pakages'"},
      {"name: a_b\nversion: 1\ncompatibility: {id: hull, sysext_level: '12'}\npackages: [x]\n",
       "x.yaml:1:7: name 'a_b' is not allowed"},
      {"name: a\nversion: '1 2'\ncompatibility: {id: hull, sysext_level: '12'}\npackages: [x]\n",
       "version '1 2' is not allowed"},
      {"name: a\nversion: 1\ncompatibility: {id: hull}\npackages: [x]\n",
       "needs exactly one of sysext_level, version_id, image_version"},
      {"name: a\nversion: 1\ncompatibility: {id: hull, sysext_level: '12', version_id: '1'}\n"
       "packages: [x]\n",
       "needs exactly one of"},
      {"name: a\nversion: 1\ncompatibility: {sysext_level: '12'}\npackages: [x]\n", "needs 'id'"},
      {"name: a\nversion: 1\ncompatibility: {id: hull, sysext_level: '12'}\n", "has no content"},
      {"version: 1\ncompatibility: {id: hull, sysext_level: '12'}\npackages: [x]\n",
       "needs 'name'"},
      {"name: a\nversion: 1\narch: i386\ncompatibility: {id: hull, sysext_level: '12'}\n"
       "packages: [x]\n",
       "arch"},
      {"name: a\nversion: 1\ncompatibility: {id: hull, sysext_level: '12'}\npackages: [x]\n"
       "restarts: [kubelet]\n",
       "x.yaml:5:12: bad unit 'kubelet' in 'restarts'"},
      {"name: a\nversion: 1\ncompatibility: {id: hull, sysext_level: '12'}\npackages: [x]\n"
       "restarts: [a.service, b.socket]\n",
       "x.yaml:5:23: bad unit 'b.socket'"},
      {"name: a\nversion: 1\ncompatibility: {id: hull, sysext_level: '12'}\npackages: [x]\n"
       "restarts: [a.service, a.service]\n",
       "x.yaml:5:23: 'restarts' names 'a.service' twice"},
      {"name: a\nversion: 1\ncompatibility: {id: hull, sysext_level: '12'}\npackages: [x]\n"
       "restarts: a.service\n",
       "restarts"},
      {"name: a\nversion: 1\ncompatibility: {id: hull, sysext_level: '12'}\npackages: [x]\n"
       "restarts: [s0.service, s1.service, s2.service, s3.service, s4.service, s5.service,\n"
       "  s6.service, s7.service, s8.service, s9.service, s10.service, s11.service,\n"
       "  s12.service, s13.service, s14.service, s15.service, s16.service]\n",
       "'restarts' names 17 units, at most 16"},
  };
  for (const auto& c : kCases) {
    auto r = ParseSysextSpec(c.yaml, "x.yaml");
    EXPECT_ERROR(r, ErrorCode::kInvalidArgument) << c.yaml;
    if (!r.ok()) {
      EXPECT_THAT(r.error().message(), HasSubstr(c.says)) << c.yaml;
    }
  }
}

// The services to restart on an update without a reboot: read in order,
// written into the manifest (and only when declared, so that other
// manifests are unchanged).
TEST(SysextSpec, RestartsGoIntoTheManifest) {
  ASSERT_OK_AND_ASSIGN(auto s,
                       ParseSysextSpec("name: kubelet\nversion: 1\ncompatibility: {id: hull, "
                                       "sysext_level: '12'}\nfiles: [f]\n"
                                       "restarts: [kubelet.service, 'containerd@x:y.service']\n",
                                       "k.yaml"));
  EXPECT_THAT(s.restarts, ::testing::ElementsAre("kubelet.service", "containerd@x:y.service"));
  EXPECT_EQ(Manifest(s, "ab", "cd", 3, {})["restarts"],
            nlohmann::json({"kubelet.service", "containerd@x:y.service"}));
  s.restarts.clear();
  EXPECT_FALSE(Manifest(s, "ab", "cd", 3, {}).contains("restarts"));
}

// os-release(5) "extension-release" keys; systemd-sysext(8) matches ID, then
// SYSEXT_LEVEL (or, without it, VERSION_ID) and ARCHITECTURE (systemd's
// names: x86-64, arm64).
TEST(ExtensionRelease, Text) {
  ASSERT_OK_AND_ASSIGN(auto s, ParseSysextSpec(kSpec, "cni.yaml"));
  EXPECT_EQ(ExtensionReleaseText(s),
            "ID=hull\nSYSEXT_LEVEL=12\nARCHITECTURE=x86-64\nSYSEXT_ID=cni\n"
            "SYSEXT_VERSION_ID=1.1.1-2\n");
  s.compatibility = {"hull", Compatibility::Kind::kVersionId, "202612.05.0"};
  s.arch = "arm64";
  EXPECT_EQ(ExtensionReleaseText(s),
            "ID=hull\nVERSION_ID=202612.05.0\nARCHITECTURE=arm64\nSYSEXT_ID=cni\n"
            "SYSEXT_VERSION_ID=1.1.1-2\n");
  auto m = Manifest(s, "ab", "cd", 3, {"p"});
  EXPECT_EQ(m["compatibility"]["version_id"], "202612.05.0");
  EXPECT_EQ(m["file"], "cni_1.1.1-2_arm64.raw");
}

// Build() judges the spec against its base first, by the node's rule
// (slot::CheckExtensionCompatibility), before anything is composed: a
// mismatch is the caller's error, naming the key, and nothing is written.
TEST(SysextBuild, SpecMustFitItsBaseByTheNodesRule) {
  auto dir = TempDir::Create("hull-sysext-base");
  ASSERT_OK(dir);
  auto base = spec::DefaultSpec(1700000000, "amd64");
  ASSERT_OK(base);
  ASSERT_EQ(base->distribution.suite, "bookworm");  // SYSEXT_LEVEL=12
  struct Case {
    std::string arch, id;
    Compatibility::Kind kind;
    std::string value, says;
  };
  const std::vector<Case> cases = {
      {"arm64", "hull", Compatibility::Kind::kSysextLevel, "12",
       "built for ARCHITECTURE=arm64, this node has ARCHITECTURE=x86-64"},
      {"amd64", "debian", Compatibility::Kind::kSysextLevel, "12",
       "built for ID=debian, this node has ID=hull"},
      {"amd64", "hull", Compatibility::Kind::kSysextLevel, "13",
       "built for SYSEXT_LEVEL=13, this node has SYSEXT_LEVEL=12"},
      {"arm64", "hull", Compatibility::Kind::kVersionId, "202612.05.0",
       "built for ARCHITECTURE=arm64"},
  };
  for (const auto& c : cases) {
    BuildOptions o;
    o.spec.name = "cni";
    o.spec.version = "1";
    o.spec.arch = c.arch;
    o.spec.compatibility = {.id = c.id, .kind = c.kind, .value = c.value};
    o.base = *base;
    o.out_dir = dir->path() + "/out";
    auto r = Build(o);
    ASSERT_ERROR(r, ErrorCode::kInvalidArgument) << c.says;
    EXPECT_THAT(r.error().ToString(), HasSubstr(c.says));
    EXPECT_THAT(r.error().ToString(), HasSubstr("set the spec's arch and compatibility"));
    EXPECT_FALSE(fs::exists(o.out_dir));
  }
}

TEST(UsrRule, UsrPathOf) {
  EXPECT_EQ(UsrPathOf("/usr/bin/kubectl"), "usr/bin/kubectl");
  EXPECT_EQ(UsrPathOf("usr/lib/cni/bridge"), "usr/lib/cni/bridge");
  EXPECT_EQ(UsrPathOf("/bin/sh"), "usr/bin/sh");
  EXPECT_EQ(UsrPathOf("/sbin/iptables"), "usr/sbin/iptables");
  EXPECT_EQ(UsrPathOf("/lib/systemd/system/cni-dhcp.service"),
            "usr/lib/systemd/system/cni-dhcp.service");
  EXPECT_EQ(UsrPathOf("/lib64/ld-linux-x86-64.so.2"), "usr/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(UsrPathOf("/etc/cni/net.d"), std::nullopt);
  EXPECT_EQ(UsrPathOf("/var/lib/cni"), std::nullopt);
  EXPECT_EQ(UsrPathOf("/usr"), std::nullopt);
  EXPECT_EQ(UsrPathOf("/usr/"), std::nullopt);
  EXPECT_EQ(UsrPathOf("/lib"), std::nullopt);
  EXPECT_EQ(UsrPathOf("/library/x"), std::nullopt);
  EXPECT_EQ(UsrPathOf("/opt/x"), std::nullopt);
}

TEST(UsrRule, BookkeepingAndExpressibleLinks) {
  EXPECT_TRUE(IsBookkeeping("var/lib/dpkg/status"));
  EXPECT_TRUE(IsBookkeeping("var/cache/apt/pkgcache.bin"));
  EXPECT_TRUE(IsBookkeeping("etc/ld.so.cache"));
  EXPECT_TRUE(IsBookkeeping("var/lib/systemd/deb-systemd-helper-enabled/x.service.dsh-also"));
  EXPECT_FALSE(IsBookkeeping("var/lib/dpkgx"));
  EXPECT_FALSE(IsBookkeeping("etc/alternatives/iptables"));
  EXPECT_FALSE(IsBookkeeping("var/lib/cni"));
  EXPECT_EQ(ExpressInUsr("etc/systemd/system/sockets.target.wants/cni-dhcp.socket", true),
            "usr/lib/systemd/system/sockets.target.wants/cni-dhcp.socket");
  EXPECT_EQ(ExpressInUsr("etc/systemd/system/multi-user.target.requires/a.service", true),
            "usr/lib/systemd/system/multi-user.target.requires/a.service");
  EXPECT_EQ(ExpressInUsr("etc/systemd/system/sockets.target.wants/cni-dhcp.socket", false),
            std::nullopt);
  EXPECT_EQ(ExpressInUsr("etc/systemd/system/a.service", true), std::nullopt);
  EXPECT_EQ(ExpressInUsr("etc/systemd/system/x.wants/a/b", true), std::nullopt);
  EXPECT_EQ(ExpressInUsr("etc/alternatives/iptables", true), std::nullopt);
}

Facts SomeFacts() {
  Facts f;
  f.added_packages = {"cni", "kubectl"};
  f.base_owner = {{"usr/sbin/iptables", "iptables"}, {"usr/lib/os-release", "base-files"}};
  f.added_owner = {
      {"usr/lib/cni/bridge", "cni"}, {"etc/cni/x.conf", "cni"}, {"usr/bin/kubectl", "kubectl"}};
  return f;
}

TEST(UsrRule, ShadowDiffersOnlyByItsDatesIsTheSame) {
  // The first lines of etc/shadow of two bookworm composes of one package
  // set, made on consecutive days (mmdebstrap, SOURCE_DATE_EPOCH unset).
  const std::string day1 = "root:*:20792:0:99999:7:::\ndaemon:*:20792:0:99999:7:::\n";
  const std::string day2 = "root:*:20793:0:99999:7:::\ndaemon:*:20793:0:99999:7:::\n";
  EXPECT_TRUE(SameShadowButDates("etc/shadow", day1, day2));
  EXPECT_TRUE(
      SameShadowButDates("etc/shadow-", day1, "root:*:9:0:99999:7:::\ndaemon:*::0:99999:7:::\n"));
  // A user a maintainer script added, another field, a truncated line, or
  // another file: different.
  EXPECT_FALSE(SameShadowButDates("etc/shadow", day1, day2 + "cni:!:20793::::::\n"));
  EXPECT_FALSE(SameShadowButDates("etc/shadow", day1 + "cni:!:20793::::::\n", day2));
  EXPECT_FALSE(SameShadowButDates("etc/shadow", day1,
                                  "root:*:20793:0:99999:7:::\ndaemon:!:20793:0:99999:7:::\n"));
  EXPECT_FALSE(SameShadowButDates("etc/shadow", "root:*\n", "root:*\n"));
  EXPECT_FALSE(SameShadowButDates("etc/passwd", day1, day2));
  EXPECT_FALSE(SameShadowButDates("etc/gshadow", day1, day1));
}

TEST(UsrRule, OverlapWithTheBaseNamesBothPackages) {
  Facts f = SomeFacts();
  EXPECT_OK(CheckOverlap(f));
  f.added_owner.emplace("usr/sbin/iptables", "iptables-legacy");
  auto r = CheckOverlap(f);
  ASSERT_ERROR(r, ErrorCode::kConflict);
  EXPECT_THAT(r.error().message(), HasSubstr("/usr/sbin/iptables"));
  EXPECT_THAT(r.error().message(), HasSubstr("'iptables-legacy' of the extension"));
  EXPECT_THAT(r.error().message(), HasSubstr("'iptables' of the base"));
}

TEST(UsrRule, SelectsAddedUsrPathsAndExpressibleLinks) {
  std::vector<Change> changes = {
      {"etc/systemd/system/sockets.target.wants", true, true, false},
      {"etc/systemd/system/sockets.target.wants/cni-dhcp.socket", true, false, true},
      {"usr/bin", false, true, false},
      {"usr/bin/kubectl", true, false, false},
      {"usr/lib/cni", true, true, false},
      {"usr/lib/cni/bridge", true, false, false},
      {"var/lib/dpkg/status", false, false, false},
  };
  ASSERT_OK_AND_ASSIGN(auto entries, SelectEntries(changes, SomeFacts()));
  std::vector<std::string> to;
  for (const auto& e : entries) to.push_back(e.to);
  EXPECT_THAT(to, ElementsAre("usr/bin/kubectl", "usr/lib/cni", "usr/lib/cni/bridge",
                              "usr/lib/systemd/system/sockets.target.wants/cni-dhcp.socket"));
}

struct Refusal {
  Change change;
  ErrorCode code;
  std::vector<std::string> says;
};

TEST(UsrRule, RefusesWhatIsNotUsrNamingPackageAndPath) {
  const Refusal kCases[] = {
      {{"etc/cni/x.conf", true, false, false},
       ErrorCode::kRefused,
       {"/etc/cni/x.conf is outside /usr", "package 'cni' installs it"}},
      {{"etc/alternatives/kubectl", true, false, true},
       ErrorCode::kRefused,
       {"/etc/alternatives/kubectl", "maintainer scripts of the added packages (cni, kubectl)"}},
      {{"var/lib/cni", true, true, false}, ErrorCode::kRefused, {"/var/lib/cni is outside /usr"}},
      {{"usr/sbin/iptables", false, false, false},
       ErrorCode::kConflict,
       {"/usr/sbin/iptables of the base image (package 'iptables') is changed by the maintainer"}},
  };
  for (const auto& c : kCases) {
    auto r = SelectEntries({c.change}, SomeFacts());
    EXPECT_ERROR(r, c.code) << c.change.path;
    if (r.ok()) continue;
    for (const auto& s : c.says) EXPECT_THAT(r.error().message(), HasSubstr(s)) << c.change.path;
  }
}

// The tree side on synthetic trees: two dpkg databases and their files.
class SysextTree : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("sysext-tree");
    ASSERT_OK(t);
    dir_.emplace(std::move(*t));
    base_ = dir_->path() + "/base";
    ext_ = dir_->path() + "/ext";
    for (const auto& root : {base_, ext_}) {
      Put(root, "var/lib/dpkg/status", Status({"base-files"}));
      Put(root, "var/lib/dpkg/info/base-files.list",
          "/.\n/lib\n/usr\n/usr/lib\n/usr/lib/os-release\n");
      Put(root, "usr/lib/os-release", "ID=hull\n");
      fs::create_symlink("usr/lib", root + "/lib");
    }
    Put(ext_, "var/lib/dpkg/status", Status({"base-files", "cni"}));
    Put(ext_, "var/lib/dpkg/info/cni:amd64.list",
        "/.\n/lib\n/lib/cni\n/lib/cni/bridge\n/etc\n/etc/cni.conf\n");
    Put(ext_, "usr/lib/cni/bridge", "ELF");
  }
  static std::string Status(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) {
      s += "Package: " + n + "\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n";
    }
    return s;
  }
  static void Put(const std::string& root, const std::string& rel, const std::string& text) {
    fs::create_directories(fs::path(root + "/" + rel).parent_path());
    ASSERT_OK(WriteFileAtomic(root + "/" + rel, text));
  }
  std::optional<TempDir> dir_;
  std::string base_, ext_;
};

TEST_F(SysextTree, FactsDiffAndStage) {
  ASSERT_OK_AND_ASSIGN(Facts f, GatherFacts(base_, ext_, "amd64"));
  EXPECT_THAT(f.added_packages, ElementsAre("cni"));
  EXPECT_EQ(f.base_owner.at("usr/lib/os-release"), "base-files");
  EXPECT_EQ(f.added_owner.at("usr/lib/cni/bridge"), "cni");
  // Both list the merged-/usr link /lib (a directory to dpkg): no overlap.
  EXPECT_OK(CheckOverlap(f));
  ASSERT_OK_AND_ASSIGN(auto changes, DiffTrees(base_, ext_));
  std::vector<std::string> paths;
  for (const auto& c : changes) paths.push_back(c.path);
  EXPECT_THAT(paths, ElementsAre("usr/lib/cni", "usr/lib/cni/bridge",
                                 "var/lib/dpkg/info/cni:amd64.list", "var/lib/dpkg/status"));
  ASSERT_OK_AND_ASSIGN(auto entries, SelectEntries(changes, f));
  ASSERT_OK(Stage(ext_, entries, dir_->path() + "/stage"));
  ASSERT_OK_AND_ASSIGN(auto bridge, ReadFileText(dir_->path() + "/stage/usr/lib/cni/bridge"));
  EXPECT_EQ(bridge, "ELF");

  // The package's /etc file, once present in the tree, is refused by name.
  Put(ext_, "etc/cni.conf", "x");
  ASSERT_OK_AND_ASSIGN(changes, DiffTrees(base_, ext_));
  auto r = SelectEntries(changes, f);
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message(), HasSubstr("/etc/cni.conf is outside /usr"));
  EXPECT_THAT(r.error().message(), HasSubstr("package 'cni' installs it"));

  // A changed base file is a conflict.
  fs::remove_all(ext_ + "/etc");
  Put(ext_, "usr/lib/os-release", "ID=other\n");
  ASSERT_OK_AND_ASSIGN(changes, DiffTrees(base_, ext_));
  EXPECT_ERROR(SelectEntries(changes, f), ErrorCode::kConflict);
}

TEST_F(SysextTree, FilesSourcesHoldOnlyUsrAndNoBaseFile) {
  ASSERT_OK_AND_ASSIGN(Facts f, GatherFacts(base_, ext_, "amd64"));
  const std::string src = dir_->path() + "/kubelet";
  Put(src, "usr/bin/kubelet", "ELF");
  ASSERT_OK_AND_ASSIGN(auto entries, SourceEntries(src, src, f));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].to, "usr/bin/kubelet");

  Put(src, "etc/kubernetes/kubelet.conf", "x");
  auto r = SourceEntries(src, src, f);
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message(), HasSubstr("holds /etc/kubernetes/kubelet.conf outside /usr"));
  fs::remove_all(src + "/etc");

  Put(src, "usr/lib/os-release", "ID=mine\n");
  auto c = SourceEntries(src, src, f);
  ASSERT_ERROR(c, ErrorCode::kConflict);
  EXPECT_THAT(c.error().message(), HasSubstr("package 'base-files' of the base image"));
}

}  // namespace
}  // namespace hull::sysext

// The customize configuration (field positions in every error, refusals with
// their reason), the destination rule, the new command line and the
// sysusers.d / modprobe.d texts, with expected values written from
// docs/customize.md, sysusers.d(5) and modprobe.d(5); for --rebuild, the
// os.packages field, the recorded spec's package list rewritten (read back
// by the spec parser) and the spec's files taken from the base's tree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "customize/apply.h"
#include "customize/config.h"
#include "customize/customize.h"
#include "customize/rebuild.h"
#include "customize/tree_path.h"
#include "support/status_matchers.h"

namespace hull::customize {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

Result<Config> Parse(const std::string& text, const std::string& dir = "/nonexistent") {
  return ParseConfig(text, "c.yaml", dir);
}

TEST(CustomizeConfig, MisspeltFieldNamesItsLineAndTheAllowedNames) {
  auto r = Parse("os:\n  hostname: a\n  additonalFiles: []\n");
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().ToString(), StartsWith("c.yaml:3:3: "));
  EXPECT_THAT(r.error().ToString(), HasSubstr("unknown key 'additonalFiles'"));
}

TEST(CustomizeConfig, PackagesAreRefusedWithTheReason) {
  auto r = Parse("os:\n  packages:\n    install: [vim]\n");
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_THAT(r.error().ToString(), StartsWith("c.yaml:2:3: "));
  EXPECT_THAT(r.error().ToString(), HasSubstr("rebuild"));
  auto s = Parse("storage:\n  disks: []\n");
  ASSERT_ERROR(s, ErrorCode::kRefused);
  EXPECT_THAT(s.error().ToString(), StartsWith("c.yaml:1:1: "));
}

TEST(CustomizeConfig, DestinationOutsideUsrAndEtcIsRefusedAtItsLine) {
  auto r = Parse("os:\n  additionalFiles:\n    - content: x\n      destination: /var/lib/x\n");
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_THAT(r.error().ToString(), StartsWith("c.yaml:4:20: "));
  EXPECT_THAT(r.error().ToString(), HasSubstr("outside /usr and the factory /etc"));
}

TEST(CustomizeConfig, MissingSourceIsNotFoundAtItsLine) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("customize-config"));
  auto r = Parse("os:\n  additionalFiles:\n    - source: nothere.pem\n      destination: /etc/a\n",
                 tmp.path());
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().ToString(), StartsWith("c.yaml:3:15: "));
  EXPECT_THAT(r.error().ToString(), HasSubstr("does not exist"));
}

TEST(CustomizeConfig, PasswordsAreRefused) {
  auto r = Parse("os:\n  users:\n    - name: ops\n      password: hunter2\n");
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_THAT(r.error().ToString(), HasSubstr("SSH keys only"));
}

TEST(CustomizeConfig, AFullConfigurationParses) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("customize-config"));
  ASSERT_OK(WriteFileAtomic(tmp.path() + "/ca.pem", std::string("ca\n")));
  ASSERT_OK(WriteFileAtomic(tmp.path() + "/root.json", std::string("{}\n")));
  ASSERT_OK_AND_ASSIGN(Config c, Parse(R"(os:
  hostname: node-1
  additionalFiles:
    - source: ca.pem
      destination: /etc/ssl/certs/ca.pem
      permissions: "0600"
  users:
    - name: ops
      uid: 1500
      primaryGroup: site
      sshPublicKeys: ["ssh-ed25519 AAAA ops"]
  groups:
    - name: site
  services:
    enable: [ssh.service]
  kernelCommandLine:
    extraCommandLine: [quiet]
  modules:
    - name: br_netfilter
      loadMode: always
  selinux:
    mode: permissive
update:
  repository: https://updates.example.com/hull
  trusted_root: root.json
  fleetlock: {url: "https://fleetlock.example.com"}
)",
                                       tmp.path()));
  EXPECT_EQ(c.hostname, "node-1");
  ASSERT_EQ(c.files.size(), 1u);
  EXPECT_EQ(c.files[0].source, tmp.path() + "/ca.pem");
  EXPECT_EQ(c.files[0].permissions, 0600u);
  ASSERT_EQ(c.users.size(), 1u);
  EXPECT_EQ(c.users[0].uid, 1500u);
  EXPECT_EQ(c.extra_cmdline, std::vector<std::string>{"quiet"});
  EXPECT_EQ(c.selinux, spec::SelinuxMode::kPermissive);
  ASSERT_TRUE(c.update.has_value());
  EXPECT_EQ(c.update->repository, "https://updates.example.com/hull");
  EXPECT_EQ(c.update->fleetlock_url, "https://fleetlock.example.com");
}

TEST(CustomizeDestination, EtcIsTheFactoryEtcAndOtherRootsAreRefused) {
  ASSERT_OK_AND_ASSIGN(auto a, UsrRelativePath("/etc/ssh/sshd_config"));
  EXPECT_EQ(a, "etc/ssh/sshd_config");
  ASSERT_OK_AND_ASSIGN(auto b, UsrRelativePath("/usr/lib/x"));
  EXPECT_EQ(b, "lib/x");
  for (const char* bad : {"/etc/../x", "/var/x", "/usr", "etc/x", "/usr//lib", "/usr/./x", ""})
    EXPECT_ERROR(UsrRelativePath(bad), ErrorCode::kRefused) << bad;
}

TEST(CustomizeCmdline, ReplacesUsrhashAndSelinuxWordsAndAppends) {
  EXPECT_EQ(CustomizedCmdline("usrhash=aa mount.usrfstype=erofs rw security=selinux selinux=1 "
                              "enforcing=1",
                              "bb", "11", "permissive", {"quiet", "rw"}),
            "usrhash=bb hull.roottemplate=11 mount.usrfstype=erofs rw security=selinux selinux=1 "
            "enforcing=0 quiet");
  EXPECT_EQ(CustomizedCmdline("usrhash=aa selinux=0", "cc", "22", "", {"x=1"}),
            "usrhash=cc hull.roottemplate=22 selinux=0 x=1");
}

TEST(CustomizeCmdline, CarriesTheRootTemplateDigestOverInItsPlace) {
  // The base's hull.roottemplate= is replaced where it stands, once.
  EXPECT_EQ(CustomizedCmdline("usrhash=aa rw hull.roottemplate=99 quiet", "bb", "33", "", {}),
            "usrhash=bb rw hull.roottemplate=33 quiet");
  // No usrhash= (not an image hull build makes): the digest goes first.
  EXPECT_EQ(CustomizedCmdline("rw quiet", "bb", "44", "", {}), "hull.roottemplate=44 rw quiet");
  // No root digest (--from-release: a release carries no root partition):
  // the base's word stays as it is, and none is added to a base without one.
  EXPECT_EQ(CustomizedCmdline("usrhash=aa hull.roottemplate=99 rw", "bb", "", "", {}),
            "usrhash=bb hull.roottemplate=99 rw");
  EXPECT_EQ(CustomizedCmdline("usrhash=aa rw", "bb", "", "", {}), "usrhash=bb rw");
}

TEST(CustomizeTexts, SysusersAndModprobeSayWhatTheManualPagesSpecify) {
  Config c;
  c.groups.push_back({.where = "", .name = "site", .gid = 1600});
  c.users.push_back({.where = "",
                     .name = "ops",
                     .uid = 1500,
                     .primary_group = "site",
                     .secondary_groups = {"adm"},
                     .ssh_public_keys = {}});
  EXPECT_EQ(SysusersText(c),
            "# Written by hull customize from os.groups and os.users.\n"
            "g site 1600\n"
            "u ops 1500:site \"ops\" /home/ops /bin/bash\n"
            "m ops adm\n");
  c.modules.push_back(
      {.where = "", .name = "br_netfilter", .load = Module::Load::kAlways, .options = {}});
  c.modules.push_back({.where = "",
                       .name = "nf_conntrack",
                       .load = Module::Load::kAuto,
                       .options = {{"hashsize", "65536"}}});
  c.modules.push_back(
      {.where = "", .name = "floppy", .load = Module::Load::kDisable, .options = {}});
  EXPECT_EQ(ModulesLoadText(c),
            "# Written by hull customize from os.modules (loadMode: always).\nbr_netfilter\n");
  EXPECT_EQ(ModprobeText(c),
            "# Written by hull customize from os.modules.\n"
            "options nf_conntrack hashsize=65536\n"
            "blacklist floppy\n");
}

// A base tree whose /usr/bin/su is a link out of the tree: the mode the
// image's inode gives is not set on the link's target.
TEST(CustomizeTree, ChmodDoesNotFollowALink) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("customize-tree"));
  const std::string usr = tmp.path() + "/usr", outside = tmp.path() + "/outside";
  std::filesystem::create_directories(usr + "/bin");
  std::filesystem::create_directories(usr + "/lib");
  ASSERT_OK(WriteFileAtomic(outside, std::string("x"), 0644));
  std::filesystem::create_symlink(outside, usr + "/bin/su");
  std::filesystem::create_symlink(tmp.path(), usr + "/sbin");
  EXPECT_ERROR(ChmodInTree(usr, "bin/su", 04755), ErrorCode::kRefused);
  EXPECT_ERROR(ChmodInTree(usr, "sbin/outside", 04755), ErrorCode::kRefused);
  struct stat st {};
  ASSERT_EQ(::stat(outside.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  ASSERT_OK(WriteFileAtomic(usr + "/bin/mount", std::string("m"), 0755));
  EXPECT_OK(ChmodInTree(usr, "bin/mount", 04755));
  EXPECT_OK(ChmodInTree(usr, "lib", 01777));
  ASSERT_EQ(::stat((usr + "/bin/mount").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  ASSERT_EQ(::stat((usr + "/lib").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  // A file capability through a link: refused, nothing outside changed; on a
  // plain file getcap reads it back (as root); refused by name without
  // CAP_SETFCAP. vfs_cap_data revision 2 with the effective bit, permitted
  // CAP_NET_RAW (bit 13): what `setcap cap_net_raw=ep` writes.
  const Bytes cap = {0x01, 0, 0, 0x02, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  if (::geteuid() != 0) {
    EXPECT_ERROR(SetCapabilityInTree(usr, "bin/mount", cap), ErrorCode::kRefused);
    return;
  }
  EXPECT_ERROR(SetCapabilityInTree(usr, "bin/su", cap), ErrorCode::kRefused);
  EXPECT_ERROR(SetCapabilityInTree(usr, "sbin/outside", cap), ErrorCode::kRefused);
  EXPECT_OK(SetCapabilityInTree(usr, "bin/mount", cap));
  auto out = hull::Run(Command{.argv = {"getcap", outside, usr + "/bin/mount"}});
  ASSERT_OK(out);
  EXPECT_EQ(out->out, usr + "/bin/mount cap_net_raw=ep\n");
}

// A base tree whose target directory of one of customize's own writes is a
// link out of the tree: each change is refused and nothing outside is read
// or written.
TEST(CustomizeTree, ALinkedTargetDirectoryIsRefusedForEveryWrite) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("customize-tree"));
  const std::string cfg_dir = tmp.path() + "/cfg";
  std::filesystem::create_directories(cfg_dir);
  ASSERT_OK(WriteFileAtomic(cfg_dir + "/root.json", std::string("{}\n")));
  struct Case {
    const char* name;
    const char* link;  // under usr, linked to `outside`
    const char* config;
    const char* outside_file;  // what a followed link would reach
  };
  const Case cases[] = {
      {"users", "lib/sysusers.d",
       "os:\n  users:\n    - name: ops\n      sshPublicKeys: [\"ssh-ed25519 AAAA ops\"]\n",
       "hull-customize.conf"},
      {"selinux", "etc/selinux", "os:\n  selinux:\n    mode: disabled\n", "config"},
      {"update", "lib/hull", "update:\n  channel: beta\n", "update.json"},
  };
  for (const Case& c : cases) {
    const std::string root = tmp.path() + "/" + c.name, outside = root + "-outside";
    const std::string link = root + "/usr/" + c.link;
    std::filesystem::create_directories(std::filesystem::path(link).parent_path());
    std::filesystem::create_directories(outside);
    // What the base's files would say, put where the link leads.
    ASSERT_OK(WriteFileAtomic(outside + "/config", std::string("SELINUX=enforcing\n")));
    ASSERT_OK(WriteFileAtomic(outside + "/update.json",
                              std::string("{\"repository\": \"\", \"channel\": \"stable\"}\n")));
    std::filesystem::create_symlink(outside, link);
    ASSERT_OK_AND_ASSIGN(Config config, Parse(c.config, cfg_dir));
    auto r = Apply(config, root);
    EXPECT_ERROR(r, ErrorCode::kRefused) << c.name;
    if (!r.ok()) {
      EXPECT_THAT(r.error().ToString(), HasSubstr("symbolic link")) << c.name;
    }
    ASSERT_OK_AND_ASSIGN(std::string sel, ReadFileText(outside + "/config"));
    EXPECT_EQ(sel, "SELINUX=enforcing\n") << c.name;
    EXPECT_FALSE(std::filesystem::exists(outside + "/hull-customize.conf")) << c.name;
    ASSERT_OK_AND_ASSIGN(std::string upd, ReadFileText(outside + "/update.json"));
    EXPECT_THAT(upd, Not(HasSubstr("beta"))) << c.name;
  }
}

Result<Config> ParseForRebuild(const std::string& text) {
  return ParseConfig(text, "c.yaml", "/nonexistent", PackagesField::kRead);
}

TEST(CustomizeRebuild, PackagesAreReadWithTheirPositions) {
  ASSERT_OK_AND_ASSIGN(Config c, ParseForRebuild("os:\n  packages:\n    install: [jq, less]\n"
                                                 "    remove:\n      - nftables\n"));
  ASSERT_TRUE(c.packages.has_value());
  ASSERT_EQ(c.packages->install.size(), 2u);
  EXPECT_EQ(c.packages->install[1].name, "less");
  EXPECT_EQ(c.packages->install[1].where, "c.yaml:3:19: os.packages.install[1]");
  ASSERT_EQ(c.packages->remove.size(), 1u);
  EXPECT_EQ(c.packages->remove[0].name, "nftables");
  EXPECT_EQ(c.packages->remove[0].where, "c.yaml:5:9: os.packages.remove[0]");
  // Without --rebuild the same text stays refused.
  EXPECT_ERROR(Parse("os:\n  packages:\n    install: [jq]\n"), ErrorCode::kRefused);
}

TEST(CustomizeRebuild, APackageInstalledAndRemovedIsOneErrorNamingIt) {
  auto r = ParseForRebuild("os:\n  packages:\n    install: [jq]\n    remove: [less, jq]\n");
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().ToString(),
            "c.yaml:4:20: package 'jq' is both installed and removed (os.packages)");
  auto bad = ParseForRebuild("os:\n  packages:\n    install: [Jq]\n");
  ASSERT_ERROR(bad, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().ToString(), StartsWith("c.yaml:3:15: bad package name 'Jq'"));
  auto key = ParseForRebuild("os:\n  packages:\n    update: true\n");
  ASSERT_ERROR(key, ErrorCode::kInvalidArgument);
  EXPECT_THAT(key.error().ToString(), HasSubstr("unknown key 'update'"));
}

Packages Changes(std::vector<std::string> install, std::vector<std::string> remove) {
  Packages p;
  for (auto& n : install) p.install.push_back({"c.yaml:3:5: os.packages.install[0]", n});
  for (auto& n : remove) p.remove.push_back({"c.yaml:4:5: os.packages.remove[0]", n});
  return p;
}

TEST(CustomizeRebuild, TheSpecsPackageListIsRewrittenAndTheRestKept) {
  const std::string text =
      "# a comment\nname: Site\nversion: 202612.05.0\npackages: [systemd, nftables, kmod]\n"
      "kernel:\n  cmdline: [console=ttyS0, \"quiet\"]\n  modules: [erofs]\nselinux: disabled\n"
      "update:\n  repository: \"\"\n  channel: beta\n";
  ASSERT_OK_AND_ASSIGN(std::string out,
                       RewriteSpecPackages(text, "img:/usr/lib/hull/spec.yaml",
                                           Changes({"jq", "kmod"}, {"nftables"}), 0));
  EXPECT_THAT(out, StartsWith("# hull customize --rebuild: +jq +kmod -nftables\n"));
  ASSERT_OK_AND_ASSIGN(spec::ImageSpec s, spec::ParseSpec(out, {.filename = "new"}));
  EXPECT_EQ(s.packages, (std::vector<std::string>{"systemd", "kmod", "jq"}));
  EXPECT_EQ(s.name, "Site");
  EXPECT_EQ(s.version, "202612.05.0");
  EXPECT_EQ(s.kernel.cmdline, (std::vector<std::string>{"console=ttyS0", "quiet"}));
  EXPECT_EQ(s.kernel.modules, std::vector<std::string>{"erofs"});
  EXPECT_EQ(s.selinux, spec::SelinuxMode::kDisabled);
  EXPECT_EQ(s.update.channel, "beta");
  // A spec without a package list has its arch's default one (spec.h).
  ASSERT_OK_AND_ASSIGN(spec::ImageSpec d, spec::DefaultSpec(0));
  ASSERT_OK_AND_ASSIGN(std::string bare,
                       RewriteSpecPackages("name: Bare\n", "b", Changes({"jq"}, {}), 0));
  ASSERT_OK_AND_ASSIGN(spec::ImageSpec b, spec::ParseSpec(bare, {.filename = "b"}));
  d.packages.push_back("jq");
  EXPECT_EQ(b.packages, d.packages);
  // The default spec's text (comments, flow and block lists) reads back the same.
  ASSERT_OK_AND_ASSIGN(std::string def,
                       RewriteSpecPackages(spec::DefaultSpecText(), "d", Changes({}, {}), 0));
  ASSERT_OK_AND_ASSIGN(spec::ImageSpec a, spec::ParseSpec(spec::DefaultSpecText(), {}));
  ASSERT_OK_AND_ASSIGN(spec::ImageSpec e, spec::ParseSpec(def, {}));
  EXPECT_EQ(e.packages, a.packages);
  EXPECT_EQ(e.kernel.modules, a.kernel.modules);
  EXPECT_EQ(e.services.enable, a.services.enable);
  EXPECT_EQ(e.update.health_units, a.update.health_units);
}

TEST(CustomizeRebuild, RemovingAPackageTheSpecLacksIsOneErrorNamingIt) {
  auto r = RewriteSpecPackages("name: Site\npackages: [systemd]\n", "img:/usr/lib/hull/spec.yaml",
                               Changes({}, {"vim"}), 0);
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().ToString(),
            "c.yaml:4:5: os.packages.remove[0]: package 'vim' is not in the image's spec "
            "(img:/usr/lib/hull/spec.yaml), so it cannot be removed");
  // The recorded spec's own errors name it.
  auto bad = RewriteSpecPackages("name: Site\npackges: []\n", "img:/usr/lib/hull/spec.yaml",
                                 Changes({"jq"}, {}), 0);
  ASSERT_ERROR(bad, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().ToString(), StartsWith("img:/usr/lib/hull/spec.yaml:2:1: "));
}

TEST(CustomizeRebuild, FilesComeFromTheBasesTreeAtTheirDestinations) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("customize-rebuild"));
  const std::string usr = tmp.path() + "/usr";
  for (const char* d : {"/etc", "/share/site", "/lib/hull"})
    std::filesystem::create_directories(usr + d);
  ASSERT_OK(WriteFileAtomic(usr + "/etc/site.conf", std::string("a\n")));
  ASSERT_OK(WriteFileAtomic(usr + "/share/site/x", std::string("b\n")));
  ASSERT_OK(WriteFileAtomic(usr + "/lib/hull/root.json", std::string("{}\n")));
  spec::ImageSpec s;
  s.files = {{"site.conf", "/etc/site.conf"}, {"dir", "/usr/share/site"}};
  s.update.trusted_root = "root.json";
  ASSERT_OK(SourcesFromBase(s, usr));
  EXPECT_EQ(s.files[0].source, usr + "/etc/site.conf");
  EXPECT_EQ(s.files[1].source, usr + "/share/site");
  EXPECT_EQ(s.update.trusted_root, usr + "/lib/hull/root.json");

  spec::ImageSpec missing;
  missing.files = {{"a", "/etc/site.conf"}, {"b", "/usr/share/gone"}};
  auto m = SourcesFromBase(missing, usr);
  ASSERT_ERROR(m, ErrorCode::kNotFound);
  EXPECT_THAT(m.error().ToString(), HasSubstr("the spec's files[1] (/usr/share/gone)"));

  std::filesystem::create_symlink(tmp.path(), usr + "/share/link");
  spec::ImageSpec linked;
  linked.files = {{"a", "/usr/share/link/usr/etc/site.conf"}};
  auto l = SourcesFromBase(linked, usr);
  ASSERT_ERROR(l, ErrorCode::kRefused);
  EXPECT_THAT(l.error().ToString(), HasSubstr("/share/link in the base image is a symbolic link"));

  // The recorded spec, read from the tree; an image without one names the fix.
  auto none = ReadRecordedSpec(usr, "old.raw");
  ASSERT_ERROR(none, ErrorCode::kNotFound);
  EXPECT_EQ(none.error().ToString(),
            "old.raw records no spec (/usr/lib/hull/spec.yaml): it was built before hull build "
            "recorded its spec, so it cannot be rebuilt; build it again with hull build");
  ASSERT_OK(WriteFileAtomic(usr + "/lib/hull/spec.yaml", std::string("name: Site\n")));
  ASSERT_OK_AND_ASSIGN(std::string rec, ReadRecordedSpec(usr, "new.raw"));
  EXPECT_EQ(rec, "name: Site\n");

  spec::ImageSpec preload;
  preload.preload = {{.kind = spec::Preload::Kind::kLayout, .source = "oci-layout"}};
  EXPECT_ERROR(SourcesFromBase(preload, usr), ErrorCode::kRefused);
}

}  // namespace
}  // namespace hull::customize

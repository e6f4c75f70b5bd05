#include "spec/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "base/file.h"
#include "base/subprocess.h"
#include "spec/arch.h"
#include "support/status_matchers.h"

namespace hull::spec {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

// 2026-11-25T00:00:00Z (date -u -d 2026-11-25 +%s)
constexpr int64_t kBuildTime = 1795564800;

Result<ImageSpec> Parse(const std::string& yaml) {
  return ParseSpec(yaml, {.filename = "t.yaml", .build_time = kBuildTime});
}

// Expects the parse to fail with `code` and exactly `message`.
void ExpectError(const std::string& yaml, const std::string& message,
                 ErrorCode code = ErrorCode::kInvalidArgument) {
  auto r = Parse(yaml);
  ASSERT_FALSE(r.ok()) << "parsed:\n" << yaml;
  EXPECT_ERROR(r, code);
  EXPECT_EQ(r.error().ToString(), message);
}

TEST(Spec, DefaultSpecParsesWithDocumentedDefaults) {
  auto s = DefaultSpec(kBuildTime);
  ASSERT_OK(s);
  EXPECT_EQ(s->name, "HullImmutable");
  EXPECT_EQ(s->version, "202611.25.0");
  EXPECT_EQ(s->arch, "amd64");
  EXPECT_EQ(s->distribution.suite, "bookworm");
  EXPECT_EQ(s->distribution.mirror, "http://deb.debian.org/debian");
  EXPECT_EQ(s->distribution.components, std::vector<std::string>{"main"});
  EXPECT_EQ(s->distribution.variant, "apt");
  for (const char* p :
       {"systemd", "systemd-sysv", "containerd", "runc", "linux-image-cloud-amd64",
        "ca-certificates", "iproute2", "nftables", "iptables", "conntrack", "e2fsprogs",
        "selinux-policy-default", "policycoreutils", "udev", "dbus", "kmod"}) {
    EXPECT_NE(std::find(s->packages.begin(), s->packages.end(), p), s->packages.end()) << p;
  }
  for (const char* m :
       {"virtio*", "hv_*", "nvme*",        "ext4",    "erofs", "overlay", "vfat",
        "nf_*",    "xt_*", "nft_*",        "bridge",  "veth",  "vxlan",   "dm-verity",
        "dm-mod",  "tpm*", "sha256-ssse3", "softdog", "nfit",  "nd_pmem"}) {
    EXPECT_NE(std::find(s->kernel.modules.begin(), s->kernel.modules.end(), m),
              s->kernel.modules.end())
        << m;
  }
  EXPECT_EQ(s->selinux, SelinuxMode::kEnforcing);
  EXPECT_EQ(s->outputs, std::vector<OutputFormat>{OutputFormat::kRaw});
  EXPECT_EQ(s->erofs_compression, Compression::kNone);
  EXPECT_EQ(s->signing_key_dir, "");
}

TEST(Spec, MinimalSpecTakesDefaultsFromTheDefaultSpec) {
  auto s = Parse("name: node\n");
  ASSERT_OK(s);
  auto d = DefaultSpec(kBuildTime);
  ASSERT_OK(d);
  EXPECT_EQ(s->name, "node");
  EXPECT_EQ(s->version, "202611.25.0");
  EXPECT_EQ(s->packages, d->packages);
  EXPECT_EQ(s->kernel.modules, d->kernel.modules);
}

TEST(Spec, EveryFieldIsRead) {
  auto s = Parse(R"(name: edge-node
flavor: immutable
version: 202612.01.3
arch: amd64
distribution:
  suite: trixie
  mirror: https://mirror.example/debian/
  components: [main, contrib]
  variant: essential
packages: [bash, curl]
kernel:
  cmdline: [quiet, "console=ttyS0,115200"]
  modules: [virtio_net, kernel/fs/*]
selinux: permissive
files:
  - {source: motd, dest: /etc/motd}
  - {source: /abs/tool, dest: /usr/local/bin/tool}
services:
  enable: [kubelet.service]
  disable: [ssh.socket]
users:
  - name: core
    ssh_authorized_keys: ["ssh-ed25519 AAAAC3Nza core@example"]
partitions:
  esp: 512M
  usr: 2G
  root: 4096
outputs: [raw, vhd, qcow2, vhdx, iso]
erofs:
  compression: lz4hc
signing:
  key_dir: /etc/hull/keys
)");
  ASSERT_OK(s);
  EXPECT_EQ(s->name, "edge-node");
  EXPECT_EQ(s->version, "202612.01.3");
  EXPECT_EQ(s->distribution.suite, "trixie");
  EXPECT_EQ(s->distribution.mirror, "https://mirror.example/debian/");
  EXPECT_EQ(s->distribution.components, (std::vector<std::string>{"main", "contrib"}));
  EXPECT_EQ(s->distribution.variant, "essential");
  EXPECT_EQ(s->packages, (std::vector<std::string>{"bash", "curl"}));
  EXPECT_EQ(s->kernel.cmdline, (std::vector<std::string>{"quiet", "console=ttyS0,115200"}));
  EXPECT_EQ(s->kernel.modules, (std::vector<std::string>{"virtio_net", "kernel/fs/*"}));
  EXPECT_EQ(s->selinux, SelinuxMode::kPermissive);
  ASSERT_EQ(s->files.size(), 2u);
  EXPECT_EQ(s->files[0].source, "motd");
  EXPECT_EQ(s->files[0].dest, "/etc/motd");
  EXPECT_EQ(s->files[1].dest, "/usr/local/bin/tool");
  EXPECT_EQ(s->services.enable, std::vector<std::string>{"kubelet.service"});
  EXPECT_EQ(s->services.disable, std::vector<std::string>{"ssh.socket"});
  ASSERT_EQ(s->users.size(), 1u);
  EXPECT_EQ(s->users[0].name, "core");
  EXPECT_EQ(s->users[0].ssh_authorized_keys,
            std::vector<std::string>{"ssh-ed25519 AAAAC3Nza core@example"});
  EXPECT_EQ(s->partitions.esp, 512ull << 20);
  EXPECT_EQ(s->partitions.usr, 2ull << 30);
  EXPECT_EQ(s->partitions.root, 4096u);
  EXPECT_EQ(s->outputs,
            (std::vector<OutputFormat>{OutputFormat::kRaw, OutputFormat::kVhd, OutputFormat::kQcow2,
                                       OutputFormat::kVhdx, OutputFormat::kIso}));
  EXPECT_EQ(s->erofs_compression, Compression::kLz4hc);
  EXPECT_EQ(s->signing_key_dir, "/etc/hull/keys");
}

TEST(Spec, SelinuxModes) {
  EXPECT_EQ(Parse("name: n\nselinux: enforcing\n")->selinux, SelinuxMode::kEnforcing);
  EXPECT_EQ(Parse("name: n\nselinux: disabled\n")->selinux, SelinuxMode::kDisabled);
}

TEST(Spec, ErrorsNameFileLineColumnAndWhatIsAllowed) {
  ExpectError("name: n\nkernel:\n  cmdline: []\n  modulez: []\n",
              "t.yaml:4:3: unknown key 'modulez' in 'kernel' (allowed: cmdline, modules)");
  ExpectError("name: n\ncolour: blue\n",
              "t.yaml:2:1: unknown key 'colour' in the spec (allowed: name, flavor, version, "
              "arch, distribution, packages, kernel, selinux, files, services, users, "
              "partitions, outputs, erofs, signing, update, containers)");
  ExpectError("name: n\nname: m\n", "t.yaml:2:1: duplicate key 'name' in the spec");
  ExpectError("version: 202611.24.0\n", "t.yaml:1:1: missing required key 'name'");
  ExpectError("- a\n- b\n", "t.yaml:1:1: a spec must be a map, got a list");
  ExpectError("name: n\npackages: systemd\n",
              "t.yaml:2:11: 'packages' must be a list of scalars, got a scalar");
  ExpectError("name: n\npackages: [systemd, {a: b}]\n",
              "t.yaml:2:21: 'packages[]' must be a scalar, got a map");
  ExpectError("name: n\npackages: [Systemd]\n",
              "t.yaml:2:12: bad package name 'Systemd' (allowed: Debian package names: a-z 0-9 "
              "+ - ., at least 2 characters, starting with a letter or digit)");
  ExpectError("name: n\ndistribution: bookworm\n",
              "t.yaml:2:15: 'distribution' must be a map, got a scalar");
  ExpectError("name: n\nname2: x\n",
              "t.yaml:2:1: unknown key 'name2' in the spec (allowed: name, flavor, version, "
              "arch, distribution, packages, kernel, selinux, files, services, users, "
              "partitions, outputs, erofs, signing, update, containers)");
  ExpectError("name: n\nkey: [unclosed\n",
              "t.yaml:3:1: YAML syntax: end of sequence flow not found");
}

TEST(Spec, ValueErrors) {
  ExpectError("name: n\nflavor: standard\n",
              "t.yaml:2:9: flavor 'standard' is not yet supported (supported: immutable)",
              ErrorCode::kUnsupported);
  ExpectError("name: n\nflavor: mutable\n",
              "t.yaml:2:9: bad flavor 'mutable' (allowed: immutable, standard)");
  ExpectError("name: n\narch: i386\n", "t.yaml:2:7: bad arch 'i386' (allowed: amd64, arm64)");
  ExpectError("name: n\nversion: 202613.01.0\n",
              "t.yaml:2:10: bad version '202613.01.0': month out of range 01-12 (allowed: "
              "YYYYMM.DD.N, e.g. 202611.24.0)");
  ExpectError("name: n\nversion: 2026.11.24\n",
              "t.yaml:2:10: bad version '2026.11.24': YYYYMM must be six digits (allowed: "
              "YYYYMM.DD.N, e.g. 202611.24.0)");
  ExpectError("name: n\nselinux: on\n",
              "t.yaml:2:10: bad selinux 'on' (allowed: enforcing, permissive, disabled)");
  ExpectError("name: n\noutputs: [raw, img]\n",
              "t.yaml:2:16: bad output 'img' (allowed: raw, vhd, qcow2, vhdx, iso)");
  ExpectError("name: n\noutputs: [raw, raw]\n", "t.yaml:2:16: duplicate output 'raw'");
  ExpectError("name: n\nerofs: {compression: zstd}\n",
              "t.yaml:2:22: bad erofs.compression 'zstd' (allowed: none, lz4hc)");
  ExpectError("name: n\npartitions: {esp: 1X}\n",
              "t.yaml:2:19: bad size '1X' for 'partitions.esp' (allowed: bytes as a decimal "
              "integer, optionally with K, M, G or T, e.g. 512M)");
  ExpectError("name: n\npartitions: {esp: 99999999999999999999T}\n",
              "t.yaml:2:19: bad size '99999999999999999999T' for 'partitions.esp' (allowed: "
              "bytes as a decimal integer, optionally with K, M, G or T, e.g. 512M)");
  ExpectError("name: n\ndistribution: {variant: minbase}\n",
              "t.yaml:2:25: bad distribution.variant 'minbase' (allowed: apt, essential)");
  ExpectError("name: n\ndistribution: {mirror: 'ftp://x'}\n",
              "t.yaml:2:24: bad mirror 'ftp://x' (allowed: an http://, https:// or file:/// URL "
              "without spaces or quotes)");
  ExpectError("name: n\ndistribution: {components: []}\n",
              "t.yaml:2:28: 'distribution.components' must not be empty");
  ExpectError("name: bad name\n",
              "t.yaml:1:7: bad name 'bad name' (allowed: 1-64 of A-Z a-z 0-9 . _ -, starting "
              "with a letter or digit)");
}

TEST(Spec, NestedValueErrors) {
  ExpectError("name: n\nkernel: {cmdline: ['usrhash=abc']}\n",
              "t.yaml:2:20: kernel argument 'usrhash=abc' is set by the build (usrhash=... is "
              "reserved)");
  ExpectError("name: n\nkernel: {cmdline: ['hull.roottemplate=ab']}\n",
              "t.yaml:2:20: kernel argument 'hull.roottemplate=ab' is set by the build "
              "(hull.roottemplate=... is reserved)");
  ExpectError("name: n\nkernel: {cmdline: ['a b']}\n",
              "t.yaml:2:20: bad kernel argument 'a b' (allowed: one argument, no spaces)");
  ExpectError("name: n\nkernel: {modules: ['/abs']}\n",
              "t.yaml:2:20: bad module pattern '/abs' (allowed: a module name or a path under "
              "/usr/lib/modules/<kver>/ such as kernel/net/*, with * ? [] wildcards)");
  ExpectError("name: n\nfiles: [{source: a, dest: /var/x}]\n",
              "t.yaml:2:27: bad dest '/var/x' (allowed: an absolute file path under /usr/ or "
              "/etc/ without . or .. components; /etc is the factory /etc)");
  ExpectError("name: n\nfiles: [{source: a, dest: /usr/../etc/x}]\n",
              "t.yaml:2:27: bad dest '/usr/../etc/x' (allowed: an absolute file path under "
              "/usr/ or /etc/ without . or .. components; /etc is the factory /etc)");
  ExpectError("name: n\nfiles: [{source: a}]\n",
              "t.yaml:2:9: a 'files' entry needs both 'source' and 'dest'");
  ExpectError("name: n\nfiles: [{source: a, dest: /etc/a, mode: 0644}]\n",
              "t.yaml:2:35: unknown key 'mode' in a 'files' entry (allowed: source, dest)");
  ExpectError("name: n\nservices: {enable: [kubelet]}\n",
              "t.yaml:2:21: bad unit name 'kubelet' (allowed: a systemd unit name ending in "
              ".service, .socket, .timer, .target, .path, .mount or .slice)");
  ExpectError("name: n\nservices: {enable: [a.service], disable: [a.service]}\n",
              "t.yaml:2:43: unit 'a.service' is both enabled and disabled");
  ExpectError("name: n\nusers: [{name: root}]\n",
              "t.yaml:2:16: bad user name 'root' (allowed: a-z 0-9 _ -, starting with a letter "
              "or _, at most 32 characters, not root)");
  ExpectError("name: n\nusers: [{name: core, ssh_authorized_keys: [garbage]}]\n",
              "t.yaml:2:44: bad SSH public key (allowed: one authorized_keys line: ssh-ed25519, "
              "ssh-rsa, ecdsa-sha2-* or sk-* followed by the base64 key)");
  ExpectError("name: n\nusers: [{name: a}, {name: a}]\n", "t.yaml:2:27: duplicate user 'a'");
  ExpectError("name: n\nsigning: {keys: /k}\n",
              "t.yaml:2:11: unknown key 'keys' in 'signing' (allowed: key_dir)");
}

TEST(Spec, UpdateSection) {
  auto d = ParseSpec("name: n\n", {.filename = "t.yaml", .build_time = kBuildTime});
  ASSERT_OK(d);
  EXPECT_EQ(d->update.repository, "");
  EXPECT_EQ(d->update.upgrade_channel, UpgradeChannel::kNodeImage);
  EXPECT_EQ(d->update.boot_tries, 3u);
  EXPECT_EQ(d->update.health_units, std::vector<std::string>{"containerd.service"});
  auto s = ParseSpec(
      "name: n\nupdate:\n  repository: http://10.0.2.2:8080/repo/\n  trusted_root: root.json\n"
      "  channel: beta\n  upgrade_channel: None\n  check_interval: 30min\n  boot_tries: 1\n"
      "  health_units: [containerd.service, kubelet.service]\n  event_console: /dev/ttyS0\n",
      {.filename = "t.yaml", .build_time = kBuildTime});
  ASSERT_OK(s);
  EXPECT_EQ(s->update.repository, "http://10.0.2.2:8080/repo/");
  EXPECT_EQ(s->update.trusted_root, "root.json");
  EXPECT_EQ(s->update.channel, "beta");
  EXPECT_EQ(s->update.upgrade_channel, UpgradeChannel::kNone);
  EXPECT_EQ(s->update.check_interval, "30min");
  EXPECT_EQ(s->update.boot_tries, 1u);
  EXPECT_EQ(s->update.health_units,
            (std::vector<std::string>{"containerd.service", "kubelet.service"}));
  EXPECT_EQ(s->update.event_console, "/dev/ttyS0");

  ExpectError("name: n\nupdate: {upgrade_channel: SecurityPatch}\n",
              "t.yaml:2:27: update.upgrade_channel 'SecurityPatch' changes packages in place; "
              "the immutable flavor only takes whole signed images (allowed: NodeImage, None)");
  ExpectError("name: n\nupdate: {upgrade_channel: Weekly}\n",
              "t.yaml:2:27: bad update.upgrade_channel 'Weekly' (allowed: NodeImage, None)");
  ExpectError("name: n\nupdate: {repository: 'ftp://x/'}\n",
              "t.yaml:2:22: bad update.repository 'ftp://x/' (allowed: an http:// or https:// "
              "URL without spaces or quotes, or empty for no automatic updates)");
  ExpectError("name: n\nupdate: {repository: 'http://x/'}\n",
              "t.yaml:2:9: update.repository needs update.trusted_root: the root.json that "
              "'hull release init' wrote for that repository");
  ExpectError("name: n\nupdate: {boot_tries: 0}\n",
              "t.yaml:2:22: bad update.boot_tries '0' (allowed: 1 to 9)");
  ExpectError("name: n\nupdate: {check_interval: soon}\n",
              "t.yaml:2:26: bad update.check_interval 'soon' (allowed: a number with s, min, h "
              "or d, e.g. 6h)");
  ExpectError("name: n\nupdate: {health_units: [kubelet]}\n",
              "t.yaml:2:25: bad unit name 'kubelet' in update.health_units (allowed: a systemd "
              ".service, .target, .socket or .mount name)");
  ExpectError("name: n\nupdate: {event_console: ttyS0}\n",
              "t.yaml:2:25: bad update.event_console 'ttyS0' (allowed: a device such as "
              "/dev/ttyS0, or empty)");
  ExpectError("name: n\nupdate: {interval: 1h}\n",
              "t.yaml:2:10: unknown key 'interval' in 'update' (allowed: repository, "
              "trusted_root, channel, upgrade_channel, check_interval, boot_tries, health_units, "
              "event_console, fleetlock, sysexts)");
}

TEST(Spec, UpdateSysexts) {
  auto d = ParseSpec("name: n\n", {.filename = "t.yaml", .build_time = kBuildTime});
  ASSERT_OK(d);
  EXPECT_TRUE(d->update.sysexts.empty());
  auto s = ParseSpec("name: n\nupdate: {sysexts: [cni, kubelet]}\n",
                     {.filename = "t.yaml", .build_time = kBuildTime});
  ASSERT_OK(s);
  EXPECT_EQ(s->update.sysexts, (std::vector<std::string>{"cni", "kubelet"}));
  ExpectError("name: n\nupdate: {sysexts: [Cni]}\n",
              "t.yaml:2:20: bad extension name 'Cni' in update.sysexts (allowed: lower-case "
              "letters, digits, '.', '-', as `hull sysext build` names it)");
  ExpectError("name: n\nupdate: {sysexts: [cni, cni]}\n",
              "t.yaml:2:25: extension 'cni' named twice in update.sysexts");
}

TEST(Spec, UpdateFleetLock) {
  auto d = ParseSpec("name: n\n", {.filename = "t.yaml", .build_time = kBuildTime});
  ASSERT_OK(d);
  EXPECT_EQ(d->update.fleetlock_url, "");
  EXPECT_EQ(d->update.fleetlock_group, "default");
  auto s = ParseSpec(
      "name: n\nupdate:\n  fleetlock:\n    url: https://fleetlock.example/\n    group: workers\n",
      {.filename = "t.yaml", .build_time = kBuildTime});
  ASSERT_OK(s);
  EXPECT_EQ(s->update.fleetlock_url, "https://fleetlock.example/");
  EXPECT_EQ(s->update.fleetlock_group, "workers");
  auto tls = ParseSpec(
      "name: n\nupdate:\n  fleetlock:\n    url: https://f/\n    ca: /etc/hull/ca.pem\n"
      "    cert: /etc/hull/node.pem\n    key: /etc/hull/node.key\n",
      {.filename = "t.yaml", .build_time = kBuildTime});
  ASSERT_OK(tls);
  EXPECT_EQ(tls->update.fleetlock_ca, "/etc/hull/ca.pem");
  EXPECT_EQ(tls->update.fleetlock_cert, "/etc/hull/node.pem");
  EXPECT_EQ(tls->update.fleetlock_key, "/etc/hull/node.key");
  auto no_key = ParseSpec("name: n\nupdate: {fleetlock: {url: 'https://f/', cert: /c.pem}}\n",
                          {.filename = "t.yaml", .build_time = kBuildTime});
  EXPECT_ERROR(no_key, ErrorCode::kInvalidArgument);
  auto relative = ParseSpec("name: n\nupdate: {fleetlock: {url: 'https://f/', ca: ca.pem}}\n",
                            {.filename = "t.yaml", .build_time = kBuildTime});
  EXPECT_ERROR(relative, ErrorCode::kInvalidArgument);
  ExpectError("name: n\nupdate: {fleetlock: {url: 'ftp://x'}}\n",
              "t.yaml:2:27: bad update.fleetlock.url 'ftp://x' (allowed: an http:// or https:// "
              "URL, or empty for no reboot coordination)");
  ExpectError("name: n\nupdate: {fleetlock: {url: 'http://x', group: 'a b'}}\n",
              "t.yaml:2:46: bad update.fleetlock.group 'a b' (allowed: letters, digits, '.' and "
              "'-', e.g. workers)");
  ExpectError("name: n\nupdate: {fleetlock: {uri: 'http://x'}}\n",
              "t.yaml:2:22: unknown key 'uri' in 'update.fleetlock' (allowed: url, group, ca, "
              "cert, key)");
}

TEST(Spec, Version) {
  EXPECT_EQ(VersionForTime(kBuildTime), "202611.25.0");
  EXPECT_EQ(VersionForTime(0), "197001.01.0");
  EXPECT_OK(ValidateVersion("202611.24.0"));
  EXPECT_OK(ValidateVersion("202612.31.12"));
  for (const char* bad : {"202611.24", "202611.24.01", "202611.00.0", "202611.32.0", "202600.01.0",
                          "20261.24.0", "202611.24.-1", "202611.24.0.1", ""}) {
    EXPECT_FALSE(ValidateVersion(bad).ok()) << bad;
  }
}

TEST(Spec, OversizedSpecIsRefused) {
  std::string big = "name: n\n#" + std::string(kMaxSpecBytes, 'x') + "\n";
  ExpectError(big, "t.yaml: spec larger than 1048576 bytes");
}

TEST(Spec, SortedPackagesDeduplicates) {
  ImageSpec s;
  s.packages = {"runc", "bash", "runc"};
  EXPECT_EQ(SortedPackages(s), (std::vector<std::string>{"bash", "runc"}));
}

// The CLI round trip: show-default's output passes check, and check reports
// errors with the file's own name and exit status 2.
TEST(SpecCli, ShowDefaultRoundTripsThroughCheck) {
  const char* bin = std::getenv("HULL_BIN");
  ASSERT_NE(bin, nullptr);
  auto tmp = TempDir::Create("spec-test");
  ASSERT_OK(tmp);
  const std::string path = tmp->path() + "/node.yaml";
  auto shown = hull::Run(Command{.argv = {bin, "spec", "show-default"}, .stdout_path = path});
  ASSERT_OK(shown);
  auto text = ReadFileText(path);
  ASSERT_OK(text);
  EXPECT_EQ(*text, std::string(DefaultSpecText()));
  auto checked = hull::Run(
      Command{.argv = {bin, "spec", "check", path}, .env = {"SOURCE_DATE_EPOCH=1795564800"}});
  ASSERT_OK(checked);
  EXPECT_EQ(checked->out, path +
                              ": ok (HullImmutable 202611.25.0, 21 packages, 79 module "
                              "patterns)\n");

  ASSERT_OK(WriteFileAtomic(path, std::string_view("name: n\nselinux: strict\n")));
  auto bad = RunAllowFailure(Command{.argv = {bin, "spec", "check", path}});
  ASSERT_OK(bad);
  EXPECT_EQ(bad->exit_code, 2);
  EXPECT_EQ(bad->err, "hull: " + path +
                          ":2:10: bad selinux 'strict' (allowed: enforcing, permissive, "
                          "disabled)\n");
}

// arm64: a spec naming arch arm64 takes its absent fields from the arm64
// default: Debian's arm64 cloud kernel, systemd-boot-efi from the arm64
// archive, the PL011 console, no x86-only module.
TEST(Arm64, SpecTakesTheArm64Defaults) {
  ASSERT_OK_AND_ASSIGN(ImageSpec s, Parse("name: n\narch: arm64\n"));
  EXPECT_EQ(s.arch, "arm64");
  EXPECT_THAT(s.packages, Contains("linux-image-cloud-arm64"));
  EXPECT_THAT(s.packages, Contains("systemd-boot-efi"));
  EXPECT_THAT(s.packages, Not(Contains("linux-image-cloud-amd64")));
  EXPECT_THAT(s.kernel.cmdline, Contains("console=ttyAMA0"));
  EXPECT_THAT(s.kernel.modules, Contains("kernel/arch/arm64/crypto/*"));
  EXPECT_THAT(s.kernel.modules, Contains("virtio*"));
  EXPECT_THAT(Amd64OnlyModules(s.kernel.modules), IsEmpty());
  EXPECT_THAT(Amd64OnlyPackages(s.packages), IsEmpty());
  // amd64 stays the default arch, with its own kernel.
  ASSERT_OK_AND_ASSIGN(ImageSpec d, Parse("name: n\n"));
  EXPECT_EQ(d.arch, "amd64");
  EXPECT_THAT(d.packages, Contains("linux-image-cloud-amd64"));
}

// The amd64 default's x86-only modules, by hand from the kernel tree: the
// SSSE3/AES-NI/PCLMUL crypto of arch/x86/crypto and VMware PVSCSI (Kconfig:
// depends on X86). ata_piix (depends on PCI only) is not among them.
TEST(Arm64, X86OnlyModulesOfTheAmd64Default) {
  ASSERT_OK_AND_ASSIGN(ImageSpec d, DefaultSpec(kBuildTime));
  EXPECT_THAT(Amd64OnlyModules(d.kernel.modules),
              ElementsAre("vmw_pvscsi", "sha256-ssse3", "sha512-ssse3", "sha1-ssse3",
                          "crc32c-intel", "crc32-pclmul", "ghash-clmulni-intel", "aesni-intel"));
  EXPECT_THAT(Amd64OnlyPackages(d.packages), ElementsAre("linux-image-cloud-amd64"));
  EXPECT_THAT(Amd64OnlyModules({"kernel/arch/x86/crypto/*", "arch/x86/kvm/kvm.ko", "aes*",
                                "kernel/arch/arm64/crypto/*", "blowfish-x86_64", "kvm_intel"}),
              ElementsAre("kernel/arch/x86/crypto/*", "arch/x86/kvm/kvm.ko", "blowfish-x86_64",
                          "kvm_intel"));
  EXPECT_THAT(Amd64OnlyPackages({"grub-efi-amd64-signed", "intel-microcode", "amd64-tools",
                                 "linux-image-amd64", "grub-efi-arm64"}),
              ElementsAre("grub-efi-amd64-signed", "intel-microcode", "linux-image-amd64"));
}

TEST(Arm64, Amd64OnlyPackagesAndModulesAreNamed) {
  ExpectError(
      "name: n\narch: arm64\npackages: [containerd, linux-image-cloud-amd64]\nkernel:\n"
      "  modules: [virtio*, aesni-intel, sha256_ssse3]\n",
      "t.yaml:2:7: arch arm64 cannot have the amd64-only packages or kernel modules "
      "linux-image-cloud-amd64, aesni-intel, sha256_ssse3 (remove them; the arm64 default: hull "
      "spec show-default --arch arm64)");
  // The same lists are fine on amd64.
  EXPECT_OK(
      Parse("name: n\narch: amd64\npackages: [containerd, linux-image-cloud-amd64]\n"
            "kernel:\n  modules: [virtio*, aesni-intel, sha256_ssse3]\n"));
}

TEST(Arm64, DefaultSpecTextForNamesTheArches) {
  ASSERT_OK_AND_ASSIGN(std::string_view amd64, DefaultSpecTextFor("amd64"));
  EXPECT_EQ(amd64, DefaultSpecText());
  auto bad = DefaultSpecTextFor("riscv64");
  EXPECT_ERROR(bad, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().ToString(), "unknown arch 'riscv64' (allowed: amd64, arm64)");
}

// show-default prints the spec files of the source tree, byte for byte: the
// amd64 one by default, specs/immutable-arm64.yaml (the file catalog/hull.yaml
// names for HullImmutable-arm64) with --arch arm64.
TEST(SpecCli, ShowDefaultPrintsTheSpecFiles) {
  const char* bin = std::getenv("HULL_BIN");
  const char* src = std::getenv("HULL_SOURCE_DIR");
  ASSERT_NE(bin, nullptr);
  ASSERT_NE(src, nullptr);
  ASSERT_OK_AND_ASSIGN(std::string amd64, ReadFileText(std::string(src) + "/specs/default.yaml"));
  ASSERT_OK_AND_ASSIGN(std::string arm64,
                       ReadFileText(std::string(src) + "/specs/immutable-arm64.yaml"));
  ASSERT_OK_AND_ASSIGN(std::string catalog, ReadFileText(std::string(src) + "/catalog/hull.yaml"));
  EXPECT_THAT(catalog, ::testing::HasSubstr("spec: specs/immutable-arm64.yaml"));
  ASSERT_OK_AND_ASSIGN(auto shown, hull::Run(Command{.argv = {bin, "spec", "show-default"}}));
  EXPECT_EQ(shown.out, amd64);
  ASSERT_OK_AND_ASSIGN(
      auto shown_arm, hull::Run(Command{.argv = {bin, "spec", "show-default", "--arch", "arm64"}}));
  EXPECT_EQ(shown_arm.out, arm64);
  ASSERT_OK_AND_ASSIGN(
      auto bad, RunAllowFailure(Command{.argv = {bin, "spec", "show-default", "--arch", "i386"}}));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "hull: --arch: unknown arch 'i386' (allowed: amd64, arm64)\n");
  // The printed arm64 default passes check as an arm64 spec.
  ASSERT_OK_AND_ASSIGN(auto tmp, TempDir::Create("spec-arm64"));
  const std::string path = tmp.path() + "/node.yaml";
  ASSERT_OK(WriteFileAtomic(path, std::string_view(arm64)));
  ASSERT_OK_AND_ASSIGN(auto checked,
                       hull::Run(Command{.argv = {bin, "spec", "check", "--json", path}}));
  EXPECT_THAT(checked.out, ::testing::HasSubstr("\"arch\": \"arm64\""));
}

}  // namespace
}  // namespace hull::spec

namespace hull::spec {
namespace {

TEST(SpecPreload, PresetsLayoutsAndArchivesWithTheirNames) {
  auto s = Parse(
      "name: n\ncontainers:\n  preload:\n    - preset: static:debug\n    - preset: cc\n"
      "    - layout: img/app\n      ref: app\n      name: registry.example/team/app:1.0\n"
      "    - archive: /srv/tool.tar\n      name: localhost:5000/tool:v2\n");
  ASSERT_OK(s);
  ASSERT_EQ(s->preload.size(), 4u);
  EXPECT_EQ(s->preload[0].kind, Preload::Kind::kPreset);
  EXPECT_EQ(s->preload[0].name, "localhost/hull/static:debug");
  EXPECT_EQ(s->preload[1].name, "localhost/hull/cc:latest");
  EXPECT_EQ(s->preload[2].kind, Preload::Kind::kLayout);
  EXPECT_EQ(s->preload[2].source, "img/app");
  EXPECT_EQ(s->preload[2].ref, "app");
  EXPECT_EQ(s->preload[3].kind, Preload::Kind::kArchive);
  EXPECT_EQ(s->preload[3].name, "localhost:5000/tool:v2");
  // The default image preloads nothing.
  auto d = DefaultSpec(kBuildTime);
  ASSERT_OK(d);
  EXPECT_THAT(d->preload, IsEmpty());
}

TEST(SpecPreload, BadEntriesNameTheLine) {
  const std::string head = "name: n\ncontainers:\n  preload:\n";
  ExpectError(head + "    - preset: cc\n      layout: x\n",
              "t.yaml:4:7: a 'containers.preload' entry names exactly one of 'preset', 'layout' "
              "or 'archive'");
  ExpectError(head + "    - layout: x\n",
              "t.yaml:4:7: a preloaded layout or archive needs a 'name' (the image reference pods "
              "use, e.g. registry.example/app:1.0)");
  for (const char* bad : {"app:1.0", "registry.example/app", "Registry.example/app:1",
                          "registry.example//app:1", "example/app:1"}) {
    auto r = Parse(head + "    - archive: x.tar\n      name: " + bad + "\n");
    EXPECT_ERROR(r, ErrorCode::kInvalidArgument) << bad;
    if (!r.ok()) {
      EXPECT_THAT(r.error().ToString(), ::testing::HasSubstr("bad image reference"));
    }
  }
  ExpectError(head + "    - preset: cc\n    - preset: cc\n",
              "t.yaml:5:7: image 'localhost/hull/cc:latest' is preloaded twice");
  ExpectError(head + "    - preset: cc\n      ref: x\n",
              "t.yaml:5:12: 'ref' selects an image of a layout or archive");
  ExpectError("name: n\ncontainers:\n  pre: []\n",
              "t.yaml:3:3: unknown key 'pre' in 'containers' (allowed: preload)");
}

}  // namespace
}  // namespace hull::spec

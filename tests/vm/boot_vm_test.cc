// The default image booted for real (QEMU TCG + OVMF, Secure Boot with the
// image's keys enrolled, swtpm): hull-agent's validation passes, and the
// negative cases of docs/boot.md fail the way they must:
//   - a flipped byte in a file's block of the usr partition: the guest's full
//     /usr read gets EIO at exactly that block (never wrong data);
//   - a UKI signed by a key that is not in db: OVMF refuses it;
// the default image customized and signed through a SoftHSM token validates
// under Secure Boot with the token's certificates enrolled, and shows its
// changes (issue 19);
//   - a UKI whose usrhash= matches no partition: hull-init says so and resets;
// and one boot of a node's disk as clouds hand it over: larger than the
// image (hull-init grows the root to it), with a byte-identical copy of the
// image and a disk whose serial is the validation disk's attached (hull-init
// picks the disk the firmware booted from by its boot device and gives it its
// own UUIDs; the serial alone asks for no validation).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/file.h"
#include "base/subprocess.h"
#include "keys/varstore.h"
#include "support/flip_byte.h"
#include "support/image_checks.h"
#include "support/nginx.h"
#include "support/softhsm.h"
#include "support/status_matchers.h"
#include "vm/boot.h"
#include "vm/boot_fixture.h"

namespace hull {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using vm_test::Bin;
using vm_test::Sh;
using vm_test::ShOut;

// hull with a SoftHSM token's configuration in its environment.
Result<ProcessOutput> HullEnv(std::vector<std::string> args, std::vector<std::string> env) {
  args.insert(args.begin(), Bin());
  return RunAllowFailure(
      Command{.argv = args, .env = std::move(env), .timeout = std::chrono::minutes(20)});
}

// containers.preload: `static` (present only: no entrypoint) and
// `static:debug` (its busybox shell run from the store, without a pull).
std::string PreloadSpec() {
  return "name: HullImmutable\ncontainers:\n  preload:\n    - preset: static\n"
         "    - preset: static:debug\n";
}

// The guest's containerd holds both preloaded images under their names with
// the digests the build recorded in images.json, and ran static:debug.
void ExpectPreloadedImages(const json& j) {
  std::map<std::string, json> checks;
  for (const auto& c : j["checks"]) checks[c["name"]] = c;
  EXPECT_EQ(checks["preloaded"]["state"], "pass") << checks["preloaded"].dump();
  EXPECT_EQ(checks["preloaded-run"]["state"], "pass") << checks["preloaded-run"].dump();
  const json& pre = j["guest"]["phase1"]["preload"];
  ASSERT_TRUE(pre.is_object()) << j["guest"].dump();
  std::set<std::string> names;
  for (const auto& i : pre["images"]) {
    names.insert(i["name"].get<std::string>());
    EXPECT_EQ(i["stored"], i["digest"]) << i.dump();
    EXPECT_TRUE(i["digest"].get<std::string>().starts_with("sha256:")) << i.dump();
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"localhost/hull/static:latest", "localhost/hull/static:debug"}));
  ASSERT_EQ(pre["runs"].size(), 1u) << pre.dump();
  EXPECT_EQ(pre["runs"][0]["name"], "localhost/hull/static:debug");
  EXPECT_EQ(pre["runs"][0]["exit"], 0) << pre["runs"][0].dump();
  EXPECT_EQ(pre["unit"]["out"], "active") << pre.dump();
}

class BootVm : public vm_test::BuiltImageTest {
 protected:
  static void SetUpTestSuite() {
    ASSERT_NO_FATAL_FAILURE(MakeDirAndKeys("hull-boot-vm"));
    // The default image, with two presets preloaded (docs/containers.md).
    ASSERT_OK(WriteFileAtomic(Dir() + "/spec.yaml", PreloadSpec()));
    ASSERT_NO_FATAL_FAILURE(BuildImage(Dir() + "/spec.yaml", {}, 40));
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
    BuiltImageTest::TearDownTestSuite();
  }
  std::string TokenKeys() { return Dir() + "/token-keys"; }

  // The default image customized (docs/customize.md) with its db and verity
  // keys in a SoftHSM token: hull keys init --pkcs11 makes PK, KEK, db and
  // verity inside the token and writes their URIs as token-keys/NAME.key;
  // hull customize signs through them. Made once, for the tests that boot it.
  void MakeCustomized() {
    if (!customized_.empty()) return;
    ASSERT_TRUE(customize_attempts_++ == 0) << "making the customized image failed before";
    const std::string d = Dir();
    ASSERT_OK_AND_ASSIGN(token_env_, test_support::MakeSoftHsmToken(d + "/hsm", "Hull"));
    auto k = HullEnv({"keys", "init", "--pkcs11", "pkcs11:token=Hull", TokenKeys()}, token_env_);
    ASSERT_OK(k);
    ASSERT_EQ(k->exit_code, 0) << k->err;
    ASSERT_OK_AND_ASSIGN(std::string db_key, ReadFileText(TokenKeys() + "/db.key"));
    ASSERT_TRUE(db_key.starts_with("pkcs11:")) << db_key;
    ASSERT_OK(WriteFileAtomic(d + "/site.txt", std::string("site marker\n")));
    // The update repository the image names: a real one (hull release init,
    // no release yet), served by nginx on the host's loopback, which the
    // guest reaches as 10.0.2.2 (hull boot --network).
    auto r = Hull({"release", "init", d + "/www/repo", "--keys", d + "/repo-keys"});
    ASSERT_OK(r);
    ASSERT_EQ(r->exit_code, 0) << r->err;
    // nginx's workers run as another user: the test's directory may be
    // searched by others (not listed); what is under www/ is world-readable.
    fs::permissions(d, fs::perms::owner_all | fs::perms::others_exec);
    nginx_ = new test_support::Nginx;
    ASSERT_OK(nginx_->Start(d + "/nginx", d + "/www"));
    repository_ = fmt::format("http://10.0.2.2:{}/repo/", nginx_->port());
    ASSERT_OK(WriteFileAtomic(d + "/site.yaml", std::string(R"(os:
  additionalFiles:
    - source: site.txt
      destination: /etc/sysctl.d/site.txt
    - content: "net.ipv4.tcp_keepalive_time = 123\n"
      destination: /etc/sysctl.d/90-site.conf
  users:
    - name: ops
      sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0ffee ops@site"]
  services:
    enable: [fstrim.timer]
  kernelCommandLine:
    extraCommandLine: [hull.site=1]
update:
  repository: )" + repository_ + R"(
  trusted_root: www/repo/root.json
)")));
    const auto start = std::chrono::steady_clock::now();
    auto c = HullEnv({"customize", image_, "--config", d + "/site.yaml", "--base-keys", Keys(),
                      "--keys", TokenKeys(), "--out", d + "/custom", "--json"},
                     token_env_);
    ASSERT_OK(c);
    ASSERT_EQ(c->exit_code, 0) << c->err;
    customized_manifest_ = json::parse(c->out);
    for (const auto& e : fs::directory_iterator(d + "/custom"))
      if (e.path().string().ends_with(".raw")) customized_ = e.path();
    ASSERT_FALSE(customized_.empty());
    std::printf("customized with token keys in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  static std::string customized_;
  static json customized_manifest_;
  static std::vector<std::string> token_env_;
  static int customize_attempts_;
  static test_support::Nginx* nginx_;
  static std::string repository_;
};
std::string BootVm::customized_;
json BootVm::customized_manifest_;
std::vector<std::string> BootVm::token_env_;
int BootVm::customize_attempts_ = 0;
test_support::Nginx* BootVm::nginx_ = nullptr;
std::string BootVm::repository_;

// The default image, offline: systemd-dissect and the SPDX 2.3 schema.
TEST_F(BootVm, DissectAndSbomOfTheDefaultImage) {
  test_support::ExpectDissectSeesDpsImage(image_, manifest_["usr"]["root_hash"],
                                          manifest_["version"]);
  std::string sbom;
  for (const auto& e : fs::directory_iterator(Dir() + "/image"))
    if (e.path().string().ends_with(".spdx.json")) sbom = e.path();
  ASSERT_FALSE(sbom.empty());
  test_support::ExpectValidSpdx23(sbom, Dir());
}

// Zero AVC denials in both boots of a validation (docs/selinux.md): the
// guest's counts, the denials listed when there are any, no kernel-log
// record lost before it was read.
void ExpectNoSelinuxDenials(json boot) {
  json& guest = boot["guest"];
  for (const json& facts : {guest["phase1"]["selinux"], guest["reboot_selinux"]}) {
    EXPECT_EQ(facts, (json{{"mode", "enforcing"},
                           {"denials", 0},
                           {"first_denials", json::array()},
                           {"kmsg_lost", 0}}))
        << facts.dump(2);
  }
}

TEST_F(BootVm, ValidatesUnderSecureBootWithTpm) {
  int rc = -1;
  json j = Boot({image_, "--validate", "--secure-boot", "--keys", Keys(), "--tpm"}, &rc);
  EXPECT_EQ(rc, 0) << j.dump(2);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["root_hash"], manifest_["usr"]["root_hash"]);
  std::map<std::string, std::string> states;
  for (const auto& c : j["checks"]) states[c["name"]] = c["state"];
  for (const char* name : {"usr-verity", "usr-root-hash", "usr-read-only", "usr-full-scan",
                           "secure-boot", "lockdown", "pcr11", "selinux", "containerd",
                           "etc-overlay", "var-writable", "persist-reboot", "system-state"}) {
    EXPECT_EQ(states[name], "pass") << name << "\n" << j["checks"].dump(2);
  }
  // The second boot is a new QEMU and swtpm on the same disk, firmware
  // variables and TPM state (vm::MachineSpec::reboot).
  EXPECT_EQ(j["reboots"], 1);
  ExpectNoSelinuxDenials(j);
  ExpectPreloadedImages(j);
  std::printf("validated in %.1f s (two boots); preload stage %.1f s\n", j.value("seconds", 0.0),
              manifest_["stage_seconds"].value("preload", -1.0));
}

TEST_F(BootVm, FlippedByteInUsrGivesEioAtThatBlock) {
  std::string img = Copy("corrupt.raw");
  // usr A is partition 2 (DESIGN.md layout); find a module file's first
  // extent with dump.erofs on the partition's bytes.
  uint64_t usr = PartitionOffset(img, 2);
  std::string part = Dir() + "/usr.erofs";
  Sh(fmt::format(
      "dd if='{}' of='{}' bs=1M iflag=skip_bytes,count_bytes skip={} count={} status=none", img,
      part, usr, manifest_["sizes"]["usr_erofs_bytes"].get<uint64_t>()));
  std::string file =
      fmt::format("/lib/modules/{}/kernel/drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko",
                  manifest_["kernel"].get<std::string>());
  std::string ext = ShOut(
      fmt::format("dump.erofs -e --path='{}' '{}' | awk '$1==\"0:\" {{print $7}}'", file, part));
  ASSERT_FALSE(ext.empty()) << "no extent for " << file;
  uint64_t phys = std::stoull(ext.substr(0, ext.find('.')));
  uint64_t at = phys + 100;
  ASSERT_OK(test_support::FlipByte(img, usr + at));
  int rc = -1;
  json j = Boot({img, "--validate", "--once"}, &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(j["ok"], false);
  for (const auto& c : j["checks"]) {
    if (c["name"] == "usr-full-scan") {
      EXPECT_EQ(c["state"], "FAIL") << c.dump();
    }
  }
  const json& scan = j["guest"]["phase1"]["usr_scan"];
  EXPECT_EQ(scan["error"], "Input/output error") << scan.dump();
  EXPECT_EQ(scan["error_offset"].get<uint64_t>() / 4096, at / 4096) << scan.dump();
}

// Issue 19's proof: the default image customized (a file, an SSH user, a
// service, a sysctl, a kernel argument, an update repository) and signed
// through SoftHSM boots under Secure Boot with the token's PK, KEK and db
// certificates enrolled, and the validation shows the changes: the guest's
// /usr is the new root hash (so the new files are verity-covered, all of it
// read without error), the file and sysctl.d file have the SHA-256 of what
// was given, the sysctl is live, the user exists with its key, the units are
// enabled, the argument is in /proc/cmdline and PCR 11 is the new prediction.
// One boot (--once): the default image's validation above covers the reboot.
TEST_F(BootVm, CustomizedImageSignedInSoftHsmValidatesUnderSecureBoot) {
  ASSERT_NO_FATAL_FAILURE(MakeCustomized());
  int rc = -1;
  json j = Boot({customized_, "--validate", "--once", "--secure-boot", "--keys", TokenKeys(),
                 "--tpm", "--network"},
                &rc);
  EXPECT_EQ(rc, 0) << j.dump(2);
  EXPECT_EQ(j["ok"], true);
  const auto root_hash = customized_manifest_["usr"]["root_hash"].get<std::string>();
  EXPECT_NE(root_hash, manifest_["usr"]["root_hash"]);
  EXPECT_EQ(j["root_hash"], root_hash);
  std::map<std::string, json> checks;
  for (const auto& c : j["checks"]) checks[c["name"]] = c;
  for (const char* name : {"usr-verity", "usr-root-hash", "usr-full-scan", "secure-boot", "pcr11",
                           "selinux", "system-state"}) {
    EXPECT_EQ(checks[name]["state"], "pass") << name << "\n" << j["checks"].dump(2);
  }
  EXPECT_THAT(checks["cmdline"]["detail"].get<std::string>(), ::testing::HasSubstr(" hull.site=1"));
  const json& p = j["guest"]["phase1"];
  EXPECT_EQ(p["usr"]["root_hash"], root_hash);
  EXPECT_THAT(p["cmdline"].get<std::string>(), ::testing::HasSubstr(" hull.site=1"));
  const std::string ready = "enter-initrd:leave-initrd:sysinit:ready";
  const auto pcr = customized_manifest_["uki"]["pcr11"][ready].get<std::string>();
  EXPECT_EQ(p["pcr11"], pcr);
  EXPECT_NE(pcr, manifest_["uki"]["pcr11"][ready]);
  const json& c = p["customized"];
  const std::string d = Dir();
  auto sha = [&](const std::string& text) {
    return ShOut("printf '%s' '" + text + "' | sha256sum | cut -d' ' -f1").substr(0, 64);
  };
  EXPECT_EQ(c["files"]["/etc/sysctl.d/site.txt"], sha("site marker\n")) << c.dump(2);
  EXPECT_EQ(c["files"]["/etc/sysctl.d/90-site.conf"], sha("net.ipv4.tcp_keepalive_time = 123\n"));
  EXPECT_EQ(c["files"]["/usr/lib/hull/root.json"],
            ShOut("sha256sum '" + d + "/www/repo/root.json' | cut -d' ' -f1").substr(0, 64));
  EXPECT_EQ(c["sysctl"]["net.ipv4.tcp_keepalive_time"], "123");
  EXPECT_EQ(c["users"]["ops"]["exit"], 0) << c["users"].dump();
  EXPECT_TRUE(c["users"]["ops"]["out"].get<std::string>().starts_with("ops:"));
  EXPECT_EQ(c["users"]["ops"]["authorized_keys_sha256"],
            sha("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0ffee ops@site\n"));
  for (const char* unit : {"fstrim.timer", "hull-update.timer", "hull-update.service"})
    EXPECT_EQ(c["enabled_units"][unit], "enabled") << unit << "\n" << c.dump(2);
  // The node reached the update repository: hull-update.service succeeded,
  // its agent read the repository the image names (TUF metadata verified
  // against the root customize put in: no release in it yet), and nginx
  // logged the guest's requests.
  const json& u = p["update"];
  EXPECT_THAT(u["unit"]["out"].get<std::string>(), ::testing::HasSubstr("Result=success"))
      << u.dump(2);
  std::map<std::string, json> events;
  for (const auto& e : u["events"]) events[e.value("event", "")] = e;
  EXPECT_EQ(events["checking"]["repository"], repository_) << u.dump(2);
  EXPECT_THAT(events["idle"].dump(), ::testing::HasSubstr("the repository has no release"))
      << u.dump(2);
  ASSERT_OK_AND_ASSIGN(std::string access, ReadFileText(nginx_->access_log()));
  EXPECT_THAT(access, ::testing::HasSubstr("GET /repo/timestamp.json HTTP/1.1\" 200")) << access;
  std::printf("customized image validated in %.1f s (one boot)\n", j.value("seconds", 0.0));
}

// The customized image with its UKI signed by a key that is not in db (the
// token's db is enrolled): OVMF refuses it.
TEST_F(BootVm, UkiSignedByAKeyNotInDbIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakeCustomized());
  const std::string d = Dir(), img = d + "/badsig.raw";
  Sh(fmt::format("cp --sparse=always '{}' '{}'", customized_, img));
  const std::string esp = fmt::format("{}@@{}", img, PartitionOffset(img, 1));
  const auto uki = customized_manifest_["uki"]["file"].get<std::string>();
  auto k = Hull({"keys", "init", d + "/other"});
  ASSERT_OK(k);
  ASSERT_EQ(k->exit_code, 0);
  Sh(fmt::format("mcopy -o -i '{}' '::/EFI/Linux/{}' '{}/uki.efi'", esp, uki, d));
  auto s = Hull({"sign", d + "/uki.efi", "--key", d + "/other/db.key", "--cert",
                 d + "/other/db.crt", "--out", d + "/uki.other.efi"});
  ASSERT_OK(s);
  ASSERT_EQ(s->exit_code, 0);
  Sh(fmt::format("mcopy -o -i '{}' '{}/uki.other.efi' '::/EFI/Linux/{}'", esp, d, uki));
  int rc = -1;
  json j = Boot({img, "--secure-boot", "--keys", TokenKeys()}, &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(j["outcome"], "refused-by-firmware") << j.dump(2);
}

TEST_F(BootVm, UsrhashMatchingNoPartitionResetsInHullInit) {
  std::string img = Copy("badhash.raw");
  const std::string d = Dir(), esp = fmt::format("{}@@{}", img, PartitionOffset(img, 1));
  Sh(fmt::format("mcopy -o -i '{}' '::/EFI/Linux/{}' '{}/orig.efi'", esp, uki_, d));
  for (const char* s : {"linux", "initrd", "osrel", "uname", "cmdline"}) {
    Sh(fmt::format("objcopy -O binary --only-section=.{0} '{1}/orig.efi' '{1}/{0}.bin'", s, d));
  }
  std::string root = manifest_["usr"]["root_hash"];
  std::string wrong(64, 'e');
  Sh(fmt::format("sed 's/usrhash={}/usrhash={}/' '{}/cmdline.bin' > '{}/cmdline.new'", root, wrong,
                 d, d));
  auto u = Hull({"uki", "build", "--linux", d + "/linux.bin", "--initrd", d + "/initrd.bin",
                 "--cmdline", "@" + d + "/cmdline.new", "--os-release", d + "/osrel.bin", "--uname",
                 ShOut("cat " + d + "/uname.bin"), "--out", d + "/wrong.efi"});
  ASSERT_OK(u);
  ASSERT_EQ(u->exit_code, 0) << u->err;
  auto s = Hull({"sign", d + "/wrong.efi", "--key", Keys() + "/db.key", "--cert",
                 Keys() + "/db.crt", "--out", d + "/wrong.signed.efi"});
  ASSERT_OK(s);
  ASSERT_EQ(s->exit_code, 0);
  Sh(fmt::format("mcopy -o -i '{}' '{}/wrong.signed.efi' '::/EFI/Linux/{}'", esp, d, uki_));
  int rc = -1;
  json j = Boot({img, "--secure-boot", "--keys", Keys()}, &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(j["outcome"], "stop-line") << j.dump(2);
  std::string tail = j.value("console_tail", "");
  EXPECT_NE(tail.find("hull-init: rebooting in 5 s"), std::string::npos) << tail;
  // DPS: the usr partition's UUID is the hash's first 128 bits.
  EXPECT_NE(tail.find("no partition with UUID eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee (usr)"),
            std::string::npos)
      << tail;
}

// Returns the number after `key` on the first console line holding `key`.
uint64_t NumberAfter(const std::string& console, const std::string& key) {
  size_t at = console.find(key);
  if (at == std::string::npos) return 0;
  return std::strtoull(console.c_str() + at + key.size(), nullptr, 10);
}

// `systemd-sysext status` (systemd 252: a HIERARCHY EXTENSIONS SINCE table,
// one row per hierarchy, further extensions of a row on lines of their own
// with the first column blank) lists `name` in the /usr row: it is merged.
void ExpectSysextMerged(const json& ext, const std::string& name) {
  const std::string status = ext["sysext"].value("out", "");
  std::istringstream lines(status);
  bool in_usr = false, merged = false;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string first, second;
    words >> first >> second;
    if (line.empty() || line[0] != ' ') {
      in_usr = first == "/usr";
      merged = merged || (in_usr && second == name);
    } else {
      merged = merged || (in_usr && first == name);
    }
  }
  EXPECT_TRUE(merged) << "systemd-sysext status:\n" << status << "\n" << ext.dump(2);
}

// System extensions (docs/sysext.md), three kept in the node's
// /var/lib/hull/extensions (written into the root partition's ext4 with
// debugfs): "cni", built from specs/sysext-cni.yaml (Debian's
// containernetworking-plugins and kubectl) with a files source added, a
// service that runs kubectl, signed with the image's key for its SYSEXT_LEVEL, is
// verified, mapped under dm-verity and handed to systemd-sysext, which
// merges it into /usr; "gpu", signed by another key, and "old", built for
// another VERSION_ID, are files-only, refused, named in the agent's state,
// never reach systemd-sysext, and the node boots and validates. The node's
// own /etc (the overlay's upper directory) holds a CNI network: a bridge
// with host-local addresses, which `ctr run --cni` gives the probe
// container. The extension builds reuse the image build's cached base
// compose (and, after the first run, the cached compose with the packages).
TEST_F(BootVm, SystemExtensionsAreVerifiedAndHandedToSysext) {
  const std::string d = Dir() + "/sysext";
  const std::string src = std::getenv("HULL_SOURCE_DIR");
  const std::string units = d + "/unit/usr/lib/systemd/system";
  Sh(fmt::format(
      "mkdir -p '{0}/files/usr/share/hull-test' '{2}/multi-user.target.wants' && "
      "echo refused > '{0}/files/usr/share/hull-test/marker' && "
      "printf 'files: [unit]\\n' | cat '{1}/specs/sysext-cni.yaml' - > '{0}/cni.yaml' && "
      "printf '[Unit]\\nDescription=kubectl of the cni extension (boot_vm_test)\\n[Service]\\n"
      "Type=oneshot\\nRemainAfterExit=yes\\nExecStart=/usr/bin/kubectl version --client\\n' "
      "> '{2}/cni-kubectl.service' && "
      "ln -s ../cni-kubectl.service '{2}/multi-user.target.wants/cni-kubectl.service'",
      d, src, units));
  // The network, as a node's configuration names it (CNI spec 1.0.0).
  ASSERT_OK(WriteFileAtomic(
      d + "/10-hull-test.conflist",
      std::string(R"({"cniVersion": "1.0.0", "name": "hull-test", "plugins": [{"type": "bridge",
 "bridge": "hull-cni0", "isDefaultGateway": true, "ipMasq": false, "ipam": {"type": "host-local",
 "ranges": [[{"subnet": "10.88.7.0/24"}]]}}]}
)")));
  auto k = Hull({"keys", "init", d + "/other"});
  ASSERT_OK(k);
  ASSERT_EQ(k->exit_code, 0) << k->err;
  struct Ext {
    const char* name;
    const char* compatibility;  // nullptr: the spec is d/NAME.yaml already
    std::string keys;
  };
  const Ext exts[] = {{"cni", nullptr, Keys()},
                      {"gpu", "sysext_level: \"12\"", d + "/other"},
                      {"old", "version_id: 199001.01.0", Keys()}};
  std::vector<std::string> raws;
  for (const Ext& e : exts) {
    const std::string spec = fmt::format("{}/{}.yaml", d, e.name);
    if (e.compatibility) {
      ASSERT_OK(WriteFileAtomic(
          spec, fmt::format("name: {}\nversion: \"1\"\ncompatibility: {{id: hull, {}}}\n"
                            "files: [files]\n",
                            e.name, e.compatibility)));
    }
    auto b = Hull({"sysext", "build", spec, "--keys", e.keys, "--out", d + "/out", "--json"});
    ASSERT_OK(b);
    ASSERT_EQ(b->exit_code, 0) << b->err;
    const json m = json::parse(b->out);
    raws.push_back(
        fmt::format("{}/out/{}_{}_amd64.raw", d, e.name, m["version"].get<std::string>()));
  }
  // The CNI extension (85 MiB) does not fit the built image's root: the
  // copy grows by 192 MiB, the root partition to the disk's end (the backup
  // GPT moved there first) and its ext4 to the partition.
  std::string img = Copy("sysext.raw");
  Sh(fmt::format(
      "qemu-img resize -q -f raw '{0}' +192M && sfdisk -q --relocate gpt-bak-std '{0}' && "
      "echo ', +' | sfdisk -q -N 8 --no-reread '{0}' >/dev/null",
      img));
  auto parts = json::parse(ShOut("sfdisk --json '" + img + "'"))["partitiontable"]["partitions"];
  const uint64_t root = parts[7]["start"].get<uint64_t>() * 512;
  const uint64_t root_bytes = parts[7]["size"].get<uint64_t>() * 512;
  const std::string rootfs = d + "/root.ext4";
  Sh(
      fmt::format("dd if='{}' of='{}' bs=1M iflag=skip_bytes,count_bytes skip={} count={} "
                  "status=none && e2fsck -fp '{}' >/dev/null && resize2fs '{}' >/dev/null 2>&1",
                  img, rootfs, root, root_bytes, rootfs, rootfs));
  std::string cmds = "mkdir /var/lib\nmkdir /var/lib/hull\nmkdir /var/lib/hull/extensions\n";
  for (const auto& r : raws)
    cmds +=
        fmt::format("write {} /var/lib/hull/extensions/{}\n", r, fs::path(r).filename().string());
  // The node's /etc/cni/net.d, labelled as /etc is (etc_t).
  const std::string upper = "/var/lib/hull/etc-overlay/upper";
  cmds += fmt::format(
      "mkdir {0}/cni\nmkdir {0}/cni/net.d\nwrite {1}/10-hull-test.conflist "
      "{0}/cni/net.d/10-hull-test.conflist\n",
      upper, d);
  for (const char* p : {"/cni", "/cni/net.d", "/cni/net.d/10-hull-test.conflist"})
    cmds += fmt::format("ea_set {}{} security.selinux system_u:object_r:etc_t:s0\n", upper, p);
  ASSERT_OK(WriteFileAtomic(d + "/debugfs.cmds", cmds));
  Sh(fmt::format(
      "debugfs -w -f '{0}/debugfs.cmds' '{1}' >/dev/null 2>&1; "
      "debugfs -R 'ls -l /var/lib/hull/extensions' '{1}' 2>/dev/null | grep -c '_amd64.raw' "
      "| grep -qx 3 && debugfs -R 'ls {2}/cni/net.d' '{1}' 2>/dev/null | grep -q 10-hull-test",
      d, rootfs, upper));
  Sh(fmt::format("dd if='{}' of='{}' bs=1M oflag=seek_bytes seek={} conv=notrunc status=none",
                 rootfs, img, root));
  // The bridge plugin as Debian ships it, from the .deb the build used.
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const std::string debs = (xdg && *xdg ? std::string(xdg) + "/hull" : "/var/cache/hull") + "/debs";
  const std::string bridge_sha = ShOut(fmt::format(
      "deb=$(ls '{}'/containernetworking-plugins_*_amd64.deb | head -n1) && "
      "dpkg-deb --fsys-tarfile \"$deb\" | tar -xO ./usr/lib/cni/bridge | sha256sum | cut -c1-64",
      debs));
  ASSERT_EQ(bridge_sha.size(), 65u) << "no containernetworking-plugins .deb in " << debs;
  int rc = -1;
  json j = Boot({img, "--validate", "--once"}, &rc);
  const json& ext = j["guest"]["phase1"]["extensions"];
  std::map<std::string, json> state;
  for (const auto& e : ext["state"]) state[e.value("name", "")] = e;
  EXPECT_EQ(state["cni"]["state"], "active") << ext.dump(2);
  EXPECT_EQ(state["gpu"]["state"], "refused") << ext.dump(2);
  EXPECT_NE(state["gpu"].value("reason", "").find("not in the node's trust set"), std::string::npos)
      << ext.dump(2);
  EXPECT_EQ(state["old"]["state"], "refused") << ext.dump(2);
  EXPECT_NE(state["old"].value("reason", "").find("built for VERSION_ID=199001.01.0"),
            std::string::npos)
      << ext.dump(2);
  // systemd-sysext accepted the verified mount for this host and merged it:
  // its status lists cni under /usr, and the file the host built is in the
  // node's /usr with the host's content.
  const std::string journal = ext["journal"].value("out", "");
  EXPECT_NE(journal.find("Version info of extension 'cni' matches host."), std::string::npos)
      << journal;
  ExpectSysextMerged(ext, "cni");
  EXPECT_EQ(ext["cni_bridge_sha256"], bridge_sha.substr(0, 64)) << ext.dump(2);
  // The service the extension ships was loaded by the agent's daemon-reload
  // and started in this boot (multi-user.target queued again); kubectl ran.
  std::map<std::string, std::string> unit_props;
  std::istringstream props(ext["units"].value("cni-kubectl.service", ""));
  for (std::string line; std::getline(props, line);)
    if (size_t eq = line.find('='); eq != std::string::npos)
      unit_props[line.substr(0, eq)] = line.substr(eq + 1);
  EXPECT_EQ(unit_props, (std::map<std::string, std::string>{{"LoadState", "loaded"},
                                                            {"ActiveState", "active"},
                                                            {"Result", "success"},
                                                            {"ExecMainStatus", "0"}}))
      << ext.dump(2);
  // ctr run --cni: containerd found the network in /etc/cni/net.d and the
  // extension's plugins in /usr/lib/cni, where containerd's CRI plugin looks
  // too (Debian's config.toml); the probe container got an address of the
  // subnet on the bridge and reached the bridge's host side, which the
  // node's `ip addr` shows holding the gateway address the container used.
  const json& cni = j["guest"]["phase1"]["cni"];
  EXPECT_EQ(cni["cri_bin_dir"], "/usr/lib/cni") << cni.dump(2);
  EXPECT_EQ(cni["bridge_plugin"], "/usr/lib/cni/bridge") << cni.dump(2);
  EXPECT_EQ(cni["run"]["exit"], 0) << cni.dump(2);
  const std::string peer = cni.value("peer", "");
  EXPECT_TRUE(peer.starts_with("10.88.7.")) << cni.dump(2);
  const std::string message = cni.value("message", "");
  const std::string gateway = message.substr(std::min(message.size(), message.find(" to=") + 4));
  EXPECT_EQ(message, fmt::format("hull-cni-ok from={} to={}", peer, gateway)) << cni.dump(2);
  EXPECT_TRUE(gateway.starts_with("10.88.7.")) << cni.dump(2);
  EXPECT_NE(cni.value("bridges", "").find(fmt::format("hull-cni0    inet {}/24", gateway)),
            std::string::npos)
      << cni.dump(2);
  EXPECT_EQ(journal.find("extension 'gpu'"), std::string::npos) << journal;
  EXPECT_EQ(journal.find("extension 'old'"), std::string::npos) << journal;
  std::map<std::string, std::string> checks;
  for (const auto& c : j["checks"]) checks[c["name"]] = c["state"];
  // The OS's /usr is still the verity-backed erofs under the merged
  // overlay, and the merge adds no SELinux denial (the overlay's root is
  // labelled as /usr: src/rootfs/policy/hull.cil).
  for (const char* name : {"usr-verity", "usr-root-hash", "containerd", "system-state", "selinux"})
    EXPECT_EQ(checks[name], "pass") << name << "\n" << j["checks"].dump(2);
  // hull-extensions.service's run: three verified (two refused), one
  // mapped, mounted and merged.
  const std::string unit = ext["unit"].value("out", "");
  const uint64_t started = NumberAfter(unit, "ExecMainStartTimestampMonotonic=");
  const uint64_t exited = NumberAfter(unit, "ExecMainExitTimestampMonotonic=");
  EXPECT_GT(exited, started) << unit;
  std::printf("booted with extensions in %.1f s; hull-extensions.service ran %.3f s; selinux: %s\n",
              j.value("seconds", 0.0), double(exited - started) / 1e6,
              j["guest"]["phase1"]["selinux"].dump().c_str());
}

TEST_F(BootVm, GrownDiskWithAByteIdenticalCopyAndAStraySerialAttached) {
  const std::string d = Dir();
  std::string img = Copy("grown.raw");
  const uint64_t grown_bytes = 4ull << 30;
  Sh(fmt::format("qemu-img resize -q -f raw '{}' {}", img, grown_bytes));
  // The image attached again, byte for byte: the same disk GUID, ESP UUID
  // and usr pair. Only the firmware's boot device (BootCurrent) tells the
  // two apart at this first boot.
  std::string copy = Copy("copy.raw");
  std::string stray = d + "/stray.img";
  Sh(fmt::format("truncate -s 1M '{}'", stray));
  // What the test expects, from sfdisk: the ESP the firmware boots from, and
  // the root (partition 8) reaching the end of the 4 GiB disk, whose last
  // 33 sectors hold the backup GPT (UEFI 2.10 §5.3.2).
  auto j = json::parse(ShOut("sfdisk --json '" + image_ + "'"));
  const auto& parts = j["partitiontable"]["partitions"];
  auto lower = [](std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string esp_uuid = lower(parts[0]["uuid"]);
  const uint64_t root_start = parts[7]["start"].get<uint64_t>();
  const uint64_t root_bytes = (grown_bytes / 512 - 33 - root_start) * 512;

  vm::BootOptions o;
  o.image = img;
  o.timeout_seconds = 900;
  o.console_log = d + "/grown.console";
  o.overlay = d + "/grown.qcow2";
  o.attach = {{.path = copy, .read_only = true},
              {.path = stray, .serial = "hull-validate", .read_only = true}};
  o.until = "hull-agent: not validating:";
  auto r = vm::BootImage(o);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  auto log = ReadFileText(o.console_log, 64 << 20);
  std::string console = log.ok() ? *log : "";
  EXPECT_TRUE(r->ok) << r->failure << "\n" << r->console_tail;
  // The disk the firmware booted from, though its copy holds the same ESP
  // and usr: OVMF's boot option for the first disk (bootindex=0) names its
  // virtio controller, the only disk at that PCI function.
  EXPECT_NE(console.find("hull-init: booted from the disk holding ESP " + esp_uuid),
            std::string::npos);
  EXPECT_NE(console.find("hull-init: the firmware's boot device: PciRoot/Pci(0x"),
            std::string::npos)
      << console;
  EXPECT_NE(
      console.find("hull-init: usr /dev/vda2 usr-verity /dev/vda3 root /dev/vda8 on /dev/vda"),
      std::string::npos)
      << r->console_tail;
  // The stray serial: one line, no validation.
  EXPECT_NE(r->stop_line.find("/dev/vdc has serial 'hull-validate'"), std::string::npos)
      << r->stop_line;
  EXPECT_EQ(console.find("hull-agent: validating"), std::string::npos);
  // The root grown to the disk: partition, then file system.
  EXPECT_NE(console.find(fmt::format("hull-init: root partition /dev/vda8 grown from 64 to {} MiB",
                                     root_bytes >> 20)),
            std::string::npos)
      << console;
  const std::string fs_key = "hull-init: root file system on /dev/vda8 grown from ";
  size_t at = console.find(fs_key);
  ASSERT_NE(at, std::string::npos) << console;
  std::string line = console.substr(at, console.find('\n', at) - at);
  uint64_t block = NumberAfter(line, "blocks of ");
  EXPECT_EQ(block, 4096u) << line;  // mkfs -b 4096: online growth in 4 KiB blocks
  EXPECT_EQ(NumberAfter(line, fs_key), (64u << 20) / block) << line;
  EXPECT_EQ(NumberAfter(line, " to "), root_bytes / block) << line;
  // The booted disk has its own identity now (sfdisk reads it): a new disk
  // GUID, ESP and root UUIDs; the usr pair's UUIDs are still the root
  // hash's. The copy (attached read-only) is as it was.
  Sh(fmt::format("qemu-img convert -f qcow2 -O raw '{}' '{}/after.raw'", o.overlay, d));
  auto after = json::parse(ShOut("sfdisk --json '" + d + "/after.raw'"))["partitiontable"];
  auto copy_after = json::parse(ShOut("sfdisk --json '" + copy + "'"))["partitiontable"];
  EXPECT_NE(lower(after["id"]), lower(j["partitiontable"]["id"]));
  EXPECT_EQ(lower(copy_after["id"]), lower(j["partitiontable"]["id"]));
  for (int i : {0, 7}) {
    EXPECT_NE(lower(after["partitions"][i]["uuid"]), lower(parts[i]["uuid"])) << i;
    EXPECT_EQ(lower(copy_after["partitions"][i]["uuid"]), lower(parts[i]["uuid"])) << i;
  }
  for (int i : {1, 2}) EXPECT_EQ(lower(after["partitions"][i]["uuid"]), lower(parts[i]["uuid"]));
  // Derived from the disk GUID as docs/init.md says, computed by Python.
  for (int n : {1, 8}) {
    std::string want = ShOut(fmt::format(
        "python3 -c 'import hashlib,uuid; g=uuid.UUID(\"{}\"); "
        "h=bytearray(hashlib.sha256(b\"hull-node-disk\\0\"+g.bytes+({}).to_bytes(4,\"little\"))"
        ".digest()[:16]); h[6]=h[6]&15|64; h[8]=h[8]&63|128; print(uuid.UUID(bytes=bytes(h)))'",
        lower(after["id"]), n));
    EXPECT_EQ(lower(after["partitions"][n - 1]["uuid"]) + "\n", want) << n;
  }
  EXPECT_NE(console.find("hull-init: disk GUID " + lower(after["id"])), std::string::npos)
      << console;
  std::printf("grown disk booted in %.1f s: %s\n", r->seconds, line.c_str());
}

// The unattended install (docs/iso.md "The seed"), its own ctest entry
// (iso_install_vm_test, label vm-slow): the image's install medium, made by
// `hull disk iso --seed` so the seed is on the medium itself (a hull-seed
// partition), boots live from a CD-ROM under Secure Boot with an empty
// 4 GiB disk attached; hull-install.service installs onto the empty disk and
// powers off. Then that disk boots and validates with the medium still in
// the drive (two boots: persistence): hull-init takes the disk's /usr (the
// ESP the firmware booted from), hull-install.service does not run, and the
// seed's login user's home, made on the first boot, costs no SELinux denial.
// Its root holds the seed's configuration (/etc/hull/update.json: the seed's
// repository, channel and event console) and the user's home labelled for
// the policy, read back with debugfs.
// The boot entry (docs/iso.md "The boot entry"): the installer's Boot####,
// read from the firmware's variable store on the host after the install
// (keys::ReadVariableStore finds it, libefivar decodes it), names the
// target's ESP as sfdisk reads it and comes first in BootOrder; the
// installed disk then boots with no QEMU bootindex on any device, so by the
// store's BootOrder, and hull-init's BootCurrent line names that entry.
TEST_F(BootVm, UnattendedInstallFromTheLiveMediumThenTheInstalledDiskValidates) {
  const std::string d = Dir();
  const std::string iso = d + "/live.iso", target = d + "/target.img";
  // The events go to the serial console the test reads (/dev/console is
  // tty0, the last console= of the command line).
  const std::string key =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHullSeedTestKeyHullSeedTestKey0 ops@test";
  const std::string json_seed = R"({"hull_seed": 1, "target": "empty", "after": "poweroff",
    "update": {"repository": "http://10.0.2.2:9/seeded/", "channel": "seeded",
               "event_console": "/dev/ttyS0"},
    "users": [{"name": "ops", "ssh_authorized_keys": [")" +
                                key + R"("]}]})";
  ASSERT_OK(WriteFileAtomic(d + "/seed.json", json_seed));
  auto m = Hull({"disk", "iso", image_, "--seed", d + "/seed.json", "--out", iso});
  ASSERT_OK(m);
  ASSERT_EQ(m->exit_code, 0) << m->err;
  Sh(fmt::format("truncate -s 4G '{}'", target));
  vm::BootOptions o;
  o.image = iso;
  o.secure_boot = true;
  o.keys_dir = Keys();
  o.timeout_seconds = 1200;
  o.console_log = d + "/install.console";
  o.firmware_vars = d + "/vars.fd";  // kept: the installer's Boot#### is read back below
  o.attach = {{.path = target, .serial = "TARGET"}};
  // No stop line: the run ends when the guest powers off.
  o.until = "hull-test: a line no guest prints";
  auto r = vm::BootImage(o);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  auto log = ReadFileText(o.console_log, 64 << 20);
  const std::string console = log.ok() ? *log : "";
  std::string events;  // the agent's lines, for the messages below
  for (size_t at = console.find("HULL-AGENT {"); at != std::string::npos;
       at = console.find("HULL-AGENT {", at + 1))
    events += console.substr(at, console.find('\n', at) - at) + "\n";
  ASSERT_EQ(r->outcome, vm::Outcome::kExited) << r->failure << "\n" << events << r->console_tail;
  // (install-seed, which names the medium's drive, comes before the seed is
  // read and so goes to the journal only.)
  EXPECT_NE(console.find(R"("disk":"/dev/vda","event":"install-target","serial":"TARGET")"),
            std::string::npos)
      << events;
  EXPECT_NE(console.find(R"("event":"installed")"), std::string::npos) << events;
  EXPECT_NE(console.find(R"({"event":"powering-off"})"), std::string::npos) << events;
  EXPECT_NE(console.find("reboot: Power down"), std::string::npos) << r->console_tail;
  // The installed disk: sfdisk reads the A/B layout, the root to the end.
  auto j = json::parse(ShOut("sfdisk --json '" + target + "'"));
  ASSERT_EQ(j["partitiontable"]["partitions"].size(), 8u) << j.dump();
  const double install_seconds = r->seconds;
  // The boot entry the installer wrote, as the firmware stored it.
  const auto& esp = j["partitiontable"]["partitions"][0];
  auto lower = [](std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string esp_path =
      fmt::format("HD(1,GPT,{},0x{:x},0x{:x})/File(\\EFI\\BOOT\\BOOTX64.EFI)", lower(esp["uuid"]),
                  esp["start"].get<uint64_t>(), esp["size"].get<uint64_t>());
  const std::string installed_key = R"("boot_entry":"Boot)";
  size_t at = console.find(installed_key);
  ASSERT_NE(at, std::string::npos) << events;
  const std::string entry = console.substr(at + installed_key.size() - 4, 8);  // "Boot0004"
  EXPECT_NE(console.find(installed_key + entry.substr(4) + " (" +
                         esp_path.substr(0, esp_path.find("/File")) + "/\\\\EFI"),
            std::string::npos)
      << events;
  auto flash = ReadFileText(o.firmware_vars, 64 << 20);
  ASSERT_OK(flash);
  auto vars = keys::ReadVariableStore(AsBytes(*flash));
  ASSERT_OK(vars);
  const std::string global = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
  std::map<std::string, Bytes> live;
  for (const auto& var : *vars)
    if (var.state == keys::kVarAdded && var.vendor.ToString() == global) live[var.name] = var.data;
  ASSERT_TRUE(live.contains(entry)) << entry;
  ASSERT_OK(WriteFileAtomic(d + "/option", AsChars(live[entry])));
  EXPECT_EQ(ShOut(fmt::format("python3 '{}/tests/support/decode_load_option.py' '{}/option'",
                              std::getenv("HULL_SOURCE_DIR"), d)),
            "attributes=0x1 description=Hull path=" + esp_path + "\n");
  ASSERT_GE(live["BootOrder"].size(), 2u);
  EXPECT_EQ(fmt::format("Boot{:04X}", LoadLe16(live["BootOrder"].data())), entry);

  // That disk, with the medium still in the drive (the boot keeps its writes
  // in an overlay to read back), booted by the firmware's own BootOrder from
  // the store the install left: the installer's entry first.
  vm::BootOptions v;
  v.firmware_vars = o.firmware_vars;
  v.firmware_boot_order = true;
  v.attach = {{.path = iso, .cdrom = true}};
  v.console_log = d + "/installed.console";
  v.image = target;
  v.validate = true;
  v.secure_boot = true;
  v.keys_dir = Keys();
  v.tpm = true;
  v.timeout_seconds = 1200;
  v.overlay = d + "/installed.qcow2";
  v.agent_binary =
      (fs::path(Bin()).parent_path() / "hull-agent").string();  // as hull boot finds it
  auto b = vm::BootImage(v);
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  EXPECT_TRUE(b->ok) << b->failure << "\n" << b->console_tail;
  std::map<std::string, std::string> states;
  for (const auto& c : b->checks) states[c.name] = vm::CheckStateName(c.state);
  for (const char* name : {"usr-verity", "usr-root-hash", "usr-full-scan", "secure-boot", "pcr11",
                           "selinux", "containerd", "etc-overlay", "persist-reboot"})
    EXPECT_EQ(states[name], "pass") << name;
  // The seed's configuration in the installed root's /etc.
  Sh(fmt::format("qemu-img convert -f qcow2 -O raw '{0}/installed.qcow2' '{0}/installed.raw'", d));
  auto after = json::parse(ShOut("sfdisk --json '" + d + "/installed.raw'"));
  const auto& root = after["partitiontable"]["partitions"][7];
  Sh(
      fmt::format("dd if='{0}/installed.raw' of='{0}/root.ext4' bs=512 skip={1} count={2} "
                  "status=none",
                  d, root["start"].get<uint64_t>(), root["size"].get<uint64_t>()));
  // The validation ends with the guest still running, so what its last
  // writes renamed may be in the journal only: replay it, as a mount would
  // (exit 1: replayed and corrected), before debugfs reads the blocks.
  Sh(fmt::format("e2fsck -y -E journal_only '{}/root.ext4' >/dev/null 2>&1 || [ $? -le 1 ]", d));
  auto cat = [&](const std::string& path) {
    return ShOut(
        fmt::format("debugfs -R 'cat /var/lib/hull/etc-overlay/upper{}' '{}/root.ext4' "
                    "2>/dev/null",
                    path, d));
  };
  auto cfg = json::parse(cat("/hull/update.json"), nullptr, false);
  EXPECT_EQ(cfg.value("repository", ""), "http://10.0.2.2:9/seeded/") << cfg.dump();
  EXPECT_EQ(cfg.value("channel", ""), "seeded") << cfg.dump();
  EXPECT_EQ(cfg.value("event_console", ""), "/dev/ttyS0") << cfg.dump();
  // No second install: the medium's seed is not acted on from the disk
  // (hull-install.service runs on live boots only).
  auto vlog = ReadFileText(v.console_log, 64 << 20);
  ASSERT_OK(vlog);
  EXPECT_EQ(vlog->find("\"event\":\"install"), std::string::npos) << b->console_tail;
  // The firmware started the installer's entry (BootCurrent), a short-form
  // HD() path with no PCI node, on both boots.
  const std::string current = "hull-init: the firmware's boot device is unknown: load option " +
                              entry + " names no PCI device";
  EXPECT_NE(vlog->find(current), std::string::npos) << b->console_tail;
  EXPECT_NE(vlog->find(current, vlog->find(current) + 1), std::string::npos) << b->console_tail;
  // The seed's user: sysusers' passwd line, and the home systemd-tmpfiles
  // made labelled as the policy's file_contexts.homedirs says (the
  // selinux check above saw no denial for it).
  EXPECT_NE(cat("/passwd").find("\nops:x:"), std::string::npos) << cat("/passwd");
  auto root_cmd = [&](const std::string& req) {
    return ShOut(fmt::format("debugfs -R '{}' '{}/root.ext4' 2>/dev/null", req, d));
  };
  EXPECT_EQ(root_cmd("cat /home/ops/.ssh/authorized_keys"), key + "\n");
  for (const auto& [path, type] : std::vector<std::pair<std::string, std::string>>{
           {"/home", ":home_root_t:"},
           {"/root", "unconfined_u:object_r:user_home_dir_t:"},
           {"/home/ops", ":user_home_dir_t:"},
           {"/home/ops/.ssh", ":ssh_home_t:"},
           {"/home/ops/.ssh/authorized_keys", ":ssh_home_t:"}})
    EXPECT_NE(root_cmd("ea_get " + path + " security.selinux").find(type), std::string::npos)
        << path << ": " << root_cmd("ea_get " + path + " security.selinux");
  std::printf(
      "unattended install: live boot to power-off %.1f s; installed disk validated in "
      "%.1f s (two boots)\n",
      install_seconds, b->seconds);
}

// Netboot (docs/iso.md "Netboot"), in the slow tier with the unattended
// install (iso_install_vm_test): the image's install medium, without a
// seed, served by `hull boot --netboot` over HTTP; OVMF downloads it by
// UEFI HTTP boot into a RAM disk and boots its El Torito ESP under Secure
// Boot; hull-init finds usr and usr-verity on /dev/pmem0, and the live
// system validates in one boot. A seeded medium is refused before any boot.
TEST_F(BootVm, NetbootedMediumValidatesUnderSecureBootWithTpm) {
  const std::string d = Dir();
  const std::string iso = d + "/net.iso", seeded = d + "/net-seeded.iso";
  ASSERT_OK(
      WriteFileAtomic(d + "/net-seed.json", std::string(R"({"hull_seed": 1, "target": "empty"})")));
  auto m = Hull({"disk", "iso", image_, "--seed", d + "/net-seed.json", "--out", seeded});
  ASSERT_OK(m);
  ASSERT_EQ(m->exit_code, 0) << m->err;
  auto refused = Hull({"boot", seeded, "--netboot"});
  ASSERT_OK(refused);
  EXPECT_NE(refused->exit_code, 0);
  EXPECT_NE(refused->err.find("carries a seed (a hull-seed partition)"), std::string::npos)
      << refused->err;
  m = Hull({"disk", "iso", image_, "--out", iso});
  ASSERT_OK(m);
  ASSERT_EQ(m->exit_code, 0) << m->err;
  const std::string console = d + "/netboot.console";
  int rc = -1;
  json j = Boot({iso, "--netboot", "--validate", "--secure-boot", "--keys", Keys(), "--tpm",
                 "--console-log", console},
                &rc);
  EXPECT_EQ(rc, 0) << j.dump(2);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["root_hash"], manifest_["usr"]["root_hash"]);
  std::map<std::string, std::string> states;
  for (const auto& c : j["checks"]) states[c["name"]] = c["state"];
  for (const char* name : {"usr-verity", "usr-root-hash", "usr-read-only", "usr-full-scan",
                           "secure-boot", "lockdown", "pcr11", "selinux", "containerd"}) {
    EXPECT_EQ(states[name], "pass") << name << "\n" << j["checks"].dump(2);
  }
  EXPECT_EQ(j["reboots"], 0);
  // The whole medium went over HTTP, once.
  EXPECT_EQ(j["netboot"]["bytes"], fs::file_size(iso)) << j.dump();
  auto log = ReadFileText(console, 64 << 20);
  ASSERT_OK(log);
  EXPECT_NE(log->find(">>Start HTTP Boot over IPv4"), std::string::npos);
  EXPECT_EQ(log->find(">>Start PXE"), std::string::npos);  // PXE off: HTTP boot first
  EXPECT_NE(log->find("hull-init: live boot from the install medium on /dev/pmem0"),
            std::string::npos)
      << vm::Tail(*log, 40);
  std::printf("netboot: %.0f MiB downloaded in %.1f s (from the first GET); validated at %.1f s\n",
              j["netboot"]["bytes"].get<double>() / (1 << 20),
              j["netboot"]["last_byte_seconds"].get<double>() -
                  j["netboot"]["first_get_seconds"].get<double>(),
              j.value("seconds", 0.0));
}

}  // namespace
}  // namespace hull

// The arm64 default image (specs/immutable-arm64.yaml, built on this amd64
// host) booted for real in an emulated aarch64 machine: `hull boot` picks
// qemu-system-aarch64 -M virt with AAVMF from the UKI's PE machine type, the
// variable store formatted and enrolled with the image's keys
// (keys::MakeFirmwareVars), swtpm on a tpm-tis-device, TCG.
//   - one validation boot (--once) under Secure Boot with a TPM: every check
//     passes (dm-verity /usr with the full scan, PCR 11 against the
//     prediction for the arm64 UKI, SELinux enforcing with no denial,
//     containerd running the aarch64 hull-agent as a container);
//   - a flipped byte in a file's block of the usr partition: the guest's full
//     /usr read gets EIO at exactly that block;
//   - a UKI signed by a key that is not in db: AAVMF refuses it.
// `hull inspect` reads the image first: BOOTAA64.EFI, an AArch64 PE, for
// the AArch64 UKI. vm-slow: an aarch64 guest under TCG on 2 shared cores.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/flip_byte.h"
#include "support/status_matchers.h"
#include "vm/boot_fixture.h"

namespace hull {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// build_arm64_test's epoch: the two share the usr product cache.
constexpr char kEpoch[] = "SOURCE_DATE_EPOCH=1764028800";

std::map<std::string, json> ChecksByName(const json& j) {
  std::map<std::string, json> m;
  for (const auto& c : j["checks"]) m[c["name"].get<std::string>()] = c;
  return m;
}

using vm_test::Bin;
using vm_test::Sh;
using vm_test::ShOut;

class BootArm64Vm : public vm_test::BuiltImageTest {
 protected:
  static void SetUpTestSuite() {
    const std::string src = std::getenv("HULL_SOURCE_DIR");
    Sh("bash " + src + "/scripts/binfmt.sh arm64");
    ASSERT_NO_FATAL_FAILURE(MakeDirAndKeys(
        "hull-boot-arm64",
        {.env = {kEpoch}, .hull_minutes = 30, .boot_timeout_seconds = 1800, .boot_minutes = 35}));
    const auto start = std::chrono::steady_clock::now();
    ASSERT_NO_FATAL_FAILURE(BuildImage(src + "/specs/immutable-arm64.yaml",
                                       {"--version", "202511.25.0", "--cache", HULL_ARM64_CACHE},
                                       60));
    std::printf("arm64 build %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
};

// Offline: the ESP holds the loader AArch64 firmware starts, and it and the
// UKI are AArch64 PEs signed by db.
TEST_F(BootArm64Vm, InspectSeesTheAarch64LoaderForTheAarch64Uki) {
  auto r = Hull({"inspect", image_, "--db-cert", Keys() + "/db.crt", "--json"});
  ASSERT_OK(r);
  EXPECT_EQ(r->exit_code, 0) << r->out << r->err;
  json j = json::parse(r->out);
  EXPECT_EQ(j["verdict"], "good") << j["checks"].dump(2);
  auto checks = ChecksByName(j);
  EXPECT_EQ(checks["/EFI/BOOT/BOOTAA64.EFI: machine"]["detail"], "aarch64, as BOOTAA64.EFI says");
  EXPECT_EQ(checks["/EFI/Linux/" + uki_ + ": boot loader"]["detail"],
            "/EFI/BOOT/BOOTAA64.EFI for aarch64");
  EXPECT_EQ(checks["/EFI/BOOT/BOOTAA64.EFI: Secure Boot signature"]["state"], "pass");
  ASSERT_EQ(j["ukis"].size(), 1u);
  EXPECT_EQ(j["ukis"][0]["machine"], "aarch64");
}

// One boot for every good-path check.
TEST_F(BootArm64Vm, ValidatesUnderSecureBootWithTpm) {
  // The container check's payload is the cross-built agent: an aarch64 ELF
  // (e_machine 183, EM_AARCH64, at offset 18).
  const std::string agent = fs::path(Bin()).parent_path().string() + "/arm64/hull-agent";
  EXPECT_EQ(ShOut("od -An -tu2 -j18 -N2 '" + agent + "' | tr -d ' \\n'"), "183");
  int rc = -1;
  json j = Boot({image_, "--validate", "--once", "--secure-boot", "--keys", Keys(), "--tpm"}, &rc);
  EXPECT_EQ(rc, 0) << j.dump(2);
  EXPECT_EQ(j["ok"], true) << j.value("failure", "") << "\n" << j.value("console_tail", "");
  EXPECT_EQ(j["root_hash"], manifest_["usr"]["root_hash"]);
  auto checks = ChecksByName(j);
  for (const char* name : {"image-version", "usr-verity", "usr-root-hash", "usr-read-only",
                           "usr-full-scan", "secure-boot", "lockdown", "pcr11", "selinux",
                           "containerd", "etc-overlay", "var-writable", "system-state"}) {
    EXPECT_EQ(checks[name]["state"], "pass") << name << "\n" << j["checks"].dump(2);
  }
  const json& selinux = j["guest"]["phase1"]["selinux"];
  EXPECT_EQ(selinux, (json{{"mode", "enforcing"},
                           {"denials", 0},
                           {"first_denials", json::array()},
                           {"kmsg_lost", 0}}))
      << selinux.dump(2);
  std::printf("arm64 validated in %.1f s (one boot, Secure Boot, TPM)\n", j.value("seconds", 0.0));
}

TEST_F(BootArm64Vm, FlippedByteInUsrGivesEioAtThatBlock) {
  std::string img = Copy("corrupt.raw");
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
  uint64_t at = std::stoull(ext.substr(0, ext.find('.'))) + 100;
  ASSERT_OK(test_support::FlipByte(img, usr + at));
  int rc = -1;
  json j = Boot({img, "--validate", "--once"}, &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(ChecksByName(j)["usr-full-scan"]["state"], "FAIL") << j["checks"].dump(2);
  const json& scan = j["guest"]["phase1"]["usr_scan"];
  EXPECT_EQ(scan["error"], "Input/output error") << scan.dump();
  EXPECT_EQ(scan["error_offset"].get<uint64_t>() / 4096, at / 4096) << scan.dump();
}

TEST_F(BootArm64Vm, UkiSignedByAKeyNotInDbIsRefused) {
  std::string img = Copy("badsig.raw");
  const std::string d = Dir(), esp = fmt::format("{}@@{}", img, PartitionOffset(img, 1));
  auto k = Hull({"keys", "init", d + "/other"});
  ASSERT_OK(k);
  ASSERT_EQ(k->exit_code, 0);
  Sh(fmt::format("mcopy -o -i '{}' '::/EFI/Linux/{}' '{}/uki.efi'", esp, uki_, d));
  auto s = Hull({"sign", d + "/uki.efi", "--key", d + "/other/db.key", "--cert",
                 d + "/other/db.crt", "--out", d + "/uki.other.efi"});
  ASSERT_OK(s);
  ASSERT_EQ(s->exit_code, 0);
  Sh(fmt::format("mcopy -o -i '{}' '{}/uki.other.efi' '::/EFI/Linux/{}'", esp, d, uki_));
  int rc = -1;
  json j = Boot({img, "--secure-boot", "--keys", Keys()}, &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(j["outcome"], "refused-by-firmware") << j.dump(2);
  std::printf("arm64 refusal in %.1f s\n", j.value("seconds", 0.0));
}

}  // namespace
}  // namespace hull

// Real Secure Boot under QEMU (TCG) + OVMF_CODE_4M.secboot.fd with the store
// from `hull keys ovmf-vars`: a UKI signed by `hull sign` with db.key boots the
// kernel with Secure Boot on; the same UKI signed with another key is refused
// by the firmware ("Access Denied" on the console).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/debian_boot_files.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

class SecureBootVm : public ::testing::Test {
 protected:
  void SetUp() override {
    hull_ = std::getenv("HULL_BIN") ? std::getenv("HULL_BIN") : "";
    ASSERT_FALSE(hull_.empty());
    kernel_ = test_support::DebianKernel();
    ASSERT_FALSE(kernel_.empty()) << test_support::kNoKernelHint;
    dir_ = std::make_unique<TempDir>(std::move(TempDir::Create("sb-vm").value()));
    Must({hull_, "keys", "init", P("keys")});
    Must({hull_, "keys", "ovmf-vars", P("keys"), "--out", P("vars.fd")});
    ASSERT_OK(WriteFileAtomic(P("initrd"), "not a cpio: the kernel panics after starting"));
    ASSERT_OK(WriteFileAtomic(P("os-release"), "ID=hull\n"));
    Must({hull_, "uki", "build", "--linux", kernel_, "--initrd", P("initrd"), "--cmdline",
          "console=ttyS0 panic=-1", "--os-release", P("os-release"), "--out", P("uki.efi")});
  }
  std::string P(const std::string& n) const { return dir_->path() + "/" + n; }
  void Must(std::vector<std::string> argv) {
    auto r = hull::Run(Command{.argv = std::move(argv)});
    ASSERT_OK(r);
  }
  // Boots an ESP holding `files` (source, ESP path; directories made first)
  // with the variable store `vars`; returns the serial console output.
  std::string BootEsp(const std::vector<std::pair<std::string, std::string>>& files,
                      const std::vector<std::string>& dirs, const std::string& vars) {
    std::string esp = P("esp.img"), log = P("console.log");
    std::filesystem::remove(esp);
    Must({"mkfs.vfat", "-C", esp, "32768"});
    std::vector<std::string> mmd = {"mmd", "-i", esp};
    mmd.insert(mmd.end(), dirs.begin(), dirs.end());
    Must(mmd);
    for (const auto& [src, dst] : files) Must({"mcopy", "-i", esp, src, dst});
    auto r = hull::RunAllowFailure(Command{
        .argv =
            {"qemu-system-x86_64",
             "-machine",
             "q35,smm=on,accel=tcg",
             "-m",
             "512",
             "-global",
             "driver=cfi.pflash01,property=secure,value=on",
             "-drive",
             "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd,readonly=on",
             "-drive",
             "if=pflash,format=raw,unit=1,file=" + vars,
             "-drive",
             "file=" + esp + ",format=raw,if=virtio",
             "-nic",
             "none",
             "-display",
             "none",
             "-monitor",
             "none",
             "-serial",
             "stdio",
             "-no-reboot"},
        .timeout = std::chrono::seconds(55),
        .stdout_path = log});
    // A refused image leaves the firmware waiting in its boot menu: the
    // timeout ends that run, and the console log is what counts.
    if (!r.ok()) {
      EXPECT_ERROR(r, ErrorCode::kTimeout);
    }
    auto text = ReadFileText(log);
    return text.ok() ? *text : "";
  }
  // Boots `efi` as EFI/BOOT/BOOTX64.EFI with a fresh copy of vars.fd.
  std::string Boot(const std::string& efi) {
    std::string vars = P("vars-run.fd");
    std::filesystem::copy_file(P("vars.fd"), vars,
                               std::filesystem::copy_options::overwrite_existing);
    return BootEsp({{efi, "::/EFI/BOOT/BOOTX64.EFI"}}, {"::/EFI", "::/EFI/BOOT"}, vars);
  }

  std::string hull_, kernel_;
  std::unique_ptr<TempDir> dir_;
};

TEST_F(SecureBootVm, BootsDbSignedUkiAndRefusesOtherKey) {
  Must({hull_, "sign", P("uki.efi"), "--key", P("keys/db.key"), "--cert", P("keys/db.crt"), "--out",
        P("good.efi")});
  std::string good = Boot(P("good.efi"));
  EXPECT_NE(good.find("EFI stub: UEFI Secure Boot is enabled."), std::string::npos) << good;
  EXPECT_NE(good.find("Linux version"), std::string::npos);
  EXPECT_NE(good.find("secureboot: Secure boot enabled"), std::string::npos);

  // KEK is a valid key of the hierarchy, but only db may sign boot images.
  Must({hull_, "sign", P("uki.efi"), "--key", P("keys/KEK.key"), "--cert", P("keys/KEK.crt"),
        "--out", P("bad.efi")});
  std::string bad = Boot(P("bad.efi"));
  EXPECT_NE(bad.find("Access Denied"), std::string::npos) << bad;
  EXPECT_EQ(bad.find("Linux version"), std::string::npos);
}

// A machine in setup mode (Debian's pristine OVMF_VARS_4M.fd): systemd-boot,
// signed by db, enrols the .auth files of `hull keys auth` (secure-boot-enroll
// force, /loader/keys/auto) and resets; the next boot runs with Secure Boot on
// and starts the db-signed UKI from /EFI/Linux.
TEST_F(SecureBootVm, SystemdBootEnrolsAuthFilesInSetupMode) {
  Must({hull_, "keys", "auth", P("keys"), "--out", P("auth")});
  Must({hull_, "sign", test_support::kSystemdBoot, "--key", P("keys/db.key"), "--cert",
        P("keys/db.crt"), "--out", P("sdboot.efi")});
  Must({hull_, "sign", P("uki.efi"), "--key", P("keys/db.key"), "--cert", P("keys/db.crt"), "--out",
        P("good.efi")});
  ASSERT_OK(WriteFileAtomic(P("loader.conf"), "timeout 0\nsecure-boot-enroll force\n"));
  std::string vars = P("setup-mode.fd");
  std::filesystem::copy_file("/usr/share/OVMF/OVMF_VARS_4M.fd", vars);
  std::vector<std::pair<std::string, std::string>> files = {
      {P("sdboot.efi"), "::/EFI/BOOT/BOOTX64.EFI"},
      {P("good.efi"), "::/EFI/Linux/hull.efi"},
      {P("loader.conf"), "::/loader/loader.conf"},
      {P("auth/PK.auth"), "::/loader/keys/auto/PK.auth"},
      {P("auth/KEK.auth"), "::/loader/keys/auto/KEK.auth"},
      {P("auth/db.auth"), "::/loader/keys/auto/db.auth"}};
  std::vector<std::string> dirs = {"::/EFI",    "::/EFI/BOOT",    "::/EFI/Linux",
                                   "::/loader", "::/loader/keys", "::/loader/keys/auto"};
  std::string first = BootEsp(files, dirs, vars);
  EXPECT_NE(first.find("Enrolling secure boot keys from directory: \\loader\\keys\\auto"),
            std::string::npos)
      << first;
  EXPECT_EQ(first.find("Linux version"), std::string::npos);
  std::string second = BootEsp(files, dirs, vars);
  EXPECT_NE(second.find("secureboot: Secure boot enabled"), std::string::npos) << second;
  EXPECT_NE(second.find("Linux version"), std::string::npos);
}

}  // namespace
}  // namespace hull

// Real Secure Boot under QEMU (TCG) + OVMF_CODE_4M.secboot.fd with the store
// from `hull keys ovmf-vars`: a UKI signed by `hull sign` with db.key boots the
// kernel with Secure Boot on; the same UKI signed with another key is refused
// by the firmware ("Access Denied" on the console).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"

namespace hull {
namespace {

std::string FirstKernel() {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator("/boot")) {
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) found.push_back(e.path());
  }
  std::sort(found.begin(), found.end());
  return found.empty() ? "" : found.back();
}

class SecureBootVm : public ::testing::Test {
 protected:
  void SetUp() override {
    hull_ = std::getenv("HULL_BIN") ? std::getenv("HULL_BIN") : "";
    ASSERT_FALSE(hull_.empty());
    kernel_ = FirstKernel();
    ASSERT_FALSE(kernel_.empty()) << "no /boot/vmlinuz-*: run scripts/install-deps.sh";
    dir_ = std::make_unique<TempDir>(std::move(TempDir::Create("sb-vm").value()));
    Must({hull_, "keys", "init", P("keys")});
    Must({hull_, "keys", "ovmf-vars", P("keys"), "--out", P("vars.fd")});
    ASSERT_TRUE(WriteFileAtomic(P("initrd"), "not a cpio: the kernel panics after starting").ok());
    ASSERT_TRUE(WriteFileAtomic(P("os-release"), "ID=hull\n").ok());
    Must({hull_, "uki", "build", "--linux", kernel_, "--initrd", P("initrd"), "--cmdline",
          "console=ttyS0 panic=-1", "--os-release", P("os-release"), "--out", P("uki.efi")});
  }
  std::string P(const std::string& n) const { return dir_->path() + "/" + n; }
  void Must(std::vector<std::string> argv) {
    auto r = hull::Run(Command{.argv = std::move(argv)});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
  }
  // Boots `efi` as EFI/BOOT/BOOTX64.EFI; returns the serial console output.
  std::string Boot(const std::string& efi) {
    std::string esp = P("esp.img"), vars = P("vars-run.fd"), log = P("console.log");
    std::filesystem::remove(esp);
    std::filesystem::copy_file(P("vars.fd"), vars, std::filesystem::copy_options::overwrite_existing);
    Must({"mkfs.vfat", "-C", esp, "32768"});
    Must({"mmd", "-i", esp, "::/EFI", "::/EFI/BOOT"});
    Must({"mcopy", "-i", esp, efi, "::/EFI/BOOT/BOOTX64.EFI"});
    auto r = hull::RunAllowFailure(Command{
        .argv = {"qemu-system-x86_64", "-machine", "q35,smm=on,accel=tcg", "-m", "512",
                 "-global", "driver=cfi.pflash01,property=secure,value=on", "-drive",
                 "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd,readonly=on",
                 "-drive", "if=pflash,format=raw,unit=1,file=" + vars, "-drive",
                 "file=" + esp + ",format=raw,if=virtio", "-nic", "none", "-display", "none",
                 "-monitor", "none", "-serial", "stdio", "-no-reboot"},
        .timeout = std::chrono::seconds(55),
        .stdout_path = log});
    // A refused image leaves the firmware waiting in its boot menu: the
    // timeout ends that run, and the console log is what counts.
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), ErrorCode::kTimeout) << r.error().ToString();
    }
    auto text = ReadFileText(log);
    return text.ok() ? *text : "";
  }

  std::string hull_, kernel_;
  std::unique_ptr<TempDir> dir_;
};

TEST_F(SecureBootVm, BootsDbSignedUkiAndRefusesOtherKey) {
  Must({hull_, "sign", P("uki.efi"), "--key", P("keys/db.key"), "--cert", P("keys/db.crt"),
        "--out", P("good.efi")});
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

}  // namespace
}  // namespace hull

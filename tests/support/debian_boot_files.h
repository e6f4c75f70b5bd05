// Where Debian puts the boot files the oracle and VM tests use as real
// inputs: the installed kernel (linux-image-*) and systemd-boot's EFI
// binaries (systemd-boot-efi). scripts/install-deps.sh installs them.
#pragma once

#include <string>

namespace hull::test_support {

// systemd-stub, the UKI stub (systemd-boot-efi).
inline constexpr const char* kSystemdStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
// systemd-boot itself (systemd-boot-efi).
inline constexpr const char* kSystemdBoot = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";
// The aarch64 systemd-stub and systemd-boot (systemd-boot-efi:arm64, beside
// the amd64 package: Multi-Arch: same).
inline constexpr const char* kSystemdStubArm64 = "/usr/lib/systemd/boot/efi/linuxaa64.efi.stub";
inline constexpr const char* kSystemdBootArm64 = "/usr/lib/systemd/boot/efi/systemd-bootaa64.efi";
// What to tell the reader when DebianKernel() finds none.
inline constexpr const char* kNoKernelHint = "no /boot/vmlinuz-*: run scripts/install-deps.sh";

// The last /boot/vmlinuz-* in name order, or "" when there is none.
std::string DebianKernel();

}  // namespace hull::test_support

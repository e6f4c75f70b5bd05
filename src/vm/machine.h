// One QEMU virtual machine (x86-64: q35 and OVMF; aarch64: virt and AAVMF;
// virtio disks, serial console to a file), optionally with a swtpm TPM 2.0,
// run until a console line says it is done, the firmware refuses the boot
// image, QEMU exits, or time runs out.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace hull::vm {

inline constexpr const char* kOvmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";
inline constexpr const char* kOvmfCodeSecureBoot = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd";
inline constexpr const char* kOvmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd";
// Debian's qemu-efi-aarch64 (ArmVirtQemu): one code image, Secure Boot built
// in (enforced once PK is enrolled; no SMM on arm), a blank 64 MiB store.
inline constexpr const char* kAavmfCode = "/usr/share/AAVMF/AAVMF_CODE.fd";
inline constexpr const char* kAavmfVars = "/usr/share/AAVMF/AAVMF_VARS.fd";

enum class Accel { kTcg, kKvm };

// The guest's CPU architecture, which picks QEMU's machine.
enum class GuestArch {
  kX86_64,   // qemu-system-x86_64 -machine q35, tpm-crb
  kAarch64,  // qemu-system-aarch64 -machine virt -cpu max, tpm-tis-device
};

struct Disk {
  std::string path;
  std::string format = "raw";  // or "qcow2"
  std::string serial;          // virtio-blk serial (≤ 20 bytes)
  bool read_only = false;
  bool cdrom = false;  // an optical drive (virtio-scsi scsi-cd, 2048-byte blocks): the medium
};

struct MachineSpec {
  GuestArch arch = GuestArch::kX86_64;
  std::string firmware_code = kOvmfCode;
  std::string firmware_vars;  // a writable copy, this VM's own
  bool secure_boot = false;   // x86-64: SMM and a secure flash (the secboot firmware)
  Accel accel = Accel::kTcg;
  int memory_mib = 2048;
  int cpus = 2;
  std::vector<Disk> disks;  // the first is the boot disk
  // false: no device has a bootindex (the firmware's BootOrder decides).
  bool boot_index = true;
  std::string tpm_socket;  // swtpm control socket; empty: no TPM
  std::string console_log;
  // A guest reboot (Linux's or the firmware's reset) ends the QEMU process
  // (-no-reboot). true: RunMachine starts the machine again in new QEMU and
  // swtpm processes with the same disks, firmware variables, TPM state and
  // console log; false: the run ends (kExited). A restart rather than QEMU's
  // in-process reset: under multi-threaded TCG with SMM that reset once hung
  // the firmware with the console silent.
  bool reboot = true;
  bool user_network = false;  // a virtio NIC on QEMU's user network (host = 10.0.2.2)
  // Non-empty: the machine boots over the network instead (x86-64): that NIC
  // on QEMU's user network, first in the boot order, whose DHCP offer names
  // this URI as the boot file, and OVMF's PXE options off (fw_cfg
  // opt/org.tianocore/IPv{4,6}PXESupport), so that its UEFI HTTP boot option
  // is the one tried (docs/iso.md "Netboot"). No disk gets a bootindex.
  std::string http_boot_uri;
  // SMBIOS OEM strings (type 11) the firmware hands the guest
  // (node/smbios.h: the validation request).
  std::vector<std::string> oem_strings;
};

// The QEMU argv for `spec` (pure): qemu-system-x86_64 or qemu-system-aarch64.
std::vector<std::string> QemuArgv(const MachineSpec& spec);

enum class Outcome {
  kStopLine,  // a line of `stop_lines` appeared
  kRefused,   // the firmware refused the boot image ("Access Denied")
  kExited,    // QEMU exited (the guest powered off)
  kTimeout,
};
const char* OutcomeName(Outcome o);

struct RunOptions {
  std::vector<std::string> stop_lines;  // substrings ending the run
  // Called with each new whole console line (after stop_lines); returning
  // true ends the run as kStopLine with that line.
  std::function<bool(const std::string& line)> on_line;
  std::chrono::seconds timeout{600};
  std::string tpm_state_dir;  // with spec.tpm_socket: where swtpm keeps state
};

struct RunResult {
  Outcome outcome = Outcome::kTimeout;
  std::string stop_line;  // the whole console line that matched
  std::string console;    // the console log
  double seconds = 0;
  int qemu_status = -1;  // exit status when kExited
  int reboots = 0;       // guest reboots (each one a new QEMU process)
};

// Starts swtpm (when spec.tpm_socket is set) and QEMU, watches the console
// log, then ends both by PID. Errors: kNotFound for a missing qemu or swtpm
// (naming the Debian packages), kIo.
Result<RunResult> RunMachine(const MachineSpec& spec, const RunOptions& options);

// The last `n` lines of a console log.
std::string Tail(const std::string& console, size_t n);

}  // namespace hull::vm

// `hull-agent validate`: the node's side of `hull boot --validate` (docs/boot.md).
//
// Runs only when the machine's firmware carries the SMBIOS OEM string
// "hull.validate=reboot" or "hull.validate=once" (node/smbios.h; a test VM's
// settings, which `hull boot --validate` sets). The disk with serial
// "hull-validate" holds a small OCI image archive for the container check; a
// disk with that serial on a machine without the OEM string asks for nothing.
// Two boots ("hull.validate=once": only the first, and its report is
// printed at once):
//   1. collect facts (dm-verity /usr and its root hash, read-only /usr, Secure
//      Boot, lockdown, PCR 11, SELinux mode and denials, containerd running a
//      container from the attached image, /etc overlay and /var writable, a
//      full O_DIRECT read of /dev/mapper/usr, boot time, memory), write
//      markers into /etc and /var, keep the report, reboot;
//   2. check the markers survived, collect the SELinux denials of this second
//      boot once it has settled, print one line
//        HULL-VALIDATE {"phase1": {...}, "persist": {...}, "reboot_selinux": {...}}
//      on the serial console, power off.
// The host (src/vm) compares the facts with what the image claims.
#pragma once

#include <string>

#include "node/smbios.h"

namespace hull::agent {

inline constexpr const char* kValidatePrefix = "HULL-VALIDATE ";
inline constexpr const char* kContainerProbeOutput = "hull-container-ok";
// What the probe sends to the host side of a CNI bridge (`probe
// --gateway-port`), then "from=ADDR to=GATEWAY".
inline constexpr const char* kCniProbeOutput = "hull-cni-ok";

// The serial console `hull boot` reads: the 16550 UART on x86-64 (QEMU's
// q35), the PL011 on aarch64 (QEMU's virt machine), as the default specs'
// console= words name them.
#if defined(__aarch64__)
inline constexpr const char* kSerialConsole = "/dev/ttyAMA0";
#else
inline constexpr const char* kSerialConsole = "/dev/ttyS0";
#endif

struct ValidateOptions {
  bool if_requested = false;  // exit 0 when the machine does not ask for validation
  std::string smbios_table = node::kSmbiosTablePath;
  std::string state_dir = "/var/lib/hull/validate";
  std::string console = kSerialConsole;
  bool power = true;  // reboot / power off when done
};

// Returns the process exit code.
int RunValidate(const ValidateOptions& options);

// `hull-agent probe`: the container payload; prints kContainerProbeOutput
// with the PID it sees (1 inside a fresh PID namespace). With a
// `gateway_port`, it then connects to that TCP port of its default gateway
// (/proc/net/route) and sends kCniProbeOutput with both addresses.
int RunProbe(int gateway_port = 0);

}  // namespace hull::agent

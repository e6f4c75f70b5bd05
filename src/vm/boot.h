// `hull boot`: boots a built disk image under QEMU (x86-64: q35 + OVMF;
// aarch64: virt + AAVMF, chosen by the machine type of the image's UKI),
// optionally with Secure Boot and the image's keys enrolled and a swtpm TPM
// 2.0, and, with validate, has hull-agent prove the chain of trust inside it
// (docs/boot.md). The image itself is never written: the VM runs on a qcow2
// overlay.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "vm/machine.h"
#include "vm/report.h"

namespace hull::vm {

struct BootOptions {
  std::string image;  // a raw disk image from hull build
  bool validate = false;
  bool reboot_check = true;  // validate: reboot once to check /etc and /var persist
  bool secure_boot = false;
  std::string keys_dir;  // PK/KEK/db certificates, with secure_boot
  bool tpm = false;
  // A virtio NIC on QEMU's user network: the guest gets an address by DHCP
  // and reaches the host's loopback as 10.0.2.2 (e.g. an update repository
  // served there). Without it the machine has no network device.
  bool network = false;
  std::string accel = "auto";
  int memory_mib = 2048;
  int timeout_seconds = 600;
  std::string console_log;  // empty: kept in the temp dir only
  // The qcow2 overlay the machine writes instead of `image` (hull-init's
  // GPT rewrite, the root): empty, in the temp dir and removed; else kept
  // at this path for the caller to read.
  std::string overlay;
  // The OCI probe's payload (validate): a hull-agent of the image's
  // architecture (GuestArchOf), as the guest's containerd runs it.
  std::string agent_binary;
  // More disks after the image, e.g. a copy of the OS disk or a disk with a
  // given serial; attached as given (a copy, never the image itself).
  std::vector<Disk> attach;
  // Without validate: the console text that ends a good boot, instead of the
  // login prompt (e.g. a line a service prints after it).
  std::string until;
  // The firmware's variable store: empty, a fresh one in the temp dir (with
  // secure_boot, the keys enrolled); else this file, made so when it does
  // not exist and used as it is when it does, and kept as the firmware and
  // the guest leave it (Boot####, BootOrder) for the caller or a next boot.
  std::string firmware_vars;
  // true: no device gets a QEMU bootindex, so the firmware boots by its own
  // BootOrder (the store's) instead of QEMU's order (fw_cfg "bootorder",
  // which OVMF puts first).
  bool firmware_boot_order = false;
  // x86-64 only, `image` an install medium (.iso) without a seed: the
  // firmware downloads it by UEFI HTTP boot from a server on the host's
  // loopback (file_server.h) instead of finding it on an optical drive
  // (docs/iso.md "Netboot"). The medium stays in the guest's memory (a RAM
  // disk, /dev/pmem0), so its size is added to memory_mib.
  bool netboot = false;
};

struct BootResult {
  Outcome outcome = Outcome::kTimeout;
  Accel accel = Accel::kTcg;
  double seconds = 0;  // QEMU start to the validation line (or the end)
  int reboots = 0;     // guest reboots on the way (validate: 1)
  std::string stop_line;
  std::string console_tail;  // last lines of the console
  Expectations expected;
  nlohmann::json report;  // the guest's facts (validate)
  std::vector<ValidationCheck> checks;
  bool ok = false;      // booted (and, with validate, every check passed)
  std::string failure;  // why not, in a sentence
  // netboot: the medium's bytes served, and seconds from the server's start
  // (just before QEMU's) to the first GET and to the last byte sent (-1: never).
  uint64_t netboot_bytes = 0;
  double netboot_first_get_s = -1, netboot_last_byte_s = -1;
};

// The architecture an image boots as: its newest UKI's PE machine type
// (AArch64 or x86-64). kInvalidArgument for an image without a UKI,
// kUnsupported for another machine.
Result<GuestArch> GuestArchOf(const std::string& image);

// Errors are for what stops the run itself (no image, no UKI, no QEMU, bad
// keys); a guest that fails is a BootResult with ok = false.
Result<BootResult> BootImage(const BootOptions& options);

nlohmann::json ToJson(const BootResult& r);

}  // namespace hull::vm

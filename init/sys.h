// hull-init's syscall side: mounts, modules, the watchdog, block devices,
// device-mapper, TPM, switch_root. Each returns a Status whose message names
// the step and errno; main.cc acts on it (init/failure.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "init/dps.h"
#include "init/modules.h"
#include "init/sha256.h"
#include "node/dm.h"

namespace hull::init {

// Console: "hull-init: <msg>" to /dev/kmsg (priority 6 or 3) and /dev/console.
void Log(const std::string& msg);
void LogError(const std::string& msg);

Status MountApi();  // /proc, /sys, /dev (devtmpfs), /run
Result<std::string> ReadSmallFile(const std::string& path, size_t max = 1 << 20);
Status Mkdirs(const std::string& path, mode_t mode = 0755);
Status Mount(const std::string& src, const std::string& target, const std::string& type,
             unsigned long flags, const std::string& data = "");

// Loads `name` and its dependencies from `moddir` (finit_module; EEXIST is
// success). `loaded` collects names already handled.
Status LoadModule(const std::string& moddir, const ModuleIndex& index, const std::string& name,
                  std::set<std::string>& loaded);

// Opens /dev/watchdog (which starts it), sets its timeout (WDIOC_SETTIMEOUT)
// and closes it without the magic close character: the kernel then leaves the
// timer running ("watchdog did not stop!") until systemd opens the device
// (RuntimeWatchdogSec=) and pings it, or the timeout resets the machine.
// Returns the timeout the driver took.
Result<int> ArmWatchdog(int timeout_s);

// Whole-disk block devices (/sys/block, without loop/ram/dm/zram; with sr), as /dev
// nodes, and their GPTs. Devices without a valid GPT are left out and, when
// `unusable` is given, listed there as "<dev>: <GPT error>".
std::vector<Disk> ScanDisks(std::vector<std::string>* unusable = nullptr);

Result<uint64_t> BlockDeviceSize(const std::string& dev);
Result<uint32_t> LogicalBlockSize(const std::string& dev);  // BLKSSZGET
// The first `bytes` of `dev` into a new `file_bytes`-long sparse `file`;
// every byte read also goes into `hash` when given (hashed as copied, so
// what is checked is what the file holds).
Status CopyDeviceToFile(const std::string& dev, uint64_t bytes, const std::string& file,
                        uint64_t file_bytes, Sha256Stream* hash = nullptr);
Result<Bytes> ReadAt(const std::string& dev, uint64_t offset, size_t length);

// Extends PCR 11 SHA-256 with SHA-256(word) when /dev/tpmrm0 or /dev/tpm0
// exists. Returns false (and no error) without a TPM.
Result<bool> ExtendPhase(const std::string& word);

// What the firmware and the boot loader say about the disk booted from,
// read through efivarfs mounted for the moment: the partition UUID of the
// ESP (LoaderDevicePartUUID, node/load_option.h) and the PCI chain of the boot
// device (BootCurrent's load option). Each is empty, with its why_* set,
// when the firmware is not UEFI or the variable is absent or unreadable.
struct BootDevice {
  std::optional<Uuid> esp;
  std::vector<node::PciFunction> pci;
  std::string why_no_esp, why_no_pci;
};
BootDevice ReadBootDevice();

// The OS disk made ready (init/grow.h, init/identity.h), in one crash-safe
// GPT rewrite: the disk given its own GUID and ESP/root UUIDs at its first
// boot, the root partition extended to the end of f.disk (then
// BLKPG_RESIZE_PARTITION so the kernel sees the new size at once), and a
// primary GPT found invalid (a rewrite cut short) written again from the
// backup. Returns what was done, a line each for the log.
Result<std::vector<std::string>> PrepareOsDisk(const Found& f);
// GrowRootFs grows the ext4 file system of `dev`, mounted at `mountpoint`, to
// its partition.
Status GrowRootFs(const std::string& dev, const std::string& mountpoint);

// Moves /proc /sys /dev /run under new_root, makes it / and execs init.
Status SwitchRoot(const std::string& new_root, const std::string& init);

}  // namespace hull::init

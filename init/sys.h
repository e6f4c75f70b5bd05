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

// Whole-disk block devices (/sys/block, without loop/ram/dm/zram), as /dev
// nodes, and their GPTs. Devices without a valid GPT are left out and, when
// `unusable` is given, listed there as "<dev>: <GPT error>".
std::vector<Disk> ScanDisks(std::vector<std::string>* unusable = nullptr);

Result<uint64_t> BlockDeviceSize(const std::string& dev);
Result<Bytes> ReadAt(const std::string& dev, uint64_t offset, size_t length);

// DM_DEV_CREATE + DM_TABLE_LOAD (read-only) + resume; returns the device number.
Result<node::DevNumber> DmCreate(const std::string& name, const std::string& uuid, uint64_t sectors,
                                 const std::string& target, const std::string& params);

// Extends PCR 11 SHA-256 with SHA-256(word) when /dev/tpmrm0 or /dev/tpm0
// exists. Returns false (and no error) without a TPM.
Result<bool> ExtendPhase(const std::string& word);

// The partition UUID of the ESP the boot loader was started from
// (LoaderDevicePartUUID, init/efivar.h), read through efivarfs mounted for
// the moment. nullopt, with `why` set, when the firmware is not UEFI or the
// variable is absent or unreadable.
std::optional<Uuid> BootEspUuid(std::string* why);

// Root growth (init/grow.h). GrowRootPartitionOf extends f.root to the end of
// f.disk (a crash-safe GPT rewrite, then BLKPG_RESIZE_PARTITION so the kernel
// sees the new size at once); false when there was nothing to do.
// GrowRootFs grows the ext4 file system of `dev`, mounted at `mountpoint`, to
// its partition.
Result<bool> GrowRootPartitionOf(const Found& f);
Status GrowRootFs(const std::string& dev, const std::string& mountpoint);

// Moves /proc /sys /dev /run under new_root, makes it / and execs init.
Status SwitchRoot(const std::string& new_root, const std::string& init);

}  // namespace hull::init

// The EFI variable through which the boot loader names the disk it booted
// from: systemd-boot (and systemd-stub, when the loader did not) sets
// LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f to the partition
// UUID of the ESP it was loaded from (systemd's Boot Loader Interface). As
// efivarfs presents it, the file holds the variable's 32-bit attributes
// (little-endian) followed by the value: the UUID as UTF-16LE text,
// optionally NUL-terminated, in either case.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/uuid.h"

namespace hull::init {

inline constexpr const char* kEfivarsDir = "/sys/firmware/efi/efivars";
inline constexpr const char* kLoaderDevicePartUuidVar =
    "LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";
// The longest file accepted: attributes plus 64 UTF-16 code units.
inline constexpr size_t kMaxLoaderDevicePartUuidBytes = 4 + 2 * 64;

// Decodes the efivarfs file of LoaderDevicePartUUID. Errors (kCorrupt), each
// starting "LoaderDevicePartUUID: ":
//   "N bytes, expected 4 bytes of attributes and a UTF-16 value" (too short,
//   too long or an odd value length)
//   "character N is not printable ASCII"
//   "'TEXT' is not a UUID"
Result<Uuid> ParseLoaderDevicePartUuid(ByteSpan file);

// The firmware's own record of what it booted (UEFI 2.10 §3.3): the global
// variable BootCurrent (a UINT16) names the load option Boot#### (four
// upper-case hex digits) it started, whose EFI_LOAD_OPTION holds the device
// path of the boot device. Both in EFI_GLOBAL_VARIABLE's GUID.
inline constexpr const char* kEfiGlobalGuid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
inline constexpr size_t kMaxLoadOptionBytes = 4096;

// One PCI device path node (UEFI 2.10 §10.3.2.1): device and function.
struct PciFunction {
  uint8_t device = 0, function = 0;
  bool operator==(const PciFunction&) const = default;
};

// Decodes the efivarfs file of BootCurrent. kCorrupt "BootCurrent: N bytes,
// expected 4 bytes of attributes and 2 of value".
Result<uint16_t> ParseBootCurrent(ByteSpan file);

// "Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c" for 1.
std::string LoadOptionVariable(uint16_t number);

// The chain of PCI nodes of the first device path of an efivarfs file of a
// Boot#### load option: the PCI functions from the root bridge down to the
// boot device's controller, as in PciRoot(0x0)/Pci(0x1,0x0)/Pci(0x0,0x0)/
// NVMe(...)/HD(...). Empty when the path has no PCI node (a short-form
// HD(...) path names a partition UUID, which copies of a disk share).
// Errors (kCorrupt), each starting "load option: ": "N bytes, too short or
// too long",
// "description not terminated", "device path node at N overruns the list",
// "device path node at N has length L", "PCI node at N has length L".
Result<std::vector<PciFunction>> ParseLoadOptionPciPath(ByteSpan file);

// The PCI chain of a block device from its /sys/block/<name> link target,
// "../devices/pci0000:00/0000:00:01.0/0000:01:00.0/nvme/nvme0/nvme0n1":
// each component "DDDD:BB:DD.F" after the "pciDDDD:BB" root, in order. Empty
// for a device on no PCI bus (or a name that is not one).
std::vector<PciFunction> SysfsPciPath(std::string_view link);

// "PciRoot/Pci(0x1,0x0)/Pci(0x0,0x0)" for messages.
std::string PciPathString(const std::vector<PciFunction>& path);

}  // namespace hull::init

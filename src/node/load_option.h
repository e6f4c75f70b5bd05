// UEFI boot entries (UEFI 2.10 §3.1.3 "Load Options", §3.3 "Globally
// Defined Variables", §10.3 "Device Path Nodes"): the Boot#### load option
// the installer writes for an installed disk's ESP, and the BootOrder and
// BootNext values around it, as efivarfs presents them (a 4-byte
// little-endian attributes word, then the variable's data).
//
// EFI_LOAD_OPTION:
//   off 0  Attributes u32 (LOAD_OPTION_ACTIVE = 0x1)
//   off 4  FilePathListLength u16: bytes of the device path list below
//   off 6  Description: NUL-terminated UCS-2
//   then   FilePathList: one device path, ended by End Entire (7f ff 04 00)
//   (no OptionalData)
// The device path: a hard drive media node (type 4, subtype 1, 42 bytes:
// partition number u32, start LBA u64, size in LBAs u64, the GPT partition
// GUID as it is stored in the GPT, MBR type 2 = GPT, signature type 2 =
// GUID), then a file path node (type 4, subtype 4: the NUL-terminated UCS-2
// path). This is the "short-form" path firmware expands by finding the
// partition with that GUID on any disk (§3.1.2).
//
// One codec for hull-agent's writes (agent/boot_entry.h) and hull-init's
// reads (below): the variable names, the efivarfs files, the load options.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/uuid.h"
#include "gpt/types.h"

namespace hull::node {

// Where the kernel presents the variables (efivarfs).
inline constexpr const char* kEfivarsDir = "/sys/firmware/efi/efivars";
// EFI_GLOBAL_VARIABLE: the vendor GUID of Boot####, BootOrder, BootNext,
// BootCurrent.
inline constexpr const char* kEfiGlobalVariableGuid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
// EFI_VARIABLE_NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS (§8.2).
inline constexpr uint32_t kBootVariableAttributes = 0x1 | 0x2 | 0x4;
inline constexpr uint32_t kLoadOptionActive = 0x1;
// The longest Boot#### value read back from the firmware.
inline constexpr size_t kMaxLoadOptionBytes = 4096;
// The longest BootOrder read (it holds at most 65536 numbers).
inline constexpr size_t kMaxBootOrderBytes = 2 * 65536;

// The partition a load option boots from (an HD() node).
struct HardDrive {
  uint32_t partition = 0;  // the GPT entry's number, 1-based
  uint64_t start_lba = 0;  // in the disk's logical blocks
  uint64_t sectors = 0;
  Uuid partition_guid;
};

struct LoadOption {
  uint32_t attributes = kLoadOptionActive;
  std::string description;  // printable ASCII, shown by the firmware's menu
  HardDrive disk;
  std::string file;  // "\EFI\BOOT\BOOTX64.EFI": printable ASCII, backslashes
};

// The EFI_LOAD_OPTION bytes (no efivarfs attributes). kInvalidArgument for
// an empty or non-ASCII description or file, a file not starting with '\',
// a partition number of 0, or a value over kMaxLoadOptionBytes.
Result<Bytes> EncodeLoadOption(const LoadOption& o);

// The removable-media boot file of an architecture (§3.5.1.1, node/arch.h's
// table): "BOOTX64.EFI", "BOOTAA64.EFI"; "" for another. The ESP's path is \EFI\BOOT\<it>.
std::string_view RemovableBootFile(gpt::Arch arch);

// "Boot0004-8be4df61-93ca-11d2-aa0d-00e098032b8c" (four upper-case hex
// digits, as the firmware names them), and the other two names.
std::string BootOptionVariable(uint16_t number);
std::string BootOrderVariable();
std::string BootNextVariable();
// The number of a Boot#### variable name ("Boot000A-<guid>"), or -1.
int BootOptionNumber(std::string_view variable);

// An efivarfs file: the attributes word, then `data`.
Bytes EfivarsFile(uint32_t attributes, ByteSpan data);

// BootOrder's value: UINT16 option numbers, little-endian.
Bytes EncodeBootOrder(std::span<const uint16_t> order);
// From an efivarfs file of BootOrder (attributes, then the value). kCorrupt
// "BootOrder: N bytes, expected 4 bytes of attributes and an even number
// of bytes of option numbers" (short, odd or over kMaxBootOrderBytes).
Result<std::vector<uint16_t>> DecodeBootOrderFile(ByteSpan file);
// What can be read of a BootOrder file DecodeBootOrderFile refuses: the
// whole UINT16s after the attributes (a trailing odd byte dropped, at most
// kMaxBootOrderBytes of them); none when the file is shorter than its
// attributes. The caller keeps only the numbers that name a Boot####.
std::vector<uint16_t> SalvageBootOrderFile(ByteSpan file);

// `number` first, then `order` without it.
std::vector<uint16_t> PutFirst(std::span<const uint16_t> order, uint16_t number);

// What hull-init reads of the boot (init/sys.h): the EFI variable through
// which the boot loader names the disk it booted from: systemd-boot (and
// systemd-stub, when the loader did not) sets
// LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f to the partition
// UUID of the ESP it was loaded from (systemd's Boot Loader Interface). As
// efivarfs presents it, the file holds the variable's 32-bit attributes
// (little-endian) followed by the value: the UUID as UTF-16LE text,
// optionally NUL-terminated, in either case.
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
// variable BootCurrent (a UINT16) names the load option Boot#### it
// started, whose EFI_LOAD_OPTION holds the device path of the boot device.

// One PCI device path node (UEFI 2.10 §10.3.2.1): device and function.
struct PciFunction {
  uint8_t device = 0, function = 0;
  bool operator==(const PciFunction&) const = default;
};

// Decodes the efivarfs file of BootCurrent. kCorrupt "BootCurrent: N bytes,
// expected 4 bytes of attributes and 2 of value".
Result<uint16_t> ParseBootCurrent(ByteSpan file);
std::string BootCurrentVariable();

// The chain of PCI nodes of the first device path of an efivarfs file of a
// Boot#### load option: the PCI functions from the root bridge down to the
// boot device's controller, as in PciRoot(0x0)/Pci(0x1,0x0)/Pci(0x0,0x0)/
// NVMe(...)/HD(...). Empty when the path has no PCI node (a short-form
// HD(...) path names a partition UUID, which copies of a disk share).
// Errors (kCorrupt), each starting "load option: ": "N bytes, too short or
// too long" (over 4 + kMaxLoadOptionBytes),
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

}  // namespace hull::node

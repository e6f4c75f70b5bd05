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

// EFI_GLOBAL_VARIABLE: the vendor GUID of Boot####, BootOrder, BootNext.
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

// The removable-media boot file of an architecture (§3.5.1.1): "BOOTX64.EFI",
// "BOOTAA64.EFI"; "" for another. The ESP's path is \EFI\BOOT\<it>.
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

}  // namespace hull::node

// EDK2's authenticated variable store (the NV store in OVMF_VARS*.fd and
// AAVMF_VARS.fd): a minimal reader, enough to list variables and find
// enrolled certificates, and the writer that enrols them (one layout, below,
// for both; the two firmwares differ only in the volume around the store).
//
// Layout (EDK2 MdeModulePkg/Include/Guid/VariableFormat.h; UEFI 2.10 §32.4.1):
//   the firmware volume holds a VARIABLE_STORE_HEADER { Signature GUID
//   gEfiAuthenticatedVariableGuid aaf32c78-947b-439a-a180-2e144ec37792, Size u32,
//   Format u8 (0x5A), State u8 (0xFE), reserved u16+u32 } (28 bytes), then
//   4-byte aligned AUTHENTICATED_VARIABLE_HEADERs:
//   off 0 StartId u16 0x55AA, 2 State u8, 3 reserved, 4 Attributes u32,
//   8 MonotonicCount u64, 16 EFI_TIME (16), 32 PubKeyIndex u32, 36 NameSize u32,
//   40 DataSize u32, 44 VendorGuid (16) = 60 bytes; then the UCS-2 name and data.
// EFI_SIGNATURE_LIST (UEFI 2.10 §32.4.1): SignatureType GUID, ListSize u32,
// HeaderSize u32, SignatureSize u32, header, then entries { Owner GUID, data }.
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/uuid.h"

namespace hull::keys {

inline constexpr size_t kMaxVariables = 4096;
inline constexpr size_t kMaxSignatures = 4096;
inline constexpr uint8_t kVarAdded = 0x3F;  // State value of a live variable

struct EfiVariable {
  std::string name;  // ASCII subset of the UCS-2 name
  Uuid vendor;
  uint32_t attributes = 0;
  uint8_t state = 0;
  Bytes data;
};

// Finds the authenticated variable store in `image` and lists its variables
// (live and deleted; check `state`). kNotFound when no store header is present,
// kCorrupt for a store or header running past the image, more than
// kMaxVariables, or a name that is not NUL-terminated UCS-2.
Result<std::vector<EfiVariable>> ReadVariableStore(ByteSpan image);

// An authenticated variable to write: written live (State kVarAdded),
// MonotonicCount and PubKeyIndex 0, TimeStamp the UTC date and time of
// `timestamp` (EFI_TIME, UEFI 2.10 §8.3, nanoseconds and zone 0), as
// efitools' flash-var writes one.
struct NewVariable {
  std::string name;  // ASCII
  Uuid vendor;
  uint32_t attributes = 0;
  int64_t timestamp = 0;  // Unix time
  Bytes data;
};

// Appends `v` after the last variable of the store in `flash`, at the next
// 4-byte boundary (the padding is left as it was: erased). Errors: kNotFound
// when `flash` has no store, kInvalidArgument for a non-ASCII or empty name
// or a timestamp outside years 1900..9999, kCorrupt as ReadVariableStore,
// kInvalidArgument "no room" when the store cannot hold it.
Status AppendVariable(MutableByteSpan flash, const NewVariable& v);

// ArmVirtQemu's variable flash (Debian's qemu-efi-aarch64 AAVMF_VARS.fd, the
// second pflash of QEMU's virt machine): 64 MiB in 256 KiB erase blocks, of
// which the firmware volume holds the first three blocks: the variable
// store, the fault-tolerant-write working block and its spare
// (ArmVirtQemu.fdf's PcdFlashNvStorage*Size).
inline constexpr size_t kArmVirtFlashSize = size_t(64) << 20;
inline constexpr size_t kArmVirtBlockSize = 0x40000;
inline constexpr size_t kArmVirtVolumeSize = 3 * kArmVirtBlockSize;

// Formats `flash` (kArmVirtFlashSize bytes) as ArmVirtQemu's NOR flash
// driver does when it finds no valid volume (VirtNorFlashDxe,
// InitializeFvAndVariableStoreHeaders; FaultTolerantWriteDxe's working block
// header), so that variables can be written before the firmware's first
// boot: the EFI_FIRMWARE_VOLUME_HEADER (PI 1.7 vol. 3 §3.2.1) with
// FileSystemGuid gEfiSystemNvDataFvGuid, one block map entry for the whole
// device, and its checksum; an empty authenticated variable store after it;
// the EFI_FAULT_TOLERANT_WORKING_BLOCK_HEADER (CRC-32 taken with its Crc and
// state bits erased) at the second block; the rest of the volume erased
// (0xFF). Bytes after the volume are left as they are. kInvalidArgument for
// another size.
Status FormatArmVirtVarStore(MutableByteSpan flash);

// The X.509 DER certificates (EFI_CERT_X509_GUID entries) of a sequence of
// EFI_SIGNATURE_LISTs. kCorrupt for sizes that do not add up.
Result<std::vector<Bytes>> X509FromSignatureLists(ByteSpan esl);

}  // namespace hull::keys

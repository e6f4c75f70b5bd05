// A minimal reader of OVMF's authenticated variable store (the NV store in
// OVMF_VARS*.fd), enough to list variables and find enrolled certificates.
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

// The X.509 DER certificates (EFI_CERT_X509_GUID entries) of a sequence of
// EFI_SIGNATURE_LISTs. kCorrupt for sizes that do not add up.
Result<std::vector<Bytes>> X509FromSignatureLists(ByteSpan esl);

}  // namespace hull::keys

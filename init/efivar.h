// The EFI variable through which the boot loader names the disk it booted
// from: systemd-boot (and systemd-stub, when the loader did not) sets
// LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f to the partition
// UUID of the ESP it was loaded from (systemd's Boot Loader Interface). As
// efivarfs presents it, the file holds the variable's 32-bit attributes
// (little-endian) followed by the value: the UUID as UTF-16LE text,
// optionally NUL-terminated, in either case.
#pragma once

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

}  // namespace hull::init

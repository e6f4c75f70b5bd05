// The ISO 9660 volume and El Torito boot catalog of a hybrid image
// (ECMA-119 4th edition §8-9; "El Torito" Bootable CD-ROM Format
// Specification 1.0, §2). Hull writes only what an optical drive needs to
// boot UEFI: a primary volume descriptor with an empty root directory, the
// El Torito boot record, the terminator, the boot catalog with one
// no-emulation entry for platform 0xEF (EFI) pointing at the ESP, and the
// two path tables. Everything sits in 2048-byte blocks 16-22, inside the
// first MiB, so a GPT in 512-byte sectors (blocks 0-8) and the partitions
// from 1 MiB on are left alone (docs/iso.md).
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::disk {

inline constexpr uint32_t kIsoBlock = 2048;
inline constexpr uint32_t kIsoFirstDescriptorBlock = 16;  // after the 32 KiB system area
inline constexpr uint32_t kIsoHeaderBlocks = 7;           // blocks 16-22
// El Torito's sector count is 16 bits of 512-byte virtual sectors.
inline constexpr uint32_t kElToritoMaxSectors = 0xFFFF;

struct IsoVolume {
  std::string volume_id;      // d-characters (A-Z 0-9 _), at most 32
  uint64_t total_blocks = 0;  // the whole image in 2048-byte blocks
  int64_t epoch = 0;          // creation and modification time (SOURCE_DATE_EPOCH)
  uint32_t boot_block = 0;    // the EFI boot image's first 2048-byte block (> 22)
  uint64_t boot_bytes = 0;    // its size (the ESP's)
};

// The bytes of blocks 16-22 (kIsoHeaderBlocks * kIsoBlock), to be written at
// kIsoFirstDescriptorBlock * kIsoBlock. kInvalidArgument for a volume id that
// is not d-characters or is longer than 32, a volume above 2^32 blocks, a
// boot image inside the header or beyond the volume, or an empty boot image.
Result<Bytes> EncodeIsoHeader(const IsoVolume& v);

// The El Torito sector count for a boot image of `bytes`: 512-byte virtual
// sectors, capped at kElToritoMaxSectors (a larger ESP is still found whole
// by firmware that sizes the image from its file system, docs/iso.md).
uint16_t ElToritoSectorCount(uint64_t bytes);

// "hull-demo" -> "HULL_DEMO": upper case, anything else than A-Z 0-9 -> '_',
// at most 32 characters.
std::string IsoVolumeId(std::string_view name);

}  // namespace hull::disk

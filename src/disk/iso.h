// The hybrid install medium (docs/iso.md): one file that boots UEFI from an
// optical drive through El Torito and from a USB stick through its GPT.
//
// Layout, all in one 512-byte-sector GPT: the protective MBR and the primary
// GPT in the first 17 KiB; the ISO 9660 descriptors and the El Torito boot
// catalog in 2048-byte blocks 16-22 (disk/iso9660.h); from 1 MiB on, each on
// a 1 MiB boundary, the source image's ESP (the El Torito EFI boot image),
// its A slot's usr, usr-verity and usr-verity-sig partitions byte for byte
// with their UUIDs, and its root file system as the installer's template
// (node/medium.h); the backup GPT in the last MiB. The B slot is left out:
// the installer makes it on the target. With a seed, one more 1 MiB
// partition after the root template, `hull-seed` (node/medium.h): the seed's
// JSON, zero-padded, which `hull-agent install --from-seed` reads on a live
// boot as it reads a seed disk's.
//
// Deterministic: the disk GUID is derived from the source's, the ISO dates
// are SOURCE_DATE_EPOCH; the same image gives the same bytes. Written to a
// temp file and renamed; an error leaves nothing behind.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "gpt/gpt.h"

namespace hull::disk {

struct IsoOptions {
  std::string out;
  std::string volume_id;  // "" = from the source's ESP label; IsoVolumeId() applied
  int64_t source_date_epoch = 0;
  // The install seed's JSON to put on the medium ("" = none). The caller
  // checks it against the seed's rules (agent/seed.h ParseSeed); MakeIso
  // refuses only what the partition cannot hold (a NUL byte, more than
  // node::kMaxSeedBytes).
  std::string seed;
};

struct IsoResult {
  gpt::Table table;         // the medium's GPT
  uint64_t file_size = 0;   // bytes
  uint64_t allocated = 0;   // bytes allocated on the host file system
  uint32_t boot_block = 0;  // the ESP's first 2048-byte block
};

// The medium's GPT for a source image's GPT (pure). kInvalidArgument for a
// source not in 512-byte sectors; kNotFound "source image has no <role>
// partition" for a missing ESP, usr, usr-verity, usr-verity-sig or root.
// With `seed`, the table ends with the 1 MiB `hull-seed` partition.
Result<gpt::Table> PlanIsoTable(const gpt::Table& source, bool seed = false);

// Writes the medium for the raw GPT image at `image`.
Result<IsoResult> MakeIso(const std::string& image, const IsoOptions& options);

}  // namespace hull::disk

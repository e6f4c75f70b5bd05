// PE32+ (PE/COFF) images: decode, validate and re-encode the headers.
//
// Spec: Microsoft "PE Format" (learn.microsoft.com/windows/win32/debug/pe-format):
//   MS-DOS stub (e_lfanew at 0x3C) -> "PE\0\0" -> COFF file header (20 bytes)
//   -> optional header (PE32+ magic 0x20B, 112 bytes + 8 per data directory)
//   -> section table (40 bytes per section).
// Only PE32+ is supported (x86-64 / arm64 EFI binaries); PE32 is kUnsupported.
//
// ParsePe validates in a fixed order and returns the first failure:
//   1. size >= 64 and "MZ"                      kCorrupt "not a PE image: ..."
//   2. e_lfanew in range, "PE\0\0"               kCorrupt
//   3. COFF header; NumberOfSections <= kMaxSections          kCorrupt
//   4. optional header magic (PE32 -> kUnsupported), NumberOfRvaAndSizes <= 16,
//      SizeOfOptionalHeader large enough                      kCorrupt
//   5. alignments (powers of two, FileAlignment <= SectionAlignment), SizeOfHeaders
//      covers the section table and fits the file              kCorrupt
//   6. each section's raw data inside the file                 kCorrupt
//   7. the certificate table (security directory, a *file* offset) 8-byte
//      aligned, after all section data, ending the file        kCorrupt
// The returned PeImage records the file offsets of the fields that signing and
// UKI assembly patch (checksum, security directory, section table).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace hull::pe {

inline constexpr uint32_t kMaxSections = 96;  // Windows loader limit
inline constexpr uint32_t kMaxDataDirectories = 16;
inline constexpr uint16_t kMagicPe32 = 0x10B;
inline constexpr uint16_t kMagicPe32Plus = 0x20B;
inline constexpr uint32_t kSectionHeaderSize = 40;
inline constexpr uint32_t kOptionalHeaderFixedSize = 112;  // PE32+, before the directories
inline constexpr int kDirSecurity = 4;                     // certificate table
inline constexpr uint16_t kSubsystemEfiApplication = 10;
// COFF Machine values ("PE Format", Machine Types) of the EFI binaries Hull builds.
inline constexpr uint16_t kMachineAmd64 = 0x8664;
inline constexpr uint16_t kMachineArm64 = 0xAA64;

// Section characteristics used here.
inline constexpr uint32_t kScnCntCode = 0x00000020;
inline constexpr uint32_t kScnCntInitializedData = 0x00000040;
inline constexpr uint32_t kScnMemExecute = 0x20000000;
inline constexpr uint32_t kScnMemRead = 0x40000000;

struct DataDirectory {
  uint32_t rva = 0;  // for the security directory: a file offset
  uint32_t size = 0;
};

struct Section {
  std::string name;  // up to 8 bytes, trailing NULs removed
  uint32_t virtual_size = 0;
  uint32_t virtual_address = 0;
  uint32_t size_of_raw_data = 0;
  uint32_t pointer_to_raw_data = 0;
  uint32_t pointer_to_relocations = 0;
  uint32_t pointer_to_line_numbers = 0;
  uint16_t number_of_relocations = 0;
  uint16_t number_of_line_numbers = 0;
  uint32_t characteristics = 0;
};

struct PeImage {
  // COFF file header (off from the PE signature + 4).
  uint16_t machine = 0;
  uint32_t time_date_stamp = 0;
  uint32_t pointer_to_symbol_table = 0;
  uint32_t number_of_symbols = 0;
  uint16_t size_of_optional_header = 0;
  uint16_t characteristics = 0;
  // Optional header fields that tools read or patch; the rest stay in the file bytes.
  uint32_t size_of_code = 0;
  uint32_t size_of_initialized_data = 0;
  uint32_t address_of_entry_point = 0;
  uint32_t section_alignment = 0;
  uint32_t file_alignment = 0;
  uint32_t size_of_image = 0;
  uint32_t size_of_headers = 0;
  uint32_t checksum = 0;
  uint16_t subsystem = 0;
  std::vector<DataDirectory> directories;  // NumberOfRvaAndSizes entries
  std::vector<Section> sections;           // table order

  // File offsets of fields (computed by ParsePe, used by EncodeHeaders).
  uint32_t pe_offset = 0;  // "PE\0\0"
  uint32_t optional_header_offset = 0;
  uint32_t section_table_offset = 0;

  uint32_t checksum_offset() const { return optional_header_offset + 64; }
  // Offset of the security directory entry, or 0 if the image has fewer directories.
  uint32_t security_entry_offset() const;
  DataDirectory security() const;
  const Section* FindSection(std::string_view name) const;
  // End of the last section's raw data (or SizeOfHeaders if there is none).
  uint64_t EndOfSectionData() const;
};

Result<PeImage> ParsePe(ByteSpan file);

// "x86-64", "aarch64", else "machine 0x1c4" (lowercase hex).
std::string MachineName(uint16_t machine);
// The COFF machine of a Debian architecture (node/arch.h's table, the one
// list of architectures): amd64 -> kMachineAmd64, arm64 -> kMachineArm64;
// kInvalidArgument names the allowed ones.
Result<uint16_t> MachineOfArch(std::string_view debian_arch);
// The file name of the removable-media boot loader the firmware of a
// machine starts (/EFI/BOOT/<name>, UEFI 2.10 §3.5.1.1, node/arch.h's
// table): "BOOTX64.EFI", "BOOTAA64.EFI"; "" for another machine.
std::string_view RemovableBootFile(uint16_t machine);
// The inverse, for an upper-case file name: 0 when it names no machine here.
uint16_t MachineOfRemovableBootFile(std::string_view file);

// Writes the modelled header fields, directories and the whole section table
// back into `file` at the offsets recorded in `image` (the inverse of ParsePe
// for those fields). Fails with kInvalidArgument when the section table would
// run past SizeOfHeaders or the file.
Status EncodeHeaders(const PeImage& image, MutableByteSpan file);

// The PE checksum (imagehlp CheckSumMappedFile): 16-bit one's-complement-style
// sum with carry folding over the file with the CheckSum field taken as zero,
// plus the file length.
uint32_t ComputeChecksum(ByteSpan file, uint32_t checksum_offset);

inline uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace hull::pe

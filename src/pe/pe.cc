#include "pe/pe.h"

#include <fmt/format.h>

#include <algorithm>

#include "node/arch.h"

namespace hull::pe {
namespace {

bool IsPowerOfTwo(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

Error Corrupt(std::string msg) { return Error(ErrorCode::kCorrupt, std::move(msg)); }

// off 0x00 "MZ" ... off 0x3C e_lfanew; then "PE\0\0" and the COFF header.
Status DecodeCoff(ByteReader& r, PeImage& img, uint16_t* nsections) {
  if (r.data().size() < 64) return Corrupt("not a PE image: shorter than an MS-DOS header");
  if (r.data()[0] != 'M' || r.data()[1] != 'Z') return Corrupt("not a PE image: no MZ signature");
  HULL_TRY(r.Seek(0x3C));
  HULL_ASSIGN_OR_RETURN(img.pe_offset, r.Le32("e_lfanew"));
  uint64_t coff_end = uint64_t(img.pe_offset) + 4 + 20;
  if (img.pe_offset < 64 || coff_end > r.data().size()) {
    return Errorf(ErrorCode::kCorrupt, "e_lfanew {:#x} outside the file", img.pe_offset);
  }
  HULL_TRY(r.Seek(img.pe_offset));
  HULL_ASSIGN_OR_RETURN(uint32_t sig, r.Le32("PE signature"));
  if (sig != 0x00004550) return Corrupt("no PE\\0\\0 signature at e_lfanew");
  HULL_ASSIGN_OR_RETURN(img.machine, r.Le16("Machine"));
  HULL_ASSIGN_OR_RETURN(*nsections, r.Le16("NumberOfSections"));
  HULL_ASSIGN_OR_RETURN(img.time_date_stamp, r.Le32("TimeDateStamp"));
  HULL_ASSIGN_OR_RETURN(img.pointer_to_symbol_table, r.Le32("PointerToSymbolTable"));
  HULL_ASSIGN_OR_RETURN(img.number_of_symbols, r.Le32("NumberOfSymbols"));
  HULL_ASSIGN_OR_RETURN(img.size_of_optional_header, r.Le16("SizeOfOptionalHeader"));
  HULL_ASSIGN_OR_RETURN(img.characteristics, r.Le16("Characteristics"));
  if (*nsections > kMaxSections) {
    return Errorf(ErrorCode::kCorrupt, "{} sections (limit {})", *nsections, kMaxSections);
  }
  return Ok();
}

Status DecodeOptional(ByteReader& r, PeImage& img) {
  img.optional_header_offset = uint32_t(r.offset());
  HULL_ASSIGN_OR_RETURN(uint16_t magic, r.Le16("optional header magic"));
  if (magic == kMagicPe32) return Error(ErrorCode::kUnsupported, "PE32 images are not supported");
  if (magic != kMagicPe32Plus)
    return Errorf(ErrorCode::kCorrupt, "optional header magic {:#x}", magic);
  if (img.size_of_optional_header < kOptionalHeaderFixedSize) {
    return Errorf(ErrorCode::kCorrupt, "SizeOfOptionalHeader {} too small",
                  img.size_of_optional_header);
  }
  uint32_t base = img.optional_header_offset;
  auto field32 = [&](uint32_t off, uint32_t* out, const char* name) -> Status {
    HULL_TRY(r.Seek(base + off));
    HULL_ASSIGN_OR_RETURN(*out, r.Le32(name));
    return Ok();
  };
  HULL_TRY(field32(4, &img.size_of_code, "SizeOfCode"));
  HULL_TRY(field32(8, &img.size_of_initialized_data, "SizeOfInitializedData"));
  HULL_TRY(field32(16, &img.address_of_entry_point, "AddressOfEntryPoint"));
  HULL_TRY(field32(32, &img.section_alignment, "SectionAlignment"));
  HULL_TRY(field32(36, &img.file_alignment, "FileAlignment"));
  HULL_TRY(field32(56, &img.size_of_image, "SizeOfImage"));
  HULL_TRY(field32(60, &img.size_of_headers, "SizeOfHeaders"));
  HULL_TRY(field32(64, &img.checksum, "CheckSum"));
  HULL_TRY(r.Seek(base + 68));
  HULL_ASSIGN_OR_RETURN(img.subsystem, r.Le16("Subsystem"));
  uint32_t ndirs = 0;
  HULL_TRY(field32(108, &ndirs, "NumberOfRvaAndSizes"));
  if (ndirs > kMaxDataDirectories) {
    return Errorf(ErrorCode::kCorrupt, "{} data directories (limit {})", ndirs,
                  kMaxDataDirectories);
  }
  if (kOptionalHeaderFixedSize + 8 * ndirs > img.size_of_optional_header) {
    return Errorf(ErrorCode::kCorrupt, "{} data directories do not fit SizeOfOptionalHeader {}",
                  ndirs, img.size_of_optional_header);
  }
  img.directories.resize(ndirs);
  for (auto& d : img.directories) {
    HULL_ASSIGN_OR_RETURN(d.rva, r.Le32("data directory"));
    HULL_ASSIGN_OR_RETURN(d.size, r.Le32("data directory"));
  }
  return Ok();
}

Status ValidateLayout(const PeImage& img, uint64_t file_size, uint16_t nsections) {
  if (!IsPowerOfTwo(img.section_alignment) || !IsPowerOfTwo(img.file_alignment) ||
      img.file_alignment > img.section_alignment || img.file_alignment > 0x10000) {
    return Errorf(ErrorCode::kCorrupt, "bad alignment: SectionAlignment {:#x}, FileAlignment {:#x}",
                  img.section_alignment, img.file_alignment);
  }
  uint64_t table_end =
      uint64_t(img.section_table_offset) + uint64_t(nsections) * kSectionHeaderSize;
  if (table_end > img.size_of_headers || img.size_of_headers > file_size) {
    return Errorf(ErrorCode::kCorrupt,
                  "SizeOfHeaders {:#x} does not cover the section table (ends {:#x}) or "
                  "exceeds the file ({:#x})",
                  img.size_of_headers, table_end, file_size);
  }
  return Ok();
}

Status DecodeSections(ByteReader& r, PeImage& img, uint16_t nsections, uint64_t file_size) {
  HULL_TRY(r.Seek(img.section_table_offset));
  img.sections.resize(nsections);
  for (size_t i = 0; i < nsections; ++i) {
    Section& s = img.sections[i];
    HULL_ASSIGN_OR_RETURN(ByteSpan name, r.Take(8, "section name"));
    s.name.assign(reinterpret_cast<const char*>(name.data()), 8);
    s.name.resize(s.name.find('\0') == std::string::npos ? 8 : s.name.find('\0'));
    HULL_ASSIGN_OR_RETURN(s.virtual_size, r.Le32("VirtualSize"));
    HULL_ASSIGN_OR_RETURN(s.virtual_address, r.Le32("VirtualAddress"));
    HULL_ASSIGN_OR_RETURN(s.size_of_raw_data, r.Le32("SizeOfRawData"));
    HULL_ASSIGN_OR_RETURN(s.pointer_to_raw_data, r.Le32("PointerToRawData"));
    HULL_ASSIGN_OR_RETURN(s.pointer_to_relocations, r.Le32("PointerToRelocations"));
    HULL_ASSIGN_OR_RETURN(s.pointer_to_line_numbers, r.Le32("PointerToLinenumbers"));
    HULL_ASSIGN_OR_RETURN(s.number_of_relocations, r.Le16("NumberOfRelocations"));
    HULL_ASSIGN_OR_RETURN(s.number_of_line_numbers, r.Le16("NumberOfLinenumbers"));
    HULL_ASSIGN_OR_RETURN(s.characteristics, r.Le32("Characteristics"));
    if (s.size_of_raw_data != 0 &&
        uint64_t(s.pointer_to_raw_data) + s.size_of_raw_data > file_size) {
      return Errorf(ErrorCode::kCorrupt,
                    "section {} '{}' raw data [{:#x}, +{:#x}) past the end {:#x}", i, s.name,
                    s.pointer_to_raw_data, s.size_of_raw_data, file_size);
    }
  }
  return Ok();
}

Status ValidateSecurity(const PeImage& img, uint64_t file_size) {
  DataDirectory sec = img.security();
  if (sec.size == 0) return Ok();
  uint64_t end = uint64_t(sec.rva) + sec.size;
  if (end != file_size || sec.rva % 8 != 0 || sec.rva < img.EndOfSectionData()) {
    return Errorf(ErrorCode::kCorrupt,
                  "certificate table [{:#x}, +{:#x}) is not 8-aligned after the sections at "
                  "the end of the file ({:#x} bytes)",
                  sec.rva, sec.size, file_size);
  }
  return Ok();
}

}  // namespace

uint32_t PeImage::security_entry_offset() const {
  if (directories.size() <= kDirSecurity) return 0;
  return optional_header_offset + kOptionalHeaderFixedSize + 8 * kDirSecurity;
}

DataDirectory PeImage::security() const {
  return directories.size() > kDirSecurity ? directories[kDirSecurity] : DataDirectory{};
}

const Section* PeImage::FindSection(std::string_view name) const {
  for (const auto& s : sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

uint64_t PeImage::EndOfSectionData() const {
  uint64_t end = size_of_headers;
  for (const auto& s : sections) {
    if (s.size_of_raw_data)
      end = std::max<uint64_t>(end, uint64_t(s.pointer_to_raw_data) + s.size_of_raw_data);
  }
  return end;
}

Result<PeImage> ParsePe(ByteSpan file) {
  PeImage img;
  ByteReader r(file);
  uint16_t nsections = 0;
  HULL_TRY(DecodeCoff(r, img, &nsections));
  HULL_TRY(DecodeOptional(r, img));
  img.section_table_offset = img.optional_header_offset + img.size_of_optional_header;
  HULL_TRY(ValidateLayout(img, file.size(), nsections));
  HULL_TRY(DecodeSections(r, img, nsections, file.size()));
  HULL_TRY(ValidateSecurity(img, file.size()));
  return img;
}

Status EncodeHeaders(const PeImage& img, MutableByteSpan file) {
  uint64_t table_end =
      uint64_t(img.section_table_offset) + img.sections.size() * uint64_t(kSectionHeaderSize);
  if (img.sections.size() > kMaxSections || table_end > img.size_of_headers ||
      img.size_of_headers > file.size()) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "{} section headers end at {:#x}, past SizeOfHeaders {:#x} or the file",
                  img.sections.size(), table_end, img.size_of_headers);
  }
  uint8_t* coff = file.data() + img.pe_offset + 4;
  StoreLe16(coff + 0, img.machine);
  StoreLe16(coff + 2, uint16_t(img.sections.size()));
  StoreLe32(coff + 4, img.time_date_stamp);
  StoreLe32(coff + 8, img.pointer_to_symbol_table);
  StoreLe32(coff + 12, img.number_of_symbols);
  StoreLe16(coff + 16, img.size_of_optional_header);
  StoreLe16(coff + 18, img.characteristics);
  uint8_t* opt = file.data() + img.optional_header_offset;
  StoreLe32(opt + 4, img.size_of_code);
  StoreLe32(opt + 8, img.size_of_initialized_data);
  StoreLe32(opt + 16, img.address_of_entry_point);
  StoreLe32(opt + 32, img.section_alignment);
  StoreLe32(opt + 36, img.file_alignment);
  StoreLe32(opt + 56, img.size_of_image);
  StoreLe32(opt + 60, img.size_of_headers);
  StoreLe32(opt + 64, img.checksum);
  StoreLe16(opt + 68, img.subsystem);
  StoreLe32(opt + 108, uint32_t(img.directories.size()));
  for (size_t i = 0; i < img.directories.size(); ++i) {
    StoreLe32(opt + kOptionalHeaderFixedSize + 8 * i, img.directories[i].rva);
    StoreLe32(opt + kOptionalHeaderFixedSize + 8 * i + 4, img.directories[i].size);
  }
  for (size_t i = 0; i < img.sections.size(); ++i) {
    const Section& s = img.sections[i];
    uint8_t* h = file.data() + img.section_table_offset + i * kSectionHeaderSize;
    std::fill(h, h + 8, 0);
    std::copy_n(s.name.data(), std::min<size_t>(8, s.name.size()), h);
    StoreLe32(h + 8, s.virtual_size);
    StoreLe32(h + 12, s.virtual_address);
    StoreLe32(h + 16, s.size_of_raw_data);
    StoreLe32(h + 20, s.pointer_to_raw_data);
    StoreLe32(h + 24, s.pointer_to_relocations);
    StoreLe32(h + 28, s.pointer_to_line_numbers);
    StoreLe16(h + 32, s.number_of_relocations);
    StoreLe16(h + 34, s.number_of_line_numbers);
    StoreLe32(h + 36, s.characteristics);
  }
  return Ok();
}

uint32_t ComputeChecksum(ByteSpan file, uint32_t checksum_offset) {
  size_t n = file.size();
  uint64_t co = checksum_offset;
  auto byte = [&](size_t i) -> uint32_t { return i >= co && i < co + 4 ? 0 : file[i]; };
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i += 2) {
    uint32_t word = byte(i);
    if (i + 1 < n) word |= byte(i + 1) << 8;
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  sum = (sum & 0xffff) + (sum >> 16);
  return uint32_t(sum + n);
}

std::string MachineName(uint16_t machine) {
  if (machine == kMachineAmd64) return "x86-64";
  if (machine == kMachineArm64) return "aarch64";
  return fmt::format("machine {:#x}", machine);
}

Result<uint16_t> MachineOfArch(std::string_view debian_arch) {
  if (const node::ArchNames* a = node::ArchOfDebian(debian_arch)) return a->coff_machine;
  std::string allowed;
  for (const node::ArchNames& a : node::AllArches())
    allowed += fmt::format("{}{}", allowed.empty() ? "" : ", ", a.debian);
  return Errorf(ErrorCode::kInvalidArgument, "unknown arch '{}' (allowed: {})", debian_arch,
                allowed);
}

std::string_view RemovableBootFile(uint16_t machine) {
  const node::ArchNames* a = node::ArchOfCoffMachine(machine);
  return a ? a->removable_boot_file : "";
}

uint16_t MachineOfRemovableBootFile(std::string_view file) {
  const node::ArchNames* a = node::ArchOfRemovableBootFile(file);
  return a ? a->coff_machine : 0;
}

}  // namespace hull::pe

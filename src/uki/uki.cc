#include "uki/uki.h"

#include <algorithm>

#include "pe/pe.h"

namespace hull::uki {
namespace {

uint32_t Characteristics(const std::string& name) {
  return name == ".linux" ? pe::kScnMemRead | pe::kScnCntCode
                          : pe::kScnMemRead | pe::kScnCntInitializedData;
}

// ukify drops a trailing COFF symbol table: executables do not need it, and
// appended sections must start where it was.
Status StripSymbolTable(Bytes& file, pe::PeImage& img) {
  if (img.pointer_to_symbol_table == 0) return Ok();
  if (img.pointer_to_symbol_table < img.EndOfSectionData() ||
      img.pointer_to_symbol_table > file.size()) {
    return Errorf(ErrorCode::kUnsupported, "COFF symbol table at {:#x} is not at the end",
                  img.pointer_to_symbol_table);
  }
  file.resize(img.pointer_to_symbol_table);
  img.pointer_to_symbol_table = 0;
  img.number_of_symbols = 0;
  return Ok();
}

Status CheckHeaderSpace(const pe::PeImage& img, size_t added) {
  uint64_t first_data = img.size_of_headers;
  for (const auto& s : img.sections) {
    if (s.size_of_raw_data) first_data = std::min<uint64_t>(first_data, s.pointer_to_raw_data);
  }
  uint64_t table_end =
      img.section_table_offset + uint64_t(img.sections.size() + added) * pe::kSectionHeaderSize;
  if (table_end > first_data) {
    return Errorf(ErrorCode::kUnsupported,
                  "not enough header space for {} more sections (table would end at {:#x}, "
                  "section data starts at {:#x})",
                  added, table_end, first_data);
  }
  return Ok();
}

}  // namespace

Result<std::vector<UkiSection>> SectionsFor(const UkiInputs& in) {
  if (in.linux_image.empty()) return Error(ErrorCode::kInvalidArgument, "the kernel is empty");
  if (in.os_release.empty()) return Error(ErrorCode::kInvalidArgument, "os-release is empty");
  // ukify's join_initrds: a single initrd as is, several each padded to 4 bytes.
  Bytes initrd;
  for (const Bytes& part : in.initrds) {
    initrd.insert(initrd.end(), part.begin(), part.end());
    if (in.initrds.size() > 1) initrd.resize(pe::AlignUp(initrd.size(), 4), 0);
  }
  std::vector<UkiSection> out;
  auto add = [&](const char* name, const Bytes& data) {
    if (!data.empty()) out.push_back({name, data});
  };
  add(".osrel", in.os_release);
  add(".cmdline", in.cmdline);
  add(".dtb", in.dtb);
  add(".splash", in.splash);
  add(".initrd", initrd);
  add(".uname", in.uname);
  add(".linux", in.linux_image);
  return out;
}

Result<Bytes> AddSections(ByteSpan stub, const std::vector<UkiSection>& sections) {
  HULL_ASSIGN_OR_RETURN(pe::PeImage img, pe::ParsePe(stub).Context("stub"));
  if (img.subsystem != pe::kSubsystemEfiApplication) {
    return Errorf(ErrorCode::kInvalidArgument, "stub Subsystem is {}, not 10 (EFI application)",
                  img.subsystem);
  }
  if (img.security().size != 0) {
    return Error(ErrorCode::kInvalidArgument, "stub is signed: use the unsigned .efi.stub");
  }
  Bytes file(stub.begin(), stub.end());
  HULL_TRY(StripSymbolTable(file, img));
  HULL_TRY(CheckHeaderSpace(img, sections.size()));
  for (const UkiSection& s : sections) {
    if (s.name.empty() || s.name.size() > 8) {
      return Errorf(ErrorCode::kInvalidArgument, "section name '{}' must have 1-8 bytes", s.name);
    }
    if (img.FindSection(s.name)) {
      return Errorf(ErrorCode::kInvalidArgument, "stub already has a '{}' section", s.name);
    }
    if (s.data.size() > UINT32_MAX / 2) {
      return Errorf(ErrorCode::kInvalidArgument, "section {} too large", s.name);
    }
    uint64_t va = 0;
    for (const auto& e : img.sections) {
      va = std::max<uint64_t>(va, uint64_t(e.virtual_address) + e.virtual_size);
    }
    pe::Section sec;
    sec.name = s.name;
    sec.virtual_size = uint32_t(s.data.size());
    sec.virtual_address = uint32_t(pe::AlignUp(va, img.section_alignment));
    sec.pointer_to_raw_data = uint32_t(pe::AlignUp(file.size(), img.file_alignment));
    sec.size_of_raw_data = uint32_t(pe::AlignUp(s.data.size(), img.file_alignment));
    sec.characteristics = Characteristics(s.name);
    uint64_t end = uint64_t(sec.pointer_to_raw_data) + sec.size_of_raw_data;
    if (end > UINT32_MAX || uint64_t(sec.virtual_address) + sec.virtual_size > UINT32_MAX) {
      return Error(ErrorCode::kInvalidArgument, "image would exceed 4 GiB");
    }
    file.resize(sec.pointer_to_raw_data, 0);
    file.insert(file.end(), s.data.begin(), s.data.end());
    file.resize(end, 0);
    img.size_of_initialized_data += sec.virtual_size;
    img.size_of_image = uint32_t(
        pe::AlignUp(uint64_t(sec.virtual_address) + sec.virtual_size, img.section_alignment));
    img.sections.push_back(sec);
  }
  img.checksum = 0;
  HULL_TRY(pe::EncodeHeaders(img, file));
  return file;
}

Result<Bytes> BuildUki(const UkiInputs& in) {
  HULL_ASSIGN_OR_RETURN(pe::PeImage stub, pe::ParsePe(in.stub).Context("stub"));
  if (stub.machine != in.machine) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "stub: a PE for {}, the image is {} (use systemd-boot-efi of the image's arch)",
                  pe::MachineName(stub.machine), pe::MachineName(in.machine));
  }
  HULL_ASSIGN_OR_RETURN(auto sections, SectionsFor(in));
  return AddSections(in.stub, sections);
}

}  // namespace hull::uki

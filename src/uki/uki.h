// Unified Kernel Images: systemd-stub plus kernel, initrd, cmdline, os-release.
//
// Layout as systemd's ukify lays it out (REFERENCE §4.2, ukify.py make_uki /
// pe_add_sections): start from the unsigned stub (refused if it carries a
// certificate table), strip a trailing COFF symbol table, then append one
// section per input:
//   Name; VirtualSize = len(data); PointerToRawData = round_up(file size,
//   FileAlignment); SizeOfRawData = round_up(len, FileAlignment) (zero padded);
//   VirtualAddress = round_up(prev.VirtualAddress + prev.VirtualSize,
//   SectionAlignment); characteristics MEM_READ|CNT_INITIALIZED_DATA
//   (.linux: MEM_READ|CNT_CODE).
// Then NumberOfSections, SizeOfInitializedData += VirtualSize, CheckSum = 0,
// SizeOfImage = round_up(last.VA + last.VirtualSize, SectionAlignment).
// Order (ukify v253/254): .osrel .cmdline .dtb .splash .initrd .uname, .linux last.
// Empty optional inputs (cmdline, uname, splash, dtb) add no section.
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "pe/pe.h"

namespace hull::uki {

struct UkiSection {
  std::string name;  // <= 8 bytes
  Bytes data;
};

struct UkiInputs {
  Bytes stub;
  uint16_t machine = pe::kMachineAmd64;  // the image's: the stub must be a PE for it
  Bytes linux_image;
  std::vector<Bytes> initrds;  // one as is; several each padded to 4 bytes (ukify)
  Bytes cmdline;
  Bytes os_release;
  Bytes uname;
  Bytes splash;
  Bytes dtb;
};

// The sections BuildUki appends, in physical order.
Result<std::vector<UkiSection>> SectionsFor(const UkiInputs& in);

// Appends `sections` to `stub` as described above.
// Errors: ParsePe's errors (context "stub"); kInvalidArgument for a stub that is
// signed or not an EFI application (Subsystem 10),
// a section name over 8 bytes or a duplicate of an existing section;
// kUnsupported "not enough header space ..." when the section table would run
// into the first section's data.
Result<Bytes> AddSections(ByteSpan stub, const std::vector<UkiSection>& sections);

// SectionsFor + AddSections. The result is unsigned (sign with pe::SignImage).
// kInvalidArgument when the stub's COFF machine is not in.machine (an x86-64
// stub for an arm64 image, or the reverse).
Result<Bytes> BuildUki(const UkiInputs& in);

}  // namespace hull::uki

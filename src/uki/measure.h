// PCR 11 prediction for a UKI, as systemd-stub measures it and
// systemd-measure calculates it (REFERENCE §4.3; systemd src/boot/efi/stub.c,
// src/fundamental/tpm-pcr.c (252) / uki.h (253+), src/measure/measure.c):
//   PCR := 0^n
//   for each section of the stub version's canonical list, present with
//   VirtualSize > 0, except .pcrsig:
//     PCR := H(PCR || H(name || "\0"));  PCR := H(PCR || H(VirtualSize bytes))
//   for each word of a phase path "a:b:c":  PCR := H(PCR || H(word))  (no NUL)
// Section contents are VirtualSize bytes, zero-filled past SizeOfRawData, as the
// loaded image holds them. The list is the one of the stub inside the UKI,
// identified by its ".sdmagic" string "#### LoaderInfo: systemd-stub <version> ####".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "crypto/digest.h"

namespace hull::uki {

// Zeros hashed past a section's raw data (VirtualSize > SizeOfRawData, e.g. a
// kernel whose SizeOfImage exceeds its file) are capped: beyond this the image is
// refused with kUnsupported rather than hashing gigabytes of zeros.
inline constexpr uint64_t kMaxSectionZeroFill = uint64_t(128) << 20;

// The phase paths systemd-measure calculates and signs by default.
inline const std::vector<std::string> kDefaultPhasePaths = {
    "enter-initrd", "enter-initrd:leave-initrd", "enter-initrd:leave-initrd:sysinit",
    "enter-initrd:leave-initrd:sysinit:ready"};

// Canonical measurement order for a systemd-stub major version:
//   <= 252: .linux .osrel .cmdline .initrd .splash .dtb .pcrsig .pcrpkey
//   >= 253: .linux .osrel .cmdline .initrd .ucode .splash .dtb .uname .sbat
//           .pcrsig .pcrpkey .profile (uki.h, "PLEASE DO NOT REORDER")
const std::vector<std::string_view>& CanonicalSections(int stub_version);

// "systemd-stub 252.39-1~deb12u2" -> 252, from the .sdmagic section.
// kUnsupported when the image has no recognisable .sdmagic.
Result<int> StubVersion(ByteSpan uki);

struct MeasuredSection {
  std::string name;
  uint64_t size = 0;
  Bytes digest;  // H(content) in the chosen bank
};

struct Pcr11Prediction {
  int stub_version = 0;
  crypto::DigestAlgorithm bank = crypto::DigestAlgorithm::kSha256;
  std::vector<MeasuredSection> sections;  // in measurement order
  Bytes after_sections;                   // PCR 11 when the stub hands over
  // PCR 11 after each phase path (same order as requested).
  std::vector<std::pair<std::string, Bytes>> phases;
};

// Extends `pcr` by H(word) for each colon-separated word of `phase_path`.
// kInvalidArgument for an empty word ("a::b") or non-printable characters.
Result<Bytes> ExtendPhasePath(Bytes pcr, crypto::DigestAlgorithm bank, std::string_view phase_path);

// Parses the UKI (pe::ParsePe errors with context "UKI"), finds the stub
// version, and predicts PCR 11 after the sections and after each phase path.
// kInvalidArgument when the UKI has no .linux section; kUnsupported past
// kMaxSectionZeroFill.
Result<Pcr11Prediction> PredictPcr11(ByteSpan uki, crypto::DigestAlgorithm bank,
                                     const std::vector<std::string>& phase_paths);

}  // namespace hull::uki

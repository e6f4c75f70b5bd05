#include "uki/measure.h"

#include <algorithm>
#include <charconv>

#include "pe/pe.h"

namespace hull::uki {
namespace {

// PCR := H(PCR || digest)
Bytes ExtendDigest(crypto::DigestAlgorithm bank, const Bytes& pcr, ByteSpan digest) {
  crypto::Hasher h(bank);
  h.Update(pcr);
  h.Update(digest);
  return h.Final();
}

// PCR := H(PCR || H(data))
Bytes Extend(crypto::DigestAlgorithm bank, const Bytes& pcr, ByteSpan data) {
  return ExtendDigest(bank, pcr, crypto::Digest(bank, data));
}

// The section as the loaded image holds it: VirtualSize bytes, raw data first,
// zeros after SizeOfRawData. Hashed in place, so a huge VirtualSize costs no memory.
Result<Bytes> HashSection(crypto::DigestAlgorithm bank, ByteSpan file, const pe::Section& s) {
  uint64_t raw = std::min(s.virtual_size, s.size_of_raw_data);
  if (s.virtual_size - raw > kMaxSectionZeroFill) {
    return Errorf(ErrorCode::kUnsupported,
                  "section {} VirtualSize {:#x} exceeds its raw data by more than {} MiB", s.name,
                  s.virtual_size, kMaxSectionZeroFill >> 20);
  }
  crypto::Hasher h(bank);
  h.Update(file.subspan(s.pointer_to_raw_data, raw));
  static const Bytes kZeros(1 << 16, 0);
  for (uint64_t left = s.virtual_size - raw; left > 0;) {
    size_t n = size_t(std::min<uint64_t>(left, kZeros.size()));
    h.Update(ByteSpan(kZeros.data(), n));
    left -= n;
  }
  return h.Final();
}

}  // namespace

const std::vector<std::string_view>& CanonicalSections(int stub_version) {
  static const std::vector<std::string_view> k252 = {".linux",  ".osrel", ".cmdline", ".initrd",
                                                     ".splash", ".dtb",   ".pcrsig",  ".pcrpkey"};
  static const std::vector<std::string_view> kUkiH = {".linux", ".osrel",  ".cmdline", ".initrd",
                                                      ".ucode", ".splash", ".dtb",     ".uname",
                                                      ".sbat",  ".pcrsig", ".pcrpkey", ".profile"};
  return stub_version <= 252 ? k252 : kUkiH;
}

Result<int> StubVersion(ByteSpan uki) {
  HULL_ASSIGN_OR_RETURN(pe::PeImage img, pe::ParsePe(uki).Context("UKI"));
  // "#### LoaderInfo: systemd-stub <version> ####": short; more is not read.
  constexpr size_t kMaxText = 256;
  constexpr std::string_view kLoaderInfo = "#### LoaderInfo: systemd-stub ";
  std::string_view text;
  if (const pe::Section* magic = img.FindSection(".sdmagic")) {
    size_t n = std::min<size_t>({magic->virtual_size, magic->size_of_raw_data, kMaxText});
    text = AsChars(uki.subspan(magic->pointer_to_raw_data, n));
  } else {
    // Debian 12's aarch64 stub has a hand-made PE header with only .text and
    // .data; its LoaderInfo string follows .data's raw data in the file, in
    // no section, and a UKI keeps it there, before the sections the UKI adds.
    // Only those bytes are searched, never the kernel's or the initrd's.
    size_t end = uki.size();
    for (const pe::Section& sec : img.sections) {
      if (sec.name != ".text" && sec.name != ".data" && sec.size_of_raw_data != 0)
        end = std::min<size_t>(end, sec.pointer_to_raw_data);
    }
    std::string_view head = AsChars(uki.first(end));
    size_t at = head.find(kLoaderInfo);
    if (at == std::string_view::npos) {
      return Error(ErrorCode::kUnsupported, "no .sdmagic section: not a systemd-stub UKI");
    }
    text = head.substr(at, kMaxText);
  }
  text = text.substr(0, text.find('\0'));
  constexpr std::string_view kTag = "systemd-stub ";
  size_t at = text.find(kTag);
  int version = 0;
  if (at != std::string_view::npos) {
    const char* p = text.data() + at + kTag.size();
    auto [end, ec] = std::from_chars(p, text.data() + text.size(), version);
    if (ec != std::errc() || end == p) version = 0;
  }
  if (version <= 0) {
    return Errorf(ErrorCode::kUnsupported, "cannot read a systemd-stub version from .sdmagic '{}'",
                  std::string(text.substr(0, std::min<size_t>(text.size(), 64))));
  }
  return version;
}

Result<Bytes> ExtendPhasePath(Bytes pcr, crypto::DigestAlgorithm bank, std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string_view word =
        path.substr(start, colon == std::string_view::npos ? colon : colon - start);
    if (word.empty())
      return Errorf(ErrorCode::kInvalidArgument, "empty word in phase path '{}'", path);
    for (char c : word) {
      if (c <= ' ' || c > '~') {
        return Errorf(ErrorCode::kInvalidArgument, "invalid character in phase path '{}'", path);
      }
    }
    pcr = Extend(bank, pcr, AsBytes(word));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  return pcr;
}

Result<Pcr11Prediction> PredictPcr11(ByteSpan uki, crypto::DigestAlgorithm bank,
                                     const std::vector<std::string>& phase_paths) {
  HULL_ASSIGN_OR_RETURN(pe::PeImage img, pe::ParsePe(uki).Context("UKI"));
  Pcr11Prediction p;
  p.bank = bank;
  HULL_ASSIGN_OR_RETURN(p.stub_version, StubVersion(uki));
  if (!img.FindSection(".linux"))
    return Error(ErrorCode::kInvalidArgument, "UKI has no .linux section");
  Bytes pcr(crypto::DigestSize(bank), 0);
  for (std::string_view name : CanonicalSections(p.stub_version)) {
    if (name == ".pcrsig") continue;  // signs PCR 11, so cannot be part of it
    const pe::Section* s = img.FindSection(name);
    if (!s || s->virtual_size == 0) continue;
    std::string with_nul(name);
    with_nul.push_back('\0');
    pcr = Extend(bank, pcr, AsBytes(with_nul));
    HULL_ASSIGN_OR_RETURN(Bytes digest, HashSection(bank, uki, *s));
    pcr = ExtendDigest(bank, pcr, digest);
    p.sections.push_back({std::string(name), s->virtual_size, std::move(digest)});
  }
  p.after_sections = pcr;
  for (const std::string& path : phase_paths) {
    HULL_ASSIGN_OR_RETURN(Bytes v, ExtendPhasePath(pcr, bank, path));
    p.phases.emplace_back(path, std::move(v));
  }
  return p;
}

}  // namespace hull::uki

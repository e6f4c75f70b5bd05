#include "uki/measure.h"

#include <algorithm>
#include <charconv>

#include "pe/pe.h"

namespace hull::uki {
namespace {

Bytes Extend(crypto::DigestAlgorithm bank, const Bytes& pcr, ByteSpan data) {
  Bytes inner = crypto::Digest(bank, data);
  crypto::Hasher h(bank);
  h.Update(pcr);
  h.Update(inner);
  return h.Final();
}

// The section as the loaded image holds it: VirtualSize bytes, raw data first,
// zeros after SizeOfRawData.
Bytes SectionContent(ByteSpan file, const pe::Section& s) {
  Bytes out(s.virtual_size, 0);
  size_t n = std::min(s.virtual_size, s.size_of_raw_data);
  std::copy_n(file.begin() + s.pointer_to_raw_data, n, out.begin());
  return out;
}

}  // namespace

const std::vector<std::string_view>& CanonicalSections(int stub_version) {
  static const std::vector<std::string_view> k252 = {".linux",  ".osrel", ".cmdline",
                                                     ".initrd", ".splash", ".dtb",
                                                     ".pcrsig", ".pcrpkey"};
  static const std::vector<std::string_view> kUkiH = {
      ".linux", ".osrel", ".cmdline", ".initrd", ".ucode",   ".splash",
      ".dtb",   ".uname", ".sbat",    ".pcrsig", ".pcrpkey", ".profile"};
  return stub_version <= 252 ? k252 : kUkiH;
}

Result<int> StubVersion(ByteSpan uki) {
  HULL_ASSIGN_OR_RETURN(pe::PeImage img, pe::ParsePe(uki).Context("UKI"));
  const pe::Section* magic = img.FindSection(".sdmagic");
  if (!magic) return Error(ErrorCode::kUnsupported, "no .sdmagic section: not a systemd-stub UKI");
  Bytes content = SectionContent(uki, *magic);
  std::string_view text = AsChars(content);
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
    std::string_view word = path.substr(start, colon == std::string_view::npos ? colon : colon - start);
    if (word.empty()) return Errorf(ErrorCode::kInvalidArgument, "empty word in phase path '{}'", path);
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
  if (!img.FindSection(".linux")) return Error(ErrorCode::kInvalidArgument, "UKI has no .linux section");
  Bytes pcr(crypto::DigestSize(bank), 0);
  for (std::string_view name : CanonicalSections(p.stub_version)) {
    if (name == ".pcrsig") continue;  // signs PCR 11, so cannot be part of it
    const pe::Section* s = img.FindSection(name);
    if (!s || s->virtual_size == 0) continue;
    std::string with_nul(name);
    with_nul.push_back('\0');
    pcr = Extend(bank, pcr, AsBytes(with_nul));
    Bytes content = SectionContent(uki, *s);
    p.sections.push_back({std::string(name), content.size(), crypto::Digest(bank, content)});
    pcr = Extend(bank, pcr, content);
  }
  p.after_sections = pcr;
  for (const std::string& path : phase_paths) {
    HULL_ASSIGN_OR_RETURN(Bytes v, ExtendPhasePath(pcr, bank, path));
    p.phases.emplace_back(path, std::move(v));
  }
  return p;
}

}  // namespace hull::uki

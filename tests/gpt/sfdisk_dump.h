// Renders a GPT table the way `sfdisk --dump` (util-linux 2.38) prints it, so
// oracle tests can compare Hull's view of a disk with sfdisk's, byte for byte.
#pragma once

#include <cctype>
#include <string>

#include <fmt/format.h>

#include "gpt/gpt.h"

namespace hull::gpt {

inline std::string Upper(std::string s) {
  for (char& c : s) c = char(std::toupper(uint8_t(c)));
  return s;
}

// libfdisk gpt.c: names for bits 0-2, then "GUID:" and the set bits 48-63.
inline std::string SfdiskAttrs(uint64_t a) {
  std::string s;
  auto add = [&](const std::string& w) { s += (s.empty() ? "" : " ") + w; };
  if (a & 1) add("RequiredPartition");
  if (a & 2) add("NoBlockIOProtocol");
  if (a & 4) add("LegacyBIOSBootable");
  std::string guid;
  for (int b = 48; b < 64; ++b)
    if (a >> b & 1) guid += (guid.empty() ? "GUID:" : ",") + std::to_string(b);
  if (!guid.empty()) add(guid);
  return s;
}

// sfdisk prints bytes outside printable ASCII in names as \xNN.
inline std::string SfdiskName(const std::string& name) {
  std::string out;
  for (char c : name) {
    uint8_t b = uint8_t(c);
    out += (b < 0x20 || b >= 0x7f) ? fmt::format("\\x{:02x}", b) : std::string(1, c);
  }
  return out;
}

inline std::string SfdiskDump(const Table& t, const std::string& device) {
  std::string out = fmt::format(
      "label: gpt\nlabel-id: {}\ndevice: {}\nunit: sectors\nfirst-lba: {}\nlast-lba: {}\n",
      Upper(t.disk_guid.ToString()), device, t.first_usable_lba, t.last_usable_lba);
  if (t.entry_count != 128) out += fmt::format("table-length: {}\n", t.entry_count);
  out += fmt::format("sector-size: {}\n\n", t.sector_size);
  std::string sep = std::isdigit(uint8_t(device.back())) ? "p" : "";
  for (const Partition& p : t.partitions) {
    out +=
        fmt::format("{}{}{} : start={:>12}, size={:>12}, type={}, uuid={}", device, sep, p.number,
                    p.first_lba, p.sectors(), Upper(p.type.ToString()), Upper(p.uuid.ToString()));
    if (!p.name.empty()) out += fmt::format(", name=\"{}\"", SfdiskName(p.name));
    if (std::string a = SfdiskAttrs(p.attributes); !a.empty())
      out += fmt::format(", attrs=\"{}\"", a);
    out += "\n";
  }
  return out;
}

}  // namespace hull::gpt

#include "init/efivar.h"

#include <fmt/format.h>

#include <algorithm>

namespace hull::init {

Result<Uuid> ParseLoaderDevicePartUuid(ByteSpan file) {
  if (file.size() < 4 + 2 || file.size() > kMaxLoaderDevicePartUuidBytes || file.size() % 2 != 0)
    return Errorf(ErrorCode::kCorrupt,
                  "LoaderDevicePartUUID: {} bytes, expected 4 bytes of attributes and a UTF-16 "
                  "value",
                  file.size());
  std::string text;
  for (size_t off = 4; off < file.size(); off += 2) {
    uint16_t unit = uint16_t(file[off] | (file[off + 1] << 8));
    if (unit == 0) break;
    if (unit < 0x20 || unit > 0x7e)
      return Errorf(ErrorCode::kCorrupt,
                    "LoaderDevicePartUUID: character {} is not printable ASCII", (off - 4) / 2);
    text.push_back(char(unit));
  }
  auto uuid = Uuid::Parse(text);
  if (!uuid.ok())
    return Errorf(ErrorCode::kCorrupt, "LoaderDevicePartUUID: '{}' is not a UUID", text);
  return *uuid;
}

Result<uint16_t> ParseBootCurrent(ByteSpan file) {
  if (file.size() != 6)
    return Errorf(ErrorCode::kCorrupt,
                  "BootCurrent: {} bytes, expected 4 bytes of attributes and 2 of value",
                  file.size());
  return uint16_t(file[4] | (file[5] << 8));
}

std::string LoadOptionVariable(uint16_t number) {
  return fmt::format("Boot{:04X}-{}", number, kEfiGlobalGuid);
}

Result<std::vector<PciFunction>> ParseLoadOptionPciPath(ByteSpan file) {
  // efivarfs attributes, then EFI_LOAD_OPTION: UINT32 Attributes, UINT16
  // FilePathListLength, CHAR16 Description[] (NUL-terminated), then the
  // device path list of FilePathListLength bytes.
  constexpr size_t kHead = 4 + 4 + 2;
  if (file.size() < kHead + 2 || file.size() > kMaxLoadOptionBytes)
    return Errorf(ErrorCode::kCorrupt, "load option: {} bytes, too short or too long", file.size());
  const size_t list_len = size_t(file[8] | (file[9] << 8));
  size_t off = kHead;
  for (;; off += 2) {
    if (off + 2 > file.size())
      return Error(ErrorCode::kCorrupt, "load option: description not terminated");
    if (file[off] == 0 && file[off + 1] == 0) break;
  }
  off += 2;
  const size_t end = std::min(file.size(), off + list_len);
  std::vector<PciFunction> out;
  while (off < end) {
    if (off + 4 > end)
      return Errorf(ErrorCode::kCorrupt, "load option: device path node at {} overruns the list",
                    off);
    const uint8_t type = file[off], subtype = file[off + 1];
    const size_t len = size_t(file[off + 2] | (file[off + 3] << 8));
    if (len < 4 || off + len > end)
      return Errorf(ErrorCode::kCorrupt, "load option: device path node at {} has length {}", off,
                    len);
    if (type == 0x7f) break;                // end of this path (0xff) or of an instance (0x01)
    if (type == 0x01 && subtype == 0x01) {  // hardware path, PCI: function, device
      if (len != 6)
        return Errorf(ErrorCode::kCorrupt, "load option: PCI node at {} has length {}", off, len);
      out.push_back({file[off + 5], file[off + 4]});
    }
    off += len;
  }
  return out;
}

std::vector<PciFunction> SysfsPciPath(std::string_view link) {
  std::vector<PciFunction> out;
  bool under_root = false;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  size_t pos = 0;
  while (pos <= link.size()) {
    size_t slash = link.find('/', pos);
    if (slash == std::string_view::npos) slash = link.size();
    std::string_view part = link.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.starts_with("pci") && part.size() == 10 && part[7] == ':') {
      under_root = true;
      continue;
    }
    // "DDDD:BB:DD.F": domain, bus, device (5 bits), function (3 bits).
    if (!under_root || part.size() != 12 || part[4] != ':' || part[7] != ':' || part[10] != '.')
      continue;
    int d1 = hex(part[8]), d2 = hex(part[9]), f = hex(part[11]);
    if (d1 < 0 || d2 < 0 || f < 0 || f > 7) continue;
    out.push_back({uint8_t(d1 * 16 + d2), uint8_t(f)});
  }
  return out;
}

std::string PciPathString(const std::vector<PciFunction>& path) {
  std::string s = "PciRoot";
  for (const auto& p : path) s += fmt::format("/Pci(0x{:x},0x{:x})", p.device, p.function);
  return s;
}

}  // namespace hull::init

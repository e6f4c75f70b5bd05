#include "node/load_option.h"

#include <fmt/format.h>

#include <algorithm>

#include "node/arch.h"

namespace hull::node {
namespace {

constexpr uint8_t kMediaPath = 0x04, kHardDrive = 0x01, kFilePath = 0x04;
constexpr uint8_t kEndPath = 0x7f, kEndEntire = 0xff;
constexpr uint16_t kHardDriveLength = 42;
constexpr uint8_t kMbrTypeGpt = 0x02, kSignatureGuid = 0x02;

bool PrintableAscii(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// NUL-terminated UCS-2 of printable ASCII.
void Ucs2(ByteWriter& w, std::string_view s) {
  for (char c : s) w.Le16(uint16_t(uint8_t(c)));
  w.Le16(0);
}

}  // namespace

Result<Bytes> EncodeLoadOption(const LoadOption& o) {
  if (!PrintableAscii(o.description))
    return Error(ErrorCode::kInvalidArgument,
                 "load option: the description must be printable ASCII, not empty");
  if (!PrintableAscii(o.file) || o.file[0] != '\\')
    return Errorf(ErrorCode::kInvalidArgument,
                  "load option: file '{}' must be printable ASCII starting with '\\'", o.file);
  if (o.disk.partition == 0)
    return Error(ErrorCode::kInvalidArgument, "load option: partition number 0");
  ByteWriter path;
  // off 0 type, 1 subtype, 2 length u16, 4 partition number u32, 8 start
  // u64, 16 size u64, 24 signature (16), 40 MBR type, 41 signature type.
  path.U8(kMediaPath);
  path.U8(kHardDrive);
  path.Le16(kHardDriveLength);
  path.Le32(o.disk.partition);
  path.Le64(o.disk.start_lba);
  path.Le64(o.disk.sectors);
  const auto guid = o.disk.partition_guid.GptBytes();
  path.Append(guid);
  path.U8(kMbrTypeGpt);
  path.U8(kSignatureGuid);
  const size_t file_len = 4 + 2 * (o.file.size() + 1);
  if (file_len > 0xffff)
    return Error(ErrorCode::kInvalidArgument, "load option: file path too long");
  path.U8(kMediaPath);
  path.U8(kFilePath);
  path.Le16(uint16_t(file_len));
  Ucs2(path, o.file);
  path.U8(kEndPath);
  path.U8(kEndEntire);
  path.Le16(4);
  ByteWriter w;
  w.Le32(o.attributes);
  w.Le16(uint16_t(path.size()));
  Ucs2(w, o.description);
  w.Append(path.bytes());
  if (w.size() > kMaxLoadOptionBytes)
    return Errorf(ErrorCode::kInvalidArgument, "load option: {} bytes, more than {}", w.size(),
                  kMaxLoadOptionBytes);
  return w.Take();
}

std::string_view RemovableBootFile(gpt::Arch arch) {
  const ArchNames* a = ArchOfGpt(arch);
  return a ? a->removable_boot_file : "";
}

std::string BootOptionVariable(uint16_t number) {
  return fmt::format("Boot{:04X}-{}", number, kEfiGlobalVariableGuid);
}
std::string BootOrderVariable() { return fmt::format("BootOrder-{}", kEfiGlobalVariableGuid); }
std::string BootNextVariable() { return fmt::format("BootNext-{}", kEfiGlobalVariableGuid); }

int BootOptionNumber(std::string_view variable) {
  const std::string suffix = fmt::format("-{}", kEfiGlobalVariableGuid);
  if (variable.size() != 8 + suffix.size() || !variable.starts_with("Boot") ||
      variable.substr(8) != suffix)
    return -1;
  int n = 0;
  for (char c : variable.substr(4, 4)) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

Bytes EfivarsFile(uint32_t attributes, ByteSpan data) {
  ByteWriter w;
  w.Le32(attributes);
  w.Append(data);
  return w.Take();
}

Bytes EncodeBootOrder(std::span<const uint16_t> order) {
  ByteWriter w;
  for (uint16_t n : order) w.Le16(n);
  return w.Take();
}

Result<std::vector<uint16_t>> DecodeBootOrderFile(ByteSpan file) {
  if (file.size() < 4 || file.size() % 2 != 0 || file.size() > 4 + kMaxBootOrderBytes)
    return Errorf(ErrorCode::kCorrupt,
                  "BootOrder: {} bytes, expected 4 bytes of attributes and an even number of "
                  "bytes of option numbers",
                  file.size());
  std::vector<uint16_t> out;
  for (size_t off = 4; off < file.size(); off += 2) out.push_back(LoadLe16(file.data() + off));
  return out;
}

std::vector<uint16_t> SalvageBootOrderFile(ByteSpan file) {
  std::vector<uint16_t> out;
  const size_t end = std::min(file.size(), 4 + kMaxBootOrderBytes);
  for (size_t off = 4; off + 2 <= end; off += 2) out.push_back(LoadLe16(file.data() + off));
  return out;
}

std::vector<uint16_t> PutFirst(std::span<const uint16_t> order, uint16_t number) {
  std::vector<uint16_t> out{number};
  for (uint16_t n : order)
    if (n != number) out.push_back(n);
  return out;
}

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

std::string BootCurrentVariable() { return fmt::format("BootCurrent-{}", kEfiGlobalVariableGuid); }

Result<std::vector<PciFunction>> ParseLoadOptionPciPath(ByteSpan file) {
  // efivarfs attributes, then EFI_LOAD_OPTION: UINT32 Attributes, UINT16
  // FilePathListLength, CHAR16 Description[] (NUL-terminated), then the
  // device path list of FilePathListLength bytes.
  constexpr size_t kHead = 4 + 4 + 2;
  if (file.size() < kHead + 2 || file.size() > 4 + kMaxLoadOptionBytes)
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

}  // namespace hull::node

#include "node/load_option.h"

#include <fmt/format.h>

#include <algorithm>

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
  switch (arch) {
    case gpt::Arch::kX86_64:
      return "BOOTX64.EFI";
    case gpt::Arch::kArm64:
      return "BOOTAA64.EFI";
    default:
      return "";
  }
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

}  // namespace hull::node

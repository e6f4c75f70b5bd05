#include "tuf/target_name.h"

#include <fmt/format.h>

namespace hull::tuf {
namespace {

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The name as it may be printed in an error: bounded, control bytes escaped.
std::string Printable(std::string_view name) {
  std::string out;
  for (unsigned char c : name.substr(0, 200)) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += char(c);
    }
  }
  if (name.size() > 200) out += "...";
  return out;
}

}  // namespace

Status CheckTargetName(std::string_view name) {
  auto refuse = [&](const char* why) {
    return Errorf(ErrorCode::kCorrupt, "target name '{}': {}", Printable(name), why);
  };
  if (name.empty()) return refuse("empty");
  if (name.size() > kMaxTargetNameBytes) return refuse("longer than 4096 bytes");
  if (name.find('\0') != std::string_view::npos) return refuse("contains NUL");
  if (name.find('\\') != std::string_view::npos) return refuse("contains a backslash");
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    std::string_view seg = name.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty()) return refuse("empty path segment (leading, trailing or doubled '/')");
    if (seg == "." || seg == "..") return refuse("'.' or '..' path segment");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Ok();
}

std::string PercentEncodePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (unsigned char c : path) {
    if (Unreserved(c) || c == '/') {
      out += char(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Result<std::string> PercentDecodePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    int hi = i + 2 < path.size() ? HexValue(path[i + 1]) : -1;
    int lo = i + 2 < path.size() ? HexValue(path[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return Errorf(ErrorCode::kInvalidArgument, "'{}': malformed %-escape", Printable(path));
    char c = char(hi * 16 + lo);
    if (c == '\0') return Errorf(ErrorCode::kInvalidArgument, "'{}': escaped NUL", Printable(path));
    out += c;
    i += 2;
  }
  return out;
}

}  // namespace hull::tuf

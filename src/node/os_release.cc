#include "node/os_release.h"

namespace hull::node {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool IsName(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Shell-style decoding of one VALUE; nullopt for an unterminated quote or a
// trailing backslash (a continuation line, which os-release(5) does not allow).
std::optional<std::string> DecodeValue(std::string_view v) {
  std::string out;
  size_t kept = 0;  // out's length without its trailing unquoted blanks
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i++];
    if (c == '\'') {
      size_t end = v.find('\'', i);
      if (end == std::string_view::npos) return std::nullopt;
      out.append(v.substr(i, end - i));
      i = end + 1;
    } else if (c == '"') {
      for (;;) {
        if (i == v.size()) return std::nullopt;
        char q = v[i++];
        if (q == '"') break;
        if (q == '\\' && i < v.size() &&
            (v[i] == '"' || v[i] == '\\' || v[i] == '$' || v[i] == '`'))
          q = v[i++];
        out += q;
      }
    } else if (c == '\\') {
      if (i == v.size()) return std::nullopt;
      out += v[i++];
    } else {
      out += c;
      if (IsBlank(c)) continue;
    }
    kept = out.size();
  }
  out.resize(kept);
  return out;
}

}  // namespace

OsRelease ParseOsRelease(std::string_view text) {
  OsRelease out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = TrimBlanks(line.substr(0, eq));
    if (!IsName(key)) continue;
    std::string_view raw = line.substr(eq + 1);
    while (!raw.empty() && IsBlank(raw.front())) raw.remove_prefix(1);
    std::optional<std::string> value = DecodeValue(raw);
    if (value) out.insert_or_assign(std::string(key), std::move(*value));
  }
  return out;
}

std::optional<std::string> OsReleaseValue(std::string_view text, std::string_view key) {
  OsRelease all = ParseOsRelease(text);
  auto it = all.find(key);
  if (it == all.end()) return std::nullopt;
  return it->second;
}

}  // namespace hull::node

#include "node/os_release.h"

#include <algorithm>

namespace hull::node {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsNewline(char c) { return c == '\n' || c == '\r'; }

bool IsName(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Reads one VALUE from text[*i] (just past the '='), leaving *i on the
// newline that ends it or at the end of the text. Quoted pieces and
// backslash-newline continuations run across lines.
std::string ReadValue(std::string_view text, size_t* i) {
  std::string out;
  bool unquoted = false;  // inside unquoted text (after its first character)
  size_t keep = 0;        // out's length without its trailing unquoted blanks
  while (*i < text.size()) {
    char c = text[*i];
    if (IsNewline(c)) break;
    ++*i;
    if (c == '\\') {
      if (*i < text.size()) {
        char e = text[(*i)++];
        if (!IsNewline(e)) out += e;
      }
      unquoted = true;
      keep = out.size();
    } else if (!unquoted && IsBlank(c)) {
      // blanks before a value and after a closing quote are dropped
    } else if (!unquoted && c == '\'') {
      size_t end = text.find('\'', *i);
      if (end == std::string_view::npos) end = text.size();
      out.append(text.substr(*i, end - *i));
      *i = std::min(end + 1, text.size());
      keep = out.size();
    } else if (!unquoted && c == '"') {
      while (*i < text.size()) {
        char q = text[(*i)++];
        if (q == '"') break;
        if (q == '\\') {
          if (*i == text.size()) break;  // a backslash that ends the text is dropped
          char e = text[(*i)++];
          if (e == '\n') continue;
          if (e != '"' && e != '\\' && e != '$' && e != '`') out += '\\';
          q = e;
        }
        out += q;
      }
      keep = out.size();
    } else {
      unquoted = true;
      out += c;
      if (!IsBlank(c)) keep = out.size();
    }
  }
  // Trailing blanks are dropped only from unquoted text that ends the value.
  if (unquoted) out.resize(keep);
  return out;
}

}  // namespace

OsRelease ParseOsRelease(std::string_view text) {
  OsRelease out;
  text = text.substr(0, text.find('\0'));
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (IsBlank(c) || IsNewline(c)) {
      ++i;
    } else if (c == '#' || c == ';') {
      while (i < text.size() && !IsNewline(text[i])) ++i;
    } else {
      size_t key_start = i;
      while (i < text.size() && text[i] != '=' && !IsNewline(text[i])) ++i;
      if (i == text.size() || text[i] != '=') continue;  // no '=': not an assignment
      std::string_view key = text.substr(key_start, i - key_start);
      while (!key.empty() && IsBlank(key.back())) key.remove_suffix(1);
      ++i;
      std::string value = ReadValue(text, &i);
      if (IsName(key)) out.insert_or_assign(std::string(key), std::move(value));
    }
  }
  return out;
}

std::optional<std::string> OsReleaseValue(std::string_view text, std::string_view key) {
  OsRelease all = ParseOsRelease(text);
  auto it = all.find(key);
  if (it == all.end()) return std::nullopt;
  return it->second;
}

std::string SysextLevelForSuite(std::string_view suite) {
  static constexpr std::pair<std::string_view, std::string_view> kLevels[] = {
      {"bookworm", "12"}, {"trixie", "13"}, {"forky", "14"}};
  for (const auto& [name, level] : kLevels) {
    if (suite == name) return std::string(level);
  }
  return {};
}

bool ValidSysextLevel(std::string_view level) {
  if (level.empty() || level.size() > 64) return false;
  for (char c : level) {
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

bool ValidSysextName(std::string_view name) {
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > 64 || !lower_or_digit(name[0])) return false;
  for (char c : name) {
    if (!lower_or_digit(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool ValidRestartUnit(std::string_view unit) {
  constexpr std::string_view kSuffix = ".service";
  if (unit.size() <= kSuffix.size() || unit.size() > 255 || !unit.ends_with(kSuffix) ||
      unit[0] == '-')
    return false;
  // Hull's own units: the agent that restarts runs in hull-update.service,
  // whose restart would wait for the run that asked for it (and kill it).
  if (unit.starts_with("hull-") || unit.starts_with("hull@")) return false;
  for (char c : unit) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == ':' || c == '_' || c == '.' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace hull::node

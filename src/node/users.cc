#include "node/users.h"

#include <fmt/format.h>

#include <algorithm>

namespace hull::node {
namespace {

// tmpfiles.d(5) arguments: C escapes are interpreted and % starts a specifier.
std::string TmpfilesEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '%') {
      out += "%%";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

bool IsValidUserName(std::string_view v) {
  const bool chars = std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  return chars && !v.empty() && v.size() <= 32 && ((v[0] >= 'a' && v[0] <= 'z') || v[0] == '_') &&
         v != "root";
}

bool IsValidSshKey(std::string_view v) {
  const bool type = v.starts_with("ssh-") || v.starts_with("ecdsa-sha2-") || v.starts_with("sk-");
  const bool one_line =
      v.find('\n') == std::string_view::npos && v.find('\r') == std::string_view::npos &&
      v.find('\0') == std::string_view::npos && v.find(' ') != std::string_view::npos;
  return type && one_line && v.size() <= 16384;
}

std::string SysusersText(const std::vector<LoginUser>& users, std::string_view origin) {
  std::string out = fmt::format("# Written by hull from {}.\n", origin);
  for (const auto& u : users) {
    out += fmt::format("u {} - \"{}\" /home/{} /bin/bash\n", u.name, u.name, u.name);
  }
  return out;
}

std::string TmpfilesText(const std::vector<LoginUser>& users, std::string_view origin) {
  std::string out = fmt::format("# Written by hull from {}.\n", origin);
  for (const auto& u : users) {
    out += fmt::format("d /home/{0} 0700 {0} {0} -\n", u.name);
    if (u.ssh_authorized_keys.empty()) continue;
    std::string keys;
    for (const auto& k : u.ssh_authorized_keys) keys += TmpfilesEscape(k) + "\\n";
    out += fmt::format("d /home/{0}/.ssh 0700 {0} {0} -\n", u.name);
    out += fmt::format("f+ /home/{0}/.ssh/authorized_keys 0600 {0} {0} - {1}\n", u.name, keys);
  }
  return out;
}

}  // namespace hull::node

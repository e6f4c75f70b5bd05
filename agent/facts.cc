#include "agent/facts.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <utility>

namespace hull::agent {
namespace {

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 3; ++k) {
        if (s[i + k] < '0' || s[i + k] > '7')
          ok = false;
        else
          v = v * 8 + (s[i + k] - '0');
      }
      if (ok) {
        out.push_back(char(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

template <typename F>
void ForEachLine(std::string_view text, F&& f) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    f(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

bool IsHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return !s.empty();
}

}  // namespace

Result<std::vector<MountEntry>> ParseMountInfo(std::string_view text) {
  std::vector<MountEntry> out;
  int n = 0;
  Status bad;
  ForEachLine(text, [&](std::string_view line) {
    ++n;
    if (!bad.ok() || line.empty()) return;
    auto f = Fields(line);
    // id parent major:minor root mount-point options [optional...] - fstype source super
    size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") ++sep;
    if (f.size() < 6 || sep + 2 >= f.size()) {
      bad = Errorf(ErrorCode::kCorrupt,
                   "mountinfo line {}: expected 'ID PARENT DEV ROOT POINT "
                   "OPTIONS ... - TYPE SOURCE SUPER'",
                   n);
      return;
    }
    MountEntry e{Unescape(f[4]), std::string(f[sep + 1]), Unescape(f[sep + 2]), std::string(f[5])};
    if (sep + 3 < f.size()) e.options += "," + std::string(f[sep + 3]);
    out.push_back(std::move(e));
  });
  if (!bad.ok()) return bad.error();
  return out;
}

std::optional<MountEntry> FindMount(const std::vector<MountEntry>& mounts,
                                    std::string_view mount_point) {
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it)
    if (it->mount_point == mount_point) return *it;
  return std::nullopt;
}

Result<std::string> ParseLockdown(std::string_view text) {
  size_t a = text.find('['), b = text.find(']');
  if (a == std::string_view::npos || b == std::string_view::npos || b < a + 2) {
    return Errorf(ErrorCode::kCorrupt, "lockdown file '{}' has no [selected] mode",
                  std::string(text.substr(0, 80)));
  }
  return std::string(text.substr(a + 1, b - a - 1));
}

Result<bool> ParseSecureBootVariable(ByteSpan contents) {
  if (contents.size() != 5) {
    return Errorf(ErrorCode::kCorrupt,
                  "SecureBoot variable is {} bytes, expected 5 (attributes + value)",
                  contents.size());
  }
  return contents[4] == 1;
}

Result<std::string> VerityTableRootHash(std::string_view params) {
  auto f = Fields(params);
  if (f.size() < 10 || !IsHex(f[8])) {
    return Errorf(ErrorCode::kCorrupt, "not a dm-verity table: '{}'",
                  std::string(params.substr(0, 200)));
  }
  std::string h(f[8]);
  for (auto& c : h) c = char(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

Result<uint64_t> MemoryInUse(std::string_view meminfo) {
  std::optional<uint64_t> total, avail;
  ForEachLine(meminfo, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() < 2) return;
    uint64_t v = 0;
    if (std::from_chars(f[1].data(), f[1].data() + f[1].size(), v).ec != std::errc()) return;
    if (f[0] == "MemTotal:") total = v * 1024;
    if (f[0] == "MemAvailable:") avail = v * 1024;
  });
  if (!total || !avail || *avail > *total) {
    return Error(ErrorCode::kCorrupt, "meminfo lacks MemTotal/MemAvailable");
  }
  return *total - *avail;
}

Result<std::string> DefaultGateway(std::string_view proc_net_route) {
  std::optional<std::string> gateway;
  bool header = true;
  ForEachLine(proc_net_route, [&](std::string_view line) {
    if (std::exchange(header, false) || gateway) return;
    auto f = Fields(line);
    // Destination 0 and RTF_GATEWAY (0x2) in Flags: the default route.
    uint32_t dest = 1, gw = 0, flags = 0;
    auto hex = [](std::string_view s, size_t max, uint32_t& v) {
      if (s.empty() || s.size() > max) return false;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v, 16);
      return r.ec == std::errc() && r.ptr == s.data() + s.size();
    };
    if (f.size() < 4 || f[1].size() != 8 || f[2].size() != 8 || !hex(f[1], 8, dest) ||
        !hex(f[2], 8, gw) || !hex(f[3], 4, flags))
      return;
    if (dest != 0 || (flags & 0x2) == 0) return;
    gateway = fmt::format("{}.{}.{}.{}", gw & 0xff, (gw >> 8) & 0xff, (gw >> 16) & 0xff, gw >> 24);
  });
  if (!gateway) return Error(ErrorCode::kNotFound, "/proc/net/route has no default route");
  return *gateway;
}

Result<double> ParseStartupSeconds(std::string_view text) {
  size_t eq = text.find(" = ");
  if (text.find("Startup finished") == std::string_view::npos || eq == std::string_view::npos) {
    return Errorf(ErrorCode::kCorrupt, "no 'Startup finished ... = TOTAL' in '{}'",
                  std::string(text.substr(0, 200)));
  }
  std::string_view rest = text.substr(eq + 3);
  rest = rest.substr(0, rest.find('\n'));
  double total = 0;
  bool any = false;
  for (auto word : Fields(rest)) {
    double v = 0;
    auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
    if (ec != std::errc()) break;
    std::string_view unit(p, word.data() + word.size() - p);
    if (unit == "min")
      v *= 60;
    else if (unit == "ms")
      v /= 1000;
    else if (unit == "us")
      v /= 1e6;
    else if (unit == "h")
      v *= 3600;
    else if (unit != "s")
      break;
    total += v;
    any = true;
  }
  if (!any) return Errorf(ErrorCode::kCorrupt, "unreadable startup total '{}'", std::string(rest));
  return total;
}

std::string ParseMachineId(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.size() != 32) return "";
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return "";
  return std::string(text);
}

std::vector<std::string> SelinuxDenials(std::string_view kmsg) {
  std::vector<std::string> out;
  ForEachLine(kmsg, [&](std::string_view line) {
    size_t d = line.find("avc:  denied");
    if (d == std::string_view::npos) return;
    std::string_view s = line.substr(d + 12);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    size_t end = s.find(" permissive=");
    out.emplace_back(s.substr(0, end));
  });
  return out;
}

Result<std::string> ChooseNodeDisk(const std::vector<std::string>& holders,
                                   const std::vector<std::string>& backing) {
  if (holders.empty()) return Error(ErrorCode::kNotFound, "no disk holds the booted usr partition");
  std::vector<std::string> found;
  for (const auto& d : holders)
    if (backing.empty() || std::find(backing.begin(), backing.end(), d) != backing.end())
      found.push_back(d);
  if (found.size() == 1) return found[0];
  if (found.empty())
    return Errorf(ErrorCode::kNotFound,
                  "the disk under /dev/mapper/usr ({}) does not hold the booted usr partition "
                  "(held by {})",
                  fmt::join(backing, ", "), fmt::join(holders, ", "));
  return Errorf(ErrorCode::kConflict,
                "several disks hold the booted usr partition ({}) and the one under "
                "/dev/mapper/usr is unknown: detach the copies of the OS disk",
                fmt::join(found, ", "));
}

}  // namespace hull::agent

#include "sysext/usr_rule.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace hull::sysext {
namespace {

constexpr std::array<std::string_view, 6> kLinks = {"bin",   "sbin",  "lib",
                                                    "lib32", "lib64", "libx32"};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

bool IsUsrLink(std::string_view name) {
  return std::find(kLinks.begin(), kLinks.end(), name) != kLinks.end();
}

std::optional<std::string> UsrPathOf(std::string_view path) {
  while (StartsWith(path, "/")) path.remove_prefix(1);
  if (StartsWith(path, "./")) path.remove_prefix(2);
  if (StartsWith(path, "usr/") && path.size() > 4) return std::string(path);
  for (std::string_view l : kLinks) {
    if (StartsWith(path, l) && path.size() > l.size() + 1 && path[l.size()] == '/') {
      return fmt::format("usr/{}", path);
    }
  }
  return std::nullopt;
}

bool IsBookkeeping(std::string_view path) {
  static constexpr std::array<std::string_view, 8> kDirs = {
      "var/lib/dpkg",
      "var/lib/apt",
      "var/cache",
      "var/log",
      "var/lib/systemd/deb-systemd-helper-enabled",
      "var/lib/systemd/deb-systemd-user-helper-enabled",
      "tmp",
      "run"};
  for (std::string_view d : kDirs) {
    if (path == d || (StartsWith(path, d) && path[d.size()] == '/')) return true;
  }
  return path == "etc/ld.so.cache";
}

bool SameShadowButDates(std::string_view path, std::string_view a, std::string_view b) {
  if (path != "etc/shadow" && path != "etc/shadow-") return false;
  // Each line without its third field; false when a line has fewer fields.
  auto next = [](std::string_view& text, std::string& out) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const size_t c1 = line.find(':');
    const size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    const size_t c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
    if (c3 == std::string_view::npos) return false;
    out = fmt::format("{}{}", line.substr(0, c2 + 1), line.substr(c3));
    return true;
  };
  std::string la, lb;
  while (!a.empty() && !b.empty()) {
    if (!next(a, la) || !next(b, lb) || la != lb) return false;
  }
  return a.empty() && b.empty();
}

std::optional<std::string> ExpressInUsr(std::string_view path, bool symlink) {
  constexpr std::string_view kEtcUnits = "etc/systemd/system/";
  if (!symlink || !StartsWith(path, kEtcUnits)) return std::nullopt;
  std::string_view rest = path.substr(kEtcUnits.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view dir = rest.substr(0, slash);
  const bool link_dir = (dir.size() > 6 && dir.substr(dir.size() - 6) == ".wants") ||
                        (dir.size() > 9 && dir.substr(dir.size() - 9) == ".requires");
  if (!link_dir || slash + 1 == rest.size()) return std::nullopt;
  return fmt::format("usr/lib/systemd/system/{}", rest);
}

Status CheckOverlap(const Facts& facts) {
  for (const auto& [path, pkg] : facts.added_owner) {
    auto it = facts.base_owner.find(path);
    if (it == facts.base_owner.end()) continue;
    return Errorf(ErrorCode::kConflict,
                  "/{} is in package '{}' of the extension and in package '{}' of the base "
                  "image: leave '{}' out of the extension (the base provides it) or add it to "
                  "the base image",
                  path, pkg, it->second, pkg);
  }
  return Ok();
}

Result<std::vector<Entry>> SelectEntries(const std::vector<Change>& changes, const Facts& facts) {
  const std::string scripts = fmt::format("the maintainer scripts of the added packages ({})",
                                          Joined(facts.added_packages));
  std::vector<Entry> out;
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    if (IsBookkeeping(c.path)) continue;
    if (StartsWith(c.path, "usr/")) {
      if (!c.added && !c.directory) {
        auto base = facts.base_owner.find(c.path);
        auto added = facts.added_owner.find(c.path);
        return Errorf(
            ErrorCode::kConflict, "/{} of the base image{} is changed by {}", c.path,
            base == facts.base_owner.end() ? "" : fmt::format(" (package '{}')", base->second),
            added == facts.added_owner.end() ? scripts
                                             : fmt::format("package '{}'", added->second));
      }
      if (c.added) out.push_back({c.path, c.path, c.directory});
      continue;
    }
    if (c.directory && !c.added) continue;
    // A new directory outside /usr is judged by what it holds (changes are
    // sorted, so its children follow it); an empty one is refused.
    if (c.directory && i + 1 < changes.size() && StartsWith(changes[i + 1].path, c.path + "/")) {
      continue;
    }
    if (auto to = ExpressInUsr(c.path, c.symlink)) {
      out.push_back({c.path, *to, false});
      continue;
    }
    auto owner = facts.added_owner.find(c.path);
    return Errorf(
        ErrorCode::kRefused,
        "/{} is outside /usr and a system extension holds only /usr: {} {} it (leave "
        "the package out, or bring its /usr files through 'files')",
        c.path,
        owner == facts.added_owner.end() ? scripts : fmt::format("package '{}'", owner->second),
        owner == facts.added_owner.end() ? "create" : "installs");
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.to < b.to; });
  return out;
}

}  // namespace hull::sysext

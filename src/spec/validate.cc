#include "spec/validate.h"

#include "node/users.h"

#include <fmt/format.h>

#include <algorithm>

namespace hull::spec {
namespace {

bool AllOf(const std::string& v, std::string_view extra, bool upper = false) {
  return std::all_of(v.begin(), v.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (upper && c >= 'A' && c <= 'Z') ||
           extra.find(c) != std::string_view::npos;
  });
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

Status CheckImageName(const YamlReader& r, const YNode& n, const std::string& v) {
  if (v.empty() || v.size() > 64 || !IsAlnum(v[0]) || !AllOf(v, "._-", true)) {
    return r.At(n, n.Mark(),
                fmt::format("bad name '{}' (allowed: 1-64 of A-Z a-z 0-9 . _ -, starting with "
                            "a letter or digit)",
                            v));
  }
  return Ok();
}

Status CheckDebianName(const YamlReader& r, const YNode& n, const std::string& v,
                       std::string_view what) {
  if (v.empty() || v.size() > 64 || !AllOf(v, "-")) {
    return r.At(n, n.Mark(), fmt::format("bad {} '{}' (allowed: a-z 0-9 -)", what, v));
  }
  return Ok();
}

// Debian Policy 5.6.1: lower case letters, digits, + - . ; at least two
// characters, starting with an alphanumeric.
Status CheckPackageName(const YamlReader& r, const YNode& n, const std::string& v) {
  if (v.size() < 2 || v.size() > 128 || !AllOf(v, "+-.") || v[0] == '+' || v[0] == '-' ||
      v[0] == '.') {
    return r.At(n, n.Mark(),
                fmt::format("bad package name '{}' (allowed: Debian package names: a-z 0-9 + - ., "
                            "at least 2 characters, starting with a letter or digit)",
                            v));
  }
  return Ok();
}

Status CheckMirror(const YamlReader& r, const YNode& n, const std::string& v) {
  bool scheme =
      v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0 || v.rfind("file:///", 0) == 0;
  bool clean = std::none_of(v.begin(), v.end(),
                            [](char c) { return c <= ' ' || c == '"' || c == '\'' || c == 0x7f; });
  if (!scheme || !clean || v.size() > 512) {
    return r.At(n, n.Mark(),
                fmt::format("bad mirror '{}' (allowed: an http://, https:// or file:/// URL "
                            "without spaces or quotes)",
                            v));
  }
  return Ok();
}

Status CheckCmdlineArg(const YamlReader& r, const YNode& n, const std::string& v) {
  bool clean = !v.empty() && v.size() <= 512 &&
               std::none_of(v.begin(), v.end(), [](char c) { return c <= ' ' || c == 0x7f; });
  if (!clean) {
    return r.At(n, n.Mark(),
                fmt::format("bad kernel argument '{}' (allowed: one argument, no spaces)", v));
  }
  for (std::string_view reserved :
       {"usrhash=", "hull.roottemplate=", "mount.usr", "root=", "init="}) {
    if (v.rfind(reserved, 0) == 0) {
      return r.At(
          n, n.Mark(),
          fmt::format("kernel argument '{}' is set by the build ({}... is reserved)", v, reserved));
    }
  }
  return Ok();
}

Status CheckModulePattern(const YamlReader& r, const YNode& n, const std::string& v) {
  if (v.empty() || v.size() > 256 || v[0] == '/' || v.find("..") != std::string::npos ||
      !AllOf(v, "_-./*?[]+", true)) {
    return r.At(n, n.Mark(),
                fmt::format("bad module pattern '{}' (allowed: a module name or a path under "
                            "/usr/lib/modules/<kver>/ such as kernel/net/*, with * ? [] "
                            "wildcards)",
                            v));
  }
  return Ok();
}

Status CheckFileDest(const YamlReader& r, const YNode& n, const std::string& v) {
  bool under = v.rfind("/usr/", 0) == 0 || v.rfind("/etc/", 0) == 0;
  bool dotdot = v.find("/../") != std::string::npos || v.find("/./") != std::string::npos ||
                v.ends_with("/..") || v.ends_with("/.") || v.find("//") != std::string::npos;
  if (!under || dotdot || v.ends_with("/") || v.find('\0') != std::string::npos ||
      v.rfind("/usr/etc/", 0) == 0) {
    return r.At(n, n.Mark(),
                fmt::format("bad dest '{}' (allowed: an absolute file path under /usr/ or "
                            "/etc/ without . or .. components; /etc is the factory /etc)",
                            v));
  }
  return Ok();
}

Status CheckUnitName(const YamlReader& r, const YNode& n, const std::string& v) {
  static constexpr std::string_view kSuffixes[] = {".service", ".socket", ".timer", ".target",
                                                   ".path",    ".mount",  ".slice"};
  bool suffix = std::any_of(std::begin(kSuffixes), std::end(kSuffixes),
                            [&](std::string_view s) { return v.ends_with(s); });
  if (!suffix || v.size() > 255 || !AllOf(v, "@._-:\\", true)) {
    return r.At(n, n.Mark(),
                fmt::format("bad unit name '{}' (allowed: a systemd unit name ending in .service, "
                            ".socket, .timer, .target, .path, .mount or .slice)",
                            v));
  }
  return Ok();
}

Status CheckUserName(const YamlReader& r, const YNode& n, const std::string& v) {
  if (!node::IsValidUserName(v)) {
    return r.At(n, n.Mark(),
                fmt::format("bad user name '{}' (allowed: {})", v, node::kUserNameRule));
  }
  return Ok();
}

Status CheckSshKey(const YamlReader& r, const YNode& n, const std::string& v) {
  if (!node::IsValidSshKey(v)) {
    return r.At(n, n.Mark(), fmt::format("bad SSH public key (allowed: {})", node::kSshKeyRule));
  }
  return Ok();
}

Status CheckImageReference(const YamlReader& r, const YNode& n, const std::string& v) {
  const size_t slash = v.find('/'), colon = v.rfind(':');
  const bool tagged = colon != std::string::npos && slash != std::string::npos && colon > slash;
  const std::string host = v.substr(0, slash == std::string::npos ? 0 : slash);
  const std::string path = tagged ? v.substr(slash + 1, colon - slash - 1) : "";
  const std::string tag = tagged ? v.substr(colon + 1) : "";
  const bool ok = v.size() <= 255 && tagged && !path.empty() && !tag.empty() && tag.size() <= 128 &&
                  (host == "localhost" || host.find_first_of(".:") != std::string::npos) &&
                  AllOf(host, ".-:") && AllOf(path, "._-/") && IsAlnum(path[0]) &&
                  !path.ends_with('/') && path.find("//") == std::string::npos &&
                  AllOf(tag, "._-", true) && IsAlnum(tag[0]);
  if (!ok) {
    return r.At(n, n.Mark(),
                fmt::format("bad image reference '{}' (allowed: HOST/PATH:TAG, the host with a "
                            "'.' or a port, or localhost; e.g. registry.example/app:1.0)",
                            v));
  }
  return Ok();
}

}  // namespace hull::spec

#include "sysext/spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "base/file.h"
#include "gpt/types.h"
#include "node/arch.h"
#include "node/os_release.h"
#include "yaml/reader.h"

namespace hull::sysext {
namespace {

using YAML::Node;

bool ValidVersion(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view(".+~-").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

Result<Compatibility> ParseCompatibility(const yaml::Reader& r, const Node& n,
                                         const YAML::Mark& fallback) {
  HULL_TRY(r.ExpectMap(n, fallback, "compatibility"));
  HULL_TRY(
      r.CheckKeys(n, "'compatibility'", {"id", "sysext_level", "version_id", "image_version"}));
  Compatibility c;
  if (!n["id"]) return r.At(n, fallback, "'compatibility' needs 'id' (the OS ID: hull)");
  HULL_ASSIGN_OR_RETURN(c.id, r.Scalar(n["id"], n.Mark(), "compatibility.id"));
  if (!node::ValidSysextName(c.id)) {
    return r.At(n["id"], n.Mark(),
                fmt::format("compatibility.id '{}' is not an os-release ID", c.id));
  }
  int given = 0;
  for (const char* key : {"sysext_level", "version_id", "image_version"}) {
    if (!n[key]) continue;
    ++given;
    HULL_ASSIGN_OR_RETURN(c.value,
                          r.Scalar(n[key], n.Mark(), fmt::format("compatibility.{}", key)));
    c.kind = std::string_view(key) == "sysext_level" ? Compatibility::Kind::kSysextLevel
                                                     : Compatibility::Kind::kVersionId;
    if (!ValidVersion(c.value)) {
      return r.At(n[key], n.Mark(),
                  fmt::format("compatibility.{} '{}' is not a version (letters, digits, . + ~ -)",
                              key, c.value));
    }
  }
  if (given != 1) {
    return r.At(n, fallback,
                "'compatibility' needs exactly one of sysext_level, version_id, image_version");
  }
  return c;
}

Status ParseTop(const yaml::Reader& r, const Node& root, SysextSpec& s) {
  const YAML::Mark m = root.Mark();
  for (const char* key : {"name", "version", "compatibility"}) {
    if (!root[key]) return r.AtMark(m, fmt::format("the sysext spec needs '{}'", key));
  }
  HULL_ASSIGN_OR_RETURN(s.name, r.Scalar(root["name"], m, "name"));
  if (!node::ValidSysextName(s.name)) {
    return r.At(root["name"], m,
                fmt::format("name '{}' is not allowed (lower-case letters, digits, '.', '-'; "
                            "at most 64)",
                            s.name));
  }
  HULL_ASSIGN_OR_RETURN(s.version, r.Scalar(root["version"], m, "version"));
  if (!ValidVersion(s.version)) {
    return r.At(root["version"], m,
                fmt::format("version '{}' is not allowed (letters, digits, . + ~ -; at most 64)",
                            s.version));
  }
  if (root["arch"]) {
    HULL_ASSIGN_OR_RETURN(size_t a, r.Choice(root["arch"], m, "arch", {"amd64", "arm64"}));
    s.arch = a == 0 ? "amd64" : "arm64";
  }
  HULL_ASSIGN_OR_RETURN(
      s.compatibility,
      ParseCompatibility(r, root["compatibility"], yaml::Reader::MarkOf(root, "compatibility")));
  if (root["packages"]) {
    HULL_ASSIGN_OR_RETURN(s.packages, r.ScalarList(root["packages"], m, "packages"));
  }
  if (root["files"]) {
    HULL_ASSIGN_OR_RETURN(s.files, r.ScalarList(root["files"], m, "files"));
  }
  if (root["restarts"]) {
    HULL_ASSIGN_OR_RETURN(s.restarts, r.ScalarList(root["restarts"], m, "restarts"));
    if (s.restarts.size() > node::kMaxRestartUnits)
      return r.At(root["restarts"], m,
                  fmt::format("'restarts' names {} units, at most {}", s.restarts.size(),
                              node::kMaxRestartUnits));
    for (size_t i = 0; i < s.restarts.size(); ++i) {
      const std::string& u = s.restarts[i];
      if (!node::ValidRestartUnit(u))
        return r.At(root["restarts"][i], m,
                    fmt::format("bad unit '{}' in 'restarts' (allowed: a service name, "
                                "letters, digits, ':_.@-', ending in .service, not hull-*)",
                                u));
      if (std::find(s.restarts.begin(), s.restarts.begin() + i, u) != s.restarts.begin() + i)
        return r.At(root["restarts"][i], m, fmt::format("'restarts' names '{}' twice", u));
    }
  }
  if (s.packages.empty() && s.files.empty()) {
    return r.AtMark(m, "the sysext spec has no content: give 'packages', 'files' or both");
  }
  return Ok();
}

}  // namespace

Result<SysextSpec> ParseSysextSpec(std::string_view yaml, const std::string& filename) {
  yaml::Reader r(filename);
  HULL_ASSIGN_OR_RETURN(Node root, r.Load(yaml));
  HULL_TRY(r.ExpectMap(root, root.Mark(), "the sysext spec"));
  HULL_TRY(
      r.CheckKeys(root, "the sysext spec",
                  {"name", "version", "arch", "compatibility", "packages", "files", "restarts"}));
  SysextSpec s;
  HULL_TRY(ParseTop(r, root, s));
  return s;
}

Result<SysextSpec> LoadSysextSpec(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, kMaxSysextSpecBytes + 1));
  if (text.size() > kMaxSysextSpecBytes) {
    return Errorf(ErrorCode::kInvalidArgument, "{}: larger than {} bytes", path,
                  kMaxSysextSpecBytes);
  }
  HULL_ASSIGN_OR_RETURN(SysextSpec s, ParseSysextSpec(text, path));
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  for (auto& f : s.files) {
    if (!f.empty() && f[0] != '/') f = (dir / f).lexically_normal().string();
  }
  return s;
}

std::string SystemdArch(std::string_view debian_arch) {
  const node::ArchNames* a = node::ArchOfDebian(debian_arch);
  return std::string(a ? gpt::ArchName(a->gpt) : debian_arch);
}

std::string ImageBaseName(const SysextSpec& spec) {
  return fmt::format("{}_{}_{}", spec.name, spec.version, spec.arch);
}

std::string ExtensionReleaseText(const SysextSpec& spec) {
  const auto& c = spec.compatibility;
  std::string text = fmt::format("ID={}\n", c.id);
  text += c.kind == Compatibility::Kind::kSysextLevel ? fmt::format("SYSEXT_LEVEL={}\n", c.value)
                                                      : fmt::format("VERSION_ID={}\n", c.value);
  text += fmt::format("ARCHITECTURE={}\nSYSEXT_ID={}\nSYSEXT_VERSION_ID={}\n",
                      SystemdArch(spec.arch), spec.name, spec.version);
  return text;
}

}  // namespace hull::sysext

#include "container/spec.h"

#include <fmt/format.h>

#include <algorithm>

#include "yaml/reader.h"

namespace hull::container {

// The preset texts, generated from specs/containers/*.yaml.
extern const std::vector<std::pair<std::string_view, std::string_view>> kPresetTexts;

namespace {

using yaml::Reader;

constexpr char kDebugSuffix[] = ":debug";

Result<std::map<std::string, std::string>> StringMap(const Reader& r, const YAML::Node& root,
                                                     std::string_view key) {
  std::map<std::string, std::string> out;
  const YAML::Node n = root[std::string(key)];
  if (!n) return out;
  HULL_TRY(r.ExpectMap(n, Reader::MarkOf(root, key), key));
  for (const auto& kv : n) {
    HULL_ASSIGN_OR_RETURN(std::string k, r.Scalar(kv.first, n.Mark(), key));
    HULL_ASSIGN_OR_RETURN(std::string v, r.Scalar(kv.second, kv.first.Mark(), k));
    if (!out.emplace(k, v).second) return r.At(kv.first, fmt::format("duplicate key '{}'", k));
  }
  return out;
}

Result<uint32_t> Octal(const Reader& r, const YAML::Node& n, std::string_view what) {
  HULL_ASSIGN_OR_RETURN(std::string s, r.Scalar(n, n.Mark(), what));
  if (s.empty() || s.size() > 5 || s.find_first_not_of("01234567") != std::string::npos) {
    return r.At(n, fmt::format("{} must be an octal mode such as \"0644\"", what));
  }
  return uint32_t(std::stoul(s, nullptr, 8));
}

Result<FileSpec> ParseFile(const Reader& r, const YAML::Node& n) {
  HULL_TRY(r.ExpectMap(n, n.Mark(), "a files entry"));
  HULL_TRY(
      r.CheckKeys(n, "a files entry",
                  {"path", "content", "source", "symlink", "directory", "mode", "uid", "gid"}));
  FileSpec f;
  HULL_ASSIGN_OR_RETURN(f.path, r.Scalar(n["path"], n.Mark(), "path"));
  if (!f.path.starts_with("/") || f.path == "/" || f.path.find("/../") != std::string::npos ||
      f.path.ends_with("/..") || f.path.ends_with("/")) {
    return r.At(n["path"], fmt::format("path '{}' must be absolute, normal and not '/'", f.path));
  }
  int kinds = 0;
  if (n["content"]) {
    ++kinds;
    HULL_ASSIGN_OR_RETURN(f.content, r.Scalar(n["content"], n.Mark(), "content"));
  }
  if (n["source"]) {
    ++kinds;
    HULL_ASSIGN_OR_RETURN(f.source, r.Scalar(n["source"], n.Mark(), "source"));
  }
  if (n["symlink"]) {
    ++kinds;
    HULL_ASSIGN_OR_RETURN(f.symlink, r.Scalar(n["symlink"], n.Mark(), "symlink"));
  }
  if (n["directory"]) {
    ++kinds;
    HULL_ASSIGN_OR_RETURN(size_t c,
                          r.Choice(n["directory"], n.Mark(), "directory", {"true", "false"}));
    f.directory = c == 0;
    f.mode = 0755;
  }
  if (kinds != 1) {
    return r.At(n, "a files entry needs exactly one of content, source, symlink, directory");
  }
  if (n["mode"]) {
    HULL_ASSIGN_OR_RETURN(f.mode, Octal(r, n["mode"], "mode"));
  }
  for (auto [key, id] : {std::pair{"uid", &f.uid}, std::pair{"gid", &f.gid}}) {
    if (!n[key]) continue;
    HULL_ASSIGN_OR_RETURN(std::string s, r.Scalar(n[key], n.Mark(), key));
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) {
      return r.At(n[key], fmt::format("{} must be a number", key));
    }
    *id = uint32_t(std::stoul(s));
  }
  return f;
}

Status ParseImage(const Reader& r, const YAML::Node& root, ContainerSpec& s) {
  const YAML::Mark top = root.Mark();
  HULL_ASSIGN_OR_RETURN(s.name, r.Scalar(root["name"], top, "name"));
  if (s.name.empty() || s.name.find_first_of("/ \t") != std::string::npos) {
    return r.At(root["name"], "name must be a single word (it names the image in index.json)");
  }
  if (const YAML::Node d = root["distribution"]) {
    HULL_TRY(r.ExpectMap(d, Reader::MarkOf(root, "distribution"), "distribution"));
    HULL_TRY(r.CheckKeys(d, "distribution", {"suite", "mirror"}));
    if (d["suite"]) {
      HULL_ASSIGN_OR_RETURN(s.suite, r.Scalar(d["suite"], d.Mark(), "suite"));
    }
    if (d["mirror"]) {
      HULL_ASSIGN_OR_RETURN(s.mirror, r.Scalar(d["mirror"], d.Mark(), "mirror"));
    }
  }
  HULL_ASSIGN_OR_RETURN(
      s.packages, r.ScalarList(root["packages"], Reader::MarkOf(root, "packages"), "packages"));
  if (const YAML::Node fl = root["files"]) {
    if (!fl.IsSequence()) return r.At(fl, "files must be a list");
    for (const auto& f : fl) {
      HULL_ASSIGN_OR_RETURN(FileSpec file, ParseFile(r, f));
      s.files.push_back(std::move(file));
    }
  }
  if (root["user"]) {
    HULL_ASSIGN_OR_RETURN(size_t u, r.Choice(root["user"], top, "user", {"nonroot", "root"}));
    s.user = u == 0 ? User::kNonroot : User::kRoot;
  }
  for (auto [key, list] :
       {std::pair{"entrypoint", &s.entrypoint}, std::pair{"cmd", &s.cmd}, std::pair{"env", &s.env},
        std::pair{"architectures", &s.architectures}}) {
    if (root[key]) {
      HULL_ASSIGN_OR_RETURN(*list, r.ScalarList(root[key], top, key));
    }
  }
  if (s.architectures.empty()) return r.At(root["architectures"], "architectures is empty");
  for (const auto& a : s.architectures) {
    if (!OciPlatform(a).ok()) {
      return r.At(root["architectures"], fmt::format("architecture '{}' has no OCI name", a));
    }
  }
  if (!s.entrypoint.empty() && !s.entrypoint[0].starts_with("/")) {
    return r.At(root["entrypoint"], "the entrypoint's program must be an absolute path");
  }
  if (root["workdir"]) {
    HULL_ASSIGN_OR_RETURN(s.workdir, r.Scalar(root["workdir"], top, "workdir"));
  }
  HULL_ASSIGN_OR_RETURN(s.labels, StringMap(r, root, "labels"));
  HULL_ASSIGN_OR_RETURN(s.annotations, StringMap(r, root, "annotations"));
  if (root["compression"]) {
    HULL_ASSIGN_OR_RETURN(size_t c,
                          r.Choice(root["compression"], top, "compression", {"gzip", "zstd"}));
    s.compression = c == 0 ? oci::Compression::kGzip : oci::Compression::kZstd;
  }
  return Ok();
}

}  // namespace

Result<std::pair<std::string, std::string>> OciPlatform(std::string_view a) {
  // Debian architecture names to GOARCH (and GOARM) as image-spec's
  // platform field uses them.
  static const std::pair<std::string_view, std::pair<const char*, const char*>> kTable[] = {
      {"amd64", {"amd64", ""}},  {"arm64", {"arm64", "v8"}},   {"armhf", {"arm", "v7"}},
      {"armel", {"arm", "v5"}},  {"i386", {"386", ""}},        {"ppc64el", {"ppc64le", ""}},
      {"s390x", {"s390x", ""}},  {"riscv64", {"riscv64", ""}}, {"mips64el", {"mips64le", ""}},
      {"mipsel", {"mipsle", ""}}};
  for (const auto& [deb, oci] : kTable) {
    if (deb == a) return std::pair<std::string, std::string>{oci.first, oci.second};
  }
  return Errorf(ErrorCode::kUnsupported, "Debian architecture '{}' has no OCI name", a);
}

Result<ContainerSpec> ParseContainerSpec(std::string_view text, const std::string& file) {
  Reader r(file);
  HULL_ASSIGN_OR_RETURN(YAML::Node root, r.Load(text));
  HULL_TRY(r.ExpectMap(root, root.Mark(), "the container spec"));
  HULL_TRY(
      r.CheckKeys(root, "the container spec",
                  {"name", "distribution", "packages", "files", "user", "entrypoint", "cmd", "env",
                   "workdir", "labels", "annotations", "architectures", "compression"}));
  ContainerSpec s;
  try {
    HULL_TRY(ParseImage(r, root, s));
  } catch (const std::exception& e) {
    return Errorf(ErrorCode::kInvalidArgument, "{}: {}", file, e.what());
  }
  return s;
}

std::vector<std::string> PresetNames() {
  std::vector<std::string> out;
  for (const auto& [name, text] : kPresetTexts) {
    out.emplace_back(name);
    out.push_back(std::string(name) + kDebugSuffix);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<ContainerSpec> Preset(std::string_view name) {
  const bool debug = name.ends_with(kDebugSuffix);
  std::string_view base = debug ? name.substr(0, name.size() - (sizeof(kDebugSuffix) - 1)) : name;
  for (const auto& [preset, text] : kPresetTexts) {
    if (preset != base) continue;
    HULL_ASSIGN_OR_RETURN(ContainerSpec s,
                          ParseContainerSpec(text, fmt::format("(preset {})", preset)));
    if (debug) {
      // The debug form: busybox (the static build: `static` has no libc),
      // run as its shell.
      s.name += "-debug";
      s.packages.push_back("busybox-static");
      s.entrypoint = {"/usr/bin/busybox", "sh"};
      s.cmd.clear();
    }
    return s;
  }
  std::string names;
  for (const auto& n : PresetNames()) names += (names.empty() ? "" : ", ") + n;
  return Errorf(ErrorCode::kNotFound, "unknown container preset '{}' (presets: {})", name, names);
}

}  // namespace hull::container

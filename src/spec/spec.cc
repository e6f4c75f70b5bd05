#include "spec/spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <set>

#include "base/file.h"
#include "spec/arch.h"
#include "spec/update.h"
#include "spec/validate.h"
#include "spec/yaml_reader.h"

namespace hull::spec {
namespace {

using Node = YAML::Node;

Status ParseDistribution(const YamlReader& r, const Node& n, Distribution& d) {
  HULL_TRY(r.CheckKeys(n, "'distribution'", {"suite", "mirror", "components", "variant"}));
  if (n["suite"]) {
    HULL_ASSIGN_OR_RETURN(d.suite, r.Scalar(n["suite"], n.Mark(), "distribution.suite"));
    HULL_TRY(CheckDebianName(r, n["suite"], d.suite, "distribution.suite"));
  }
  if (n["mirror"]) {
    HULL_ASSIGN_OR_RETURN(d.mirror, r.Scalar(n["mirror"], n.Mark(), "distribution.mirror"));
    HULL_TRY(CheckMirror(r, n["mirror"], d.mirror));
  }
  if (n["components"]) {
    HULL_ASSIGN_OR_RETURN(d.components,
                          r.ScalarList(n["components"], n.Mark(), "distribution.components"));
    if (d.components.empty()) {
      return r.At(n["components"], n.Mark(), "'distribution.components' must not be empty");
    }
    for (size_t i = 0; i < d.components.size(); ++i) {
      HULL_TRY(CheckDebianName(r, n["components"][i], d.components[i], "component"));
    }
  }
  if (n["variant"]) {
    HULL_ASSIGN_OR_RETURN(
        size_t v, r.Choice(n["variant"], n.Mark(), "distribution.variant", {"apt", "essential"}));
    d.variant = v == 0 ? "apt" : "essential";
  }
  return Ok();
}

Status ParseKernel(const YamlReader& r, const Node& n, Kernel& k) {
  HULL_TRY(r.CheckKeys(n, "'kernel'", {"cmdline", "modules"}));
  if (n["cmdline"]) {
    HULL_ASSIGN_OR_RETURN(k.cmdline, r.ScalarList(n["cmdline"], n.Mark(), "kernel.cmdline"));
    for (size_t i = 0; i < k.cmdline.size(); ++i) {
      HULL_TRY(CheckCmdlineArg(r, n["cmdline"][i], k.cmdline[i]));
    }
  }
  if (n["modules"]) {
    HULL_ASSIGN_OR_RETURN(k.modules, r.ScalarList(n["modules"], n.Mark(), "kernel.modules"));
    for (size_t i = 0; i < k.modules.size(); ++i) {
      HULL_TRY(CheckModulePattern(r, n["modules"][i], k.modules[i]));
    }
  }
  return Ok();
}

Result<std::vector<FileCopy>> ParseFiles(const YamlReader& r, const Node& n) {
  if (!n.IsSequence()) {
    return r.At(n, n.Mark(), fmt::format("'files' must be a list, got {}", NodeKind(n)));
  }
  if (n.size() > kMaxEntries) return r.At(n, n.Mark(), "'files' has too many entries");
  std::vector<FileCopy> out;
  for (const auto& item : n) {
    HULL_TRY(r.ExpectMap(item, n.Mark(), "files[]"));
    HULL_TRY(r.CheckKeys(item, "a 'files' entry", {"source", "dest"}));
    FileCopy f;
    if (!item["source"] || !item["dest"]) {
      return r.At(item, n.Mark(), "a 'files' entry needs both 'source' and 'dest'");
    }
    HULL_ASSIGN_OR_RETURN(f.source, r.Scalar(item["source"], item.Mark(), "files[].source"));
    HULL_ASSIGN_OR_RETURN(f.dest, r.Scalar(item["dest"], item.Mark(), "files[].dest"));
    if (f.source.empty()) return r.At(item["source"], item.Mark(), "'source' must not be empty");
    HULL_TRY(CheckFileDest(r, item["dest"], f.dest));
    out.push_back(std::move(f));
  }
  return out;
}

Status ParseServices(const YamlReader& r, const Node& n, Services& s) {
  HULL_TRY(r.CheckKeys(n, "'services'", {"enable", "disable"}));
  for (const char* key : {"enable", "disable"}) {
    if (!n[key]) continue;
    auto& list = std::string_view(key) == "enable" ? s.enable : s.disable;
    HULL_ASSIGN_OR_RETURN(list, r.ScalarList(n[key], n.Mark(), fmt::format("services.{}", key)));
    for (size_t i = 0; i < list.size(); ++i) HULL_TRY(CheckUnitName(r, n[key][i], list[i]));
  }
  for (size_t i = 0; i < s.disable.size(); ++i) {
    if (std::find(s.enable.begin(), s.enable.end(), s.disable[i]) != s.enable.end()) {
      return r.At(n["disable"][i], n.Mark(),
                  fmt::format("unit '{}' is both enabled and disabled", s.disable[i]));
    }
  }
  return Ok();
}

Result<std::vector<User>> ParseUsers(const YamlReader& r, const Node& n) {
  if (!n.IsSequence()) {
    return r.At(n, n.Mark(), fmt::format("'users' must be a list, got {}", NodeKind(n)));
  }
  if (n.size() > kMaxEntries) return r.At(n, n.Mark(), "'users' has too many entries");
  std::vector<User> out;
  for (const auto& item : n) {
    HULL_TRY(r.ExpectMap(item, n.Mark(), "users[]"));
    HULL_TRY(r.CheckKeys(item, "a 'users' entry", {"name", "ssh_authorized_keys"}));
    if (!item["name"]) return r.At(item, n.Mark(), "a 'users' entry needs a 'name'");
    User u;
    HULL_ASSIGN_OR_RETURN(u.name, r.Scalar(item["name"], item.Mark(), "users[].name"));
    HULL_TRY(CheckUserName(r, item["name"], u.name));
    if (item["ssh_authorized_keys"]) {
      const Node& keys = item["ssh_authorized_keys"];
      HULL_ASSIGN_OR_RETURN(u.ssh_authorized_keys,
                            r.ScalarList(keys, item.Mark(), "users[].ssh_authorized_keys"));
      for (size_t i = 0; i < u.ssh_authorized_keys.size(); ++i) {
        HULL_TRY(CheckSshKey(r, keys[i], u.ssh_authorized_keys[i]));
      }
    }
    for (const auto& prev : out) {
      if (prev.name == u.name) {
        return r.At(item["name"], item.Mark(), fmt::format("duplicate user '{}'", u.name));
      }
    }
    out.push_back(std::move(u));
  }
  return out;
}

Status ParsePartitions(const YamlReader& r, const Node& n, Partitions& p) {
  HULL_TRY(r.CheckKeys(n, "'partitions'", {"esp", "usr", "root"}));
  if (n["esp"]) {
    HULL_ASSIGN_OR_RETURN(p.esp, r.Size(n["esp"], n.Mark(), "partitions.esp"));
  }
  if (n["usr"]) {
    HULL_ASSIGN_OR_RETURN(p.usr, r.Size(n["usr"], n.Mark(), "partitions.usr"));
  }
  if (n["root"]) {
    HULL_ASSIGN_OR_RETURN(p.root, r.Size(n["root"], n.Mark(), "partitions.root"));
  }
  return Ok();
}

Result<std::vector<OutputFormat>> ParseOutputs(const YamlReader& r, const Node& n) {
  if (!n.IsSequence() || n.size() == 0) {
    return r.At(n, n.Mark(),
                "'outputs' must be a non-empty list (allowed: raw, vhd, qcow2, vhdx, iso)");
  }
  if (n.size() > kMaxEntries) return r.At(n, n.Mark(), "'outputs' has too many entries");
  std::vector<OutputFormat> out;
  for (const auto& item : n) {
    HULL_ASSIGN_OR_RETURN(
        size_t i, r.Choice(item, n.Mark(), "output", {"raw", "vhd", "qcow2", "vhdx", "iso"}));
    auto f = static_cast<OutputFormat>(i);
    if (std::find(out.begin(), out.end(), f) != out.end()) {
      return r.At(item, n.Mark(), fmt::format("duplicate output '{}'", OutputName(f)));
    }
    out.push_back(f);
  }
  return out;
}

Status ParseScalarFields(const YamlReader& r, const Node& root, ImageSpec& s) {
  const YAML::Mark m = root.Mark();
  if (root["name"]) {
    HULL_ASSIGN_OR_RETURN(s.name, r.Scalar(root["name"], m, "name"));
    HULL_TRY(CheckImageName(r, root["name"], s.name));
  }
  if (root["flavor"]) {
    HULL_ASSIGN_OR_RETURN(size_t f,
                          r.Choice(root["flavor"], m, "flavor", {"immutable", "standard"}));
    if (f == 1) {
      return r.At(root["flavor"], m,
                  "flavor 'standard' is not yet supported (supported: immutable)",
                  ErrorCode::kUnsupported);
    }
    s.flavor = Flavor::kImmutable;
  }
  if (root["version"]) {
    HULL_ASSIGN_OR_RETURN(s.version, r.Scalar(root["version"], m, "version"));
    auto st = ValidateVersion(s.version);
    if (!st.ok()) return r.At(root["version"], m, st.error().message());
  }
  if (root["arch"]) {
    HULL_ASSIGN_OR_RETURN(size_t a, r.Choice(root["arch"], m, "arch", {"amd64", "arm64"}));
    s.arch = a == 0 ? "amd64" : "arm64";
  }
  if (root["selinux"]) {
    HULL_ASSIGN_OR_RETURN(
        size_t v, r.Choice(root["selinux"], m, "selinux", {"enforcing", "permissive", "disabled"}));
    s.selinux = static_cast<SelinuxMode>(v);
  }
  return Ok();
}

// containers.preload: each entry one of `preset`, `layout` or `archive`,
// with an optional `ref` (layouts and archives) and `name`.
Result<std::vector<Preload>> ParsePreload(const YamlReader& r, const Node& n) {
  HULL_TRY(r.CheckKeys(n, "'containers'", {"preload"}));
  std::vector<Preload> out;
  if (!n["preload"]) return out;
  const Node& list = n["preload"];
  if (!list.IsSequence()) {
    return r.At(list, n.Mark(),
                fmt::format("'containers.preload' must be a list, got {}", NodeKind(list)));
  }
  if (list.size() > kMaxEntries) return r.At(list, n.Mark(), "'containers.preload' is too long");
  for (const auto& item : list) {
    HULL_TRY(r.ExpectMap(item, list.Mark(), "containers.preload[]"));
    HULL_TRY(r.CheckKeys(item, "a 'containers.preload' entry",
                         {"preset", "layout", "archive", "ref", "name"}));
    Preload p;
    int kinds = 0;
    for (auto [key, kind] : {std::pair{"preset", Preload::Kind::kPreset},
                             {"layout", Preload::Kind::kLayout},
                             {"archive", Preload::Kind::kArchive}}) {
      if (!item[key]) continue;
      ++kinds;
      p.kind = kind;
      HULL_ASSIGN_OR_RETURN(p.source, r.Scalar(item[key], item.Mark(), key));
      if (p.source.empty()) return r.At(item[key], item.Mark(), fmt::format("'{}' is empty", key));
    }
    if (kinds != 1) {
      return r.At(item, list.Mark(),
                  "a 'containers.preload' entry names exactly one of 'preset', 'layout' or "
                  "'archive'");
    }
    if (item["ref"]) {
      if (p.kind == Preload::Kind::kPreset)
        return r.At(item["ref"], item.Mark(), "'ref' selects an image of a layout or archive");
      HULL_ASSIGN_OR_RETURN(p.ref, r.Scalar(item["ref"], item.Mark(), "ref"));
    }
    if (item["name"]) {
      HULL_ASSIGN_OR_RETURN(p.name, r.Scalar(item["name"], item.Mark(), "name"));
    } else if (p.kind == Preload::Kind::kPreset) {
      // "static" -> localhost/hull/static:latest; "static:debug" keeps its tag.
      p.name = "localhost/hull/" +
               (p.source.find(':') == std::string::npos ? p.source + ":latest" : p.source);
    } else {
      return r.At(item, list.Mark(),
                  "a preloaded layout or archive needs a 'name' (the image reference pods use, "
                  "e.g. registry.example/app:1.0)");
    }
    HULL_TRY(CheckImageReference(r, item["name"] ? item["name"] : item, p.name));
    for (const auto& prev : out) {
      if (prev.name == p.name)
        return r.At(item, list.Mark(), fmt::format("image '{}' is preloaded twice", p.name));
    }
    out.push_back(std::move(p));
  }
  return out;
}

Status ParseSections(const YamlReader& r, const Node& root, ImageSpec& s) {
  const YAML::Mark m = root.Mark();
  auto map = [&](const char* key) -> Status {
    return r.ExpectMap(root[key], YamlReader::MarkOf(root, key), key);
  };
  if (root["distribution"]) {
    HULL_TRY(map("distribution"));
    HULL_TRY(ParseDistribution(r, root["distribution"], s.distribution));
  }
  if (root["packages"]) {
    HULL_ASSIGN_OR_RETURN(s.packages, r.ScalarList(root["packages"], m, "packages"));
    for (size_t i = 0; i < s.packages.size(); ++i) {
      HULL_TRY(CheckPackageName(r, root["packages"][i], s.packages[i]));
    }
  }
  if (root["kernel"]) {
    HULL_TRY(map("kernel"));
    HULL_TRY(ParseKernel(r, root["kernel"], s.kernel));
  }
  if (root["files"]) {
    HULL_ASSIGN_OR_RETURN(s.files, ParseFiles(r, root["files"]));
  }
  if (root["services"]) {
    HULL_TRY(map("services"));
    HULL_TRY(ParseServices(r, root["services"], s.services));
  }
  if (root["users"]) {
    HULL_ASSIGN_OR_RETURN(s.users, ParseUsers(r, root["users"]));
  }
  if (root["partitions"]) {
    HULL_TRY(map("partitions"));
    HULL_TRY(ParsePartitions(r, root["partitions"], s.partitions));
  }
  if (root["outputs"]) {
    HULL_ASSIGN_OR_RETURN(s.outputs, ParseOutputs(r, root["outputs"]));
  }
  if (root["erofs"]) {
    HULL_TRY(map("erofs"));
    HULL_TRY(r.CheckKeys(root["erofs"], "'erofs'", {"compression"}));
    if (root["erofs"]["compression"]) {
      HULL_ASSIGN_OR_RETURN(size_t c, r.Choice(root["erofs"]["compression"], m, "erofs.compression",
                                               {"none", "lz4hc"}));
      s.erofs_compression = static_cast<Compression>(c);
    }
  }
  if (root["update"]) {
    HULL_TRY(map("update"));
    HULL_TRY(ParseUpdate(r, root["update"], s.update));
  }
  if (root["containers"]) {
    HULL_TRY(map("containers"));
    HULL_ASSIGN_OR_RETURN(s.preload, ParsePreload(r, root["containers"]));
  }
  if (root["signing"]) {
    HULL_TRY(map("signing"));
    HULL_TRY(r.CheckKeys(root["signing"], "'signing'", {"key_dir"}));
    if (root["signing"]["key_dir"]) {
      HULL_ASSIGN_OR_RETURN(s.signing_key_dir,
                            r.Scalar(root["signing"]["key_dir"], m, "signing.key_dir"));
    }
  }
  return Ok();
}

// An arm64 spec names no amd64-only package or kernel module (spec/arch.h).
Status CheckArchOnly(const YamlReader& r, const Node& root, const ImageSpec& s) {
  if (s.arch != "arm64") return Ok();
  std::vector<std::string> bad = Amd64OnlyPackages(s.packages);
  std::vector<std::string> modules = Amd64OnlyModules(s.kernel.modules);
  bad.insert(bad.end(), modules.begin(), modules.end());
  if (bad.empty()) return Ok();
  return r.At(root["arch"], root.Mark(),
              fmt::format("arch arm64 cannot have the amd64-only packages or kernel modules {} "
                          "(remove them; the arm64 default: hull spec show-default --arch arm64)",
                          fmt::join(bad, ", ")));
}

// The spec fields absent from a text take from the base of its arch.
using BaseFor = std::function<Result<ImageSpec>(std::string_view arch)>;

// Parses `yaml` over base_for(its arch) (fields absent from the text keep the
// base's values).
Result<ImageSpec> ParseOver(std::string_view yaml, const ParseOptions& options,
                            const BaseFor& base_for) {
  YamlReader r(options.filename);
  ImageSpec base;
  if (yaml.size() > kMaxSpecBytes) {
    return Errorf(ErrorCode::kInvalidArgument, "{}: spec larger than {} bytes", options.filename,
                  kMaxSpecBytes);
  }
  HULL_ASSIGN_OR_RETURN(Node loaded, r.Load(yaml));
  // Const access only: yaml-cpp's non-const operator[] inserts missing keys.
  const Node& root = loaded;
  try {
    if (!root.IsMap()) {
      return r.AtMark(root.Mark(), fmt::format("a spec must be a map, got {}", NodeKind(root)));
    }
    HULL_TRY(r.CheckKeys(root, "the spec",
                         {"name", "flavor", "version", "arch", "distribution", "packages", "kernel",
                          "selinux", "files", "services", "users", "partitions", "outputs", "erofs",
                          "signing", "update", "containers"}));
    if (!root["name"]) return r.AtMark(root.Mark(), "missing required key 'name'");
    const Node& arch = root["arch"];
    const bool arm64 = arch && arch.IsScalar() && arch.Scalar() == "arm64";
    HULL_ASSIGN_OR_RETURN(base, base_for(arm64 ? "arm64" : "amd64"));
    HULL_TRY(ParseScalarFields(r, root, base));
    HULL_TRY(ParseSections(r, root, base));
    HULL_TRY(CheckArchOnly(r, root, base));
  } catch (const YAML::Exception& e) {
    return r.AtMark(e.mark, "YAML: " + e.msg);
  }
  if (base.version.empty()) base.version = VersionForTime(options.build_time);
  return base;
}

}  // namespace

Result<ImageSpec> DefaultSpec(int64_t build_time, std::string_view arch) {
  HULL_ASSIGN_OR_RETURN(std::string_view text, DefaultSpecTextFor(arch));
  const char* file = arch == "arm64" ? "specs/immutable-arm64.yaml" : "specs/default.yaml";
  return ParseOver(text, {.filename = file, .build_time = build_time},
                   [](std::string_view) -> Result<ImageSpec> { return ImageSpec{}; });
}

Result<ImageSpec> ParseSpec(std::string_view yaml, const ParseOptions& options) {
  return ParseOver(yaml, options, [&](std::string_view arch) -> Result<ImageSpec> {
    HULL_ASSIGN_OR_RETURN(ImageSpec base,
                          DefaultSpec(options.build_time, arch).Context("default spec"));
    base.name.clear();
    base.version.clear();
    return base;
  });
}

Result<ImageSpec> LoadSpec(const std::string& path, int64_t build_time) {
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, kMaxSpecBytes + 1));
  return ParseSpec(text, {.filename = path, .build_time = build_time});
}

std::string VersionForTime(int64_t unix_time) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}{:02}.{:02}.0", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

Status ValidateVersion(std::string_view v) {
  auto bad = [&](std::string_view why) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "bad version '{}': {} (allowed: YYYYMM.DD.N, e.g. 202611.24.0)", v, why);
  };
  auto digits = [](std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  size_t d1 = v.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : v.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return bad("expected three dot-separated parts");
  std::string_view ym = v.substr(0, d1), dd = v.substr(d1 + 1, d2 - d1 - 1), n = v.substr(d2 + 1);
  if (ym.size() != 6 || !digits(ym)) return bad("YYYYMM must be six digits");
  if (dd.size() != 2 || !digits(dd)) return bad("DD must be two digits");
  if (!digits(n) || n.size() > 9 || (n.size() > 1 && n[0] == '0')) {
    return bad("N must be a decimal number without leading zeros");
  }
  int month = (ym[4] - '0') * 10 + (ym[5] - '0');
  int day = (dd[0] - '0') * 10 + (dd[1] - '0');
  if (month < 1 || month > 12) return bad("month out of range 01-12");
  if (day < 1 || day > 31) return bad("day out of range 01-31");
  return Ok();
}

int64_t BuildTime() {
  const char* e = std::getenv("SOURCE_DATE_EPOCH");
  if (e && *e) {
    char* end = nullptr;
    long long v = std::strtoll(e, &end, 10);
    if (end && *end == '\0' && v >= 0) return v;
  }
  return static_cast<int64_t>(std::time(nullptr));
}

const char* FlavorName(Flavor) { return "immutable"; }
const char* SelinuxName(SelinuxMode m) {
  switch (m) {
    case SelinuxMode::kEnforcing:
      return "enforcing";
    case SelinuxMode::kPermissive:
      return "permissive";
    case SelinuxMode::kDisabled:
      return "disabled";
  }
  return "?";
}
const char* OutputName(OutputFormat f) {
  switch (f) {
    case OutputFormat::kRaw:
      return "raw";
    case OutputFormat::kVhd:
      return "vhd";
    case OutputFormat::kQcow2:
      return "qcow2";
    case OutputFormat::kVhdx:
      return "vhdx";
    case OutputFormat::kIso:
      return "iso";
  }
  return "?";
}
const char* CompressionName(Compression c) { return c == Compression::kLz4hc ? "lz4hc" : "none"; }

std::vector<std::string> SortedPackages(const ImageSpec& spec) {
  std::set<std::string> s(spec.packages.begin(), spec.packages.end());
  return {s.begin(), s.end()};
}

}  // namespace hull::spec

#include "customize/config.h"

#include <fmt/format.h>

#include <filesystem>
#include <regex>

#include "base/file.h"
#include "spec/update.h"
#include "spec/validate.h"
#include "spec/yaml_reader.h"

namespace hull::customize {
namespace fs = std::filesystem;

namespace {

using Node = YAML::Node;
using spec::YamlReader;

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr uint64_t kMaxKeyFileBytes = 64 << 10;

// Fields of Image Customizer's configuration that a sealed image cannot
// honour without a rebuild, and why.
struct Refusal {
  const char* key;
  const char* reason;
};
constexpr Refusal kOsRefusals[] = {
    {"packages",
     "installing or removing packages needs a rebuild from the spec the image records (give "
     "--rebuild, or hull build); a sealed image has no package manager"},
    {"bootloader", "the boot loader is systemd-boot with the UKI Hull signs"},
    {"uki", "every Hull image boots a signed UKI already"},
    {"overlays", "the /etc overlay is Hull's own (docs/init.md)"},
    {"imageHistory", "the manifest records every change"},
};
constexpr Refusal kTopRefusals[] = {
    {"storage", "the disk layout is fixed by the Discoverable Partitions rules (A/B slots)"},
    {"scripts",
     "scripts would run in the build host's environment, not the node's; add files or "
     "services instead"},
    {"iso", "Hull images are disks"},
    {"pxe", "Hull images are disks"},
    {"previewFeatures", "no preview features"},
};

std::string Where(const YamlReader& r, const Node& n, const Node& parent, std::string_view field) {
  return fmt::format("{}: {}", r.Position(n.Mark().pos >= 0 ? n.Mark() : parent.Mark()), field);
}

Result<mode_t> Permissions(const YamlReader& r, const Node& n, const Node& parent,
                           std::string_view what) {
  HULL_ASSIGN_OR_RETURN(std::string v, r.Scalar(n, parent.Mark(), what));
  static const std::regex kOctal("0?[0-7]{3,4}");
  if (!std::regex_match(v, kOctal))
    return r.At(n,
                fmt::format("bad {} '{}' (allowed: octal permissions such as \"0644\")", what, v));
  mode_t m = mode_t(std::stoul(v, nullptr, 8));
  if (m & 07000)
    return r.At(n,
                fmt::format("{} '{}': no setuid, setgid or sticky bits in added files", what, v));
  return m;
}

Result<uint32_t> Id(const YamlReader& r, const Node& n, const Node& parent, std::string_view what) {
  HULL_ASSIGN_OR_RETURN(std::string v, r.Scalar(n, parent.Mark(), what));
  static const std::regex kId("[0-9]{1,9}");
  if (!std::regex_match(v, kId) || std::stoul(v) < 1000 || std::stoul(v) >= 60000)
    return r.At(
        n, fmt::format("bad {} '{}' (allowed: 1000-59999, the range for login accounts)", what, v));
  return uint32_t(std::stoul(v));
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  return fs::path(p).is_absolute() ? p : (fs::path(base_dir) / p).lexically_normal().string();
}

Status CheckSource(const YamlReader& r, const Node& n, const std::string& path, bool dir,
                   std::string_view what) {
  std::error_code ec;
  bool ok = dir ? fs::is_directory(path, ec) : fs::is_regular_file(path, ec);
  if (ok) return Ok();
  return r.At(
      n, n.Mark(),
      fmt::format("{} '{}' {} (give an existing {} on the build host)", what, path,
                  fs::exists(path, ec) ? "is not a " + std::string(dir ? "directory" : "file")
                                       : "does not exist",
                  dir ? "directory" : "file"),
      ErrorCode::kNotFound);
}

Status CheckDestination(const YamlReader& r, const Node& n, const std::string& dest,
                        std::string_view what) {
  auto rel = UsrRelativePath(dest);
  if (rel.ok()) return Ok();
  return r.At(n, n.Mark(), fmt::format("{}: {}", what, rel.error().message()), ErrorCode::kRefused);
}

Result<AdditionalFile> ParseFile(const YamlReader& r, const Node& item, const Node& list,
                                 const std::string& base_dir, size_t i) {
  const std::string at = fmt::format("os.additionalFiles[{}]", i);
  HULL_TRY(r.ExpectMap(item, list.Mark(), at));
  HULL_TRY(r.CheckKeys(item, "an 'os.additionalFiles' entry",
                       {"source", "content", "destination", "permissions"}));
  AdditionalFile f;
  f.where = Where(r, item, list, at);
  if (bool(item["source"]) == bool(item["content"]) || !item["destination"])
    return r.At(item, list.Mark(), at + " needs 'destination' and one of 'source' or 'content'");
  HULL_ASSIGN_OR_RETURN(f.destination,
                        r.Scalar(item["destination"], item.Mark(), at + ".destination"));
  HULL_TRY(CheckDestination(r, item["destination"], f.destination, at + ".destination"));
  if (item["content"]) {
    HULL_ASSIGN_OR_RETURN(f.content, r.Scalar(item["content"], item.Mark(), at + ".content"));
  } else {
    HULL_ASSIGN_OR_RETURN(std::string src, r.Scalar(item["source"], item.Mark(), at + ".source"));
    f.source = Resolve(base_dir, src);
    HULL_TRY(CheckSource(r, item["source"], f.source, false, at + ".source"));
  }
  if (item["permissions"]) {
    HULL_ASSIGN_OR_RETURN(f.permissions,
                          Permissions(r, item["permissions"], item, at + ".permissions"));
  }
  return f;
}

Result<AdditionalDir> ParseDir(const YamlReader& r, const Node& item, const Node& list,
                               const std::string& base_dir, size_t i) {
  const std::string at = fmt::format("os.additionalDirs[{}]", i);
  HULL_TRY(r.ExpectMap(item, list.Mark(), at));
  HULL_TRY(r.CheckKeys(item, "an 'os.additionalDirs' entry",
                       {"source", "destination", "newDirPermissions", "childFilePermissions"}));
  if (!item["source"] || !item["destination"])
    return r.At(item, list.Mark(), at + " needs 'source' and 'destination'");
  AdditionalDir d;
  d.where = Where(r, item, list, at);
  HULL_ASSIGN_OR_RETURN(std::string src, r.Scalar(item["source"], item.Mark(), at + ".source"));
  d.source = Resolve(base_dir, src);
  HULL_TRY(CheckSource(r, item["source"], d.source, true, at + ".source"));
  HULL_ASSIGN_OR_RETURN(d.destination,
                        r.Scalar(item["destination"], item.Mark(), at + ".destination"));
  HULL_TRY(CheckDestination(r, item["destination"], d.destination, at + ".destination"));
  if (item["newDirPermissions"]) {
    HULL_ASSIGN_OR_RETURN(d.new_dir_permissions, Permissions(r, item["newDirPermissions"], item,
                                                             at + ".newDirPermissions"));
  }
  if (item["childFilePermissions"]) {
    HULL_ASSIGN_OR_RETURN(
        d.child_file_permissions,
        Permissions(r, item["childFilePermissions"], item, at + ".childFilePermissions"));
  }
  return d;
}

// The position of `key` itself in `map` (a refusal points at the field).
YAML::Mark KeyMark(const Node& map, std::string_view key) {
  for (const auto& kv : map)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.first.Mark();
  return map.Mark();
}

Status RefuseKey(const YamlReader& r, const Node& map, std::string_view prefix,
                 std::span<const Refusal> refusals, std::string_view allowed = {}) {
  for (const Refusal& f : refusals) {
    if (!map[f.key] || f.key == allowed) continue;
    return r.AtMark(
        KeyMark(map, f.key),
        fmt::format("{}{} cannot be honoured on a sealed image: {}", prefix, f.key, f.reason),
        ErrorCode::kRefused);
  }
  return Ok();
}

Result<User> ParseUser(const YamlReader& r, const Node& item, const Node& list,
                       const std::string& base_dir, size_t i) {
  const std::string at = fmt::format("os.users[{}]", i);
  HULL_TRY(r.ExpectMap(item, list.Mark(), at));
  for (const char* k : {"password", "passwordHash", "passwordPath", "passwordExpiresDays"}) {
    if (item[k])
      return r.AtMark(KeyMark(item, k),
                      fmt::format("{}.{}: Hull logins take SSH keys only (sshPublicKeys)", at, k),
                      ErrorCode::kRefused);
  }
  HULL_TRY(r.CheckKeys(
      item, "an 'os.users' entry",
      {"name", "uid", "primaryGroup", "secondaryGroups", "sshPublicKeys", "sshPublicKeyPaths"}));
  if (!item["name"]) return r.At(item, list.Mark(), at + " needs a 'name'");
  User u;
  u.where = Where(r, item, list, at);
  HULL_ASSIGN_OR_RETURN(u.name, r.Scalar(item["name"], item.Mark(), at + ".name"));
  HULL_TRY(spec::CheckUserName(r, item["name"], u.name));
  if (item["uid"]) {
    HULL_ASSIGN_OR_RETURN(u.uid, Id(r, item["uid"], item, at + ".uid"));
  }
  if (item["primaryGroup"]) {
    HULL_ASSIGN_OR_RETURN(u.primary_group,
                          r.Scalar(item["primaryGroup"], item.Mark(), at + ".primaryGroup"));
    HULL_TRY(spec::CheckUserName(r, item["primaryGroup"], u.primary_group));
  }
  if (item["secondaryGroups"]) {
    HULL_ASSIGN_OR_RETURN(u.secondary_groups, r.ScalarList(item["secondaryGroups"], item.Mark(),
                                                           at + ".secondaryGroups"));
    for (size_t k = 0; k < u.secondary_groups.size(); ++k)
      HULL_TRY(spec::CheckUserName(r, item["secondaryGroups"][k], u.secondary_groups[k]));
  }
  if (item["sshPublicKeys"]) {
    HULL_ASSIGN_OR_RETURN(u.ssh_public_keys,
                          r.ScalarList(item["sshPublicKeys"], item.Mark(), at + ".sshPublicKeys"));
    for (size_t k = 0; k < u.ssh_public_keys.size(); ++k)
      HULL_TRY(spec::CheckSshKey(r, item["sshPublicKeys"][k], u.ssh_public_keys[k]));
  }
  if (item["sshPublicKeyPaths"]) {
    const Node& paths = item["sshPublicKeyPaths"];
    HULL_ASSIGN_OR_RETURN(auto list_of,
                          r.ScalarList(paths, item.Mark(), at + ".sshPublicKeyPaths"));
    for (size_t k = 0; k < list_of.size(); ++k) {
      const std::string p = Resolve(base_dir, list_of[k]);
      HULL_TRY(CheckSource(r, paths[k], p, false, at + ".sshPublicKeyPaths"));
      HULL_ASSIGN_OR_RETURN(std::string key, ReadFileText(p, kMaxKeyFileBytes));
      while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
      HULL_TRY(spec::CheckSshKey(r, paths[k], key));
      u.ssh_public_keys.push_back(std::move(key));
    }
  }
  return u;
}

Result<Group> ParseGroup(const YamlReader& r, const Node& item, const Node& list, size_t i) {
  const std::string at = fmt::format("os.groups[{}]", i);
  HULL_TRY(r.ExpectMap(item, list.Mark(), at));
  HULL_TRY(r.CheckKeys(item, "an 'os.groups' entry", {"name", "gid"}));
  if (!item["name"]) return r.At(item, list.Mark(), at + " needs a 'name'");
  Group g;
  g.where = Where(r, item, list, at);
  HULL_ASSIGN_OR_RETURN(g.name, r.Scalar(item["name"], item.Mark(), at + ".name"));
  HULL_TRY(spec::CheckUserName(r, item["name"], g.name));
  if (item["gid"]) {
    HULL_ASSIGN_OR_RETURN(g.gid, Id(r, item["gid"], item, at + ".gid"));
  }
  return g;
}

Result<Module> ParseModule(const YamlReader& r, const Node& item, const Node& list, size_t i) {
  const std::string at = fmt::format("os.modules[{}]", i);
  HULL_TRY(r.ExpectMap(item, list.Mark(), at));
  HULL_TRY(r.CheckKeys(item, "an 'os.modules' entry", {"name", "loadMode", "options"}));
  if (!item["name"]) return r.At(item, list.Mark(), at + " needs a 'name'");
  Module m;
  m.where = Where(r, item, list, at);
  HULL_ASSIGN_OR_RETURN(m.name, r.Scalar(item["name"], item.Mark(), at + ".name"));
  static const std::regex kName("[A-Za-z0-9_-]{1,64}");
  if (!std::regex_match(m.name, kName))
    return r.At(item["name"],
                fmt::format("bad {}.name '{}' (allowed: a kernel module name)", at, m.name));
  if (item["loadMode"]) {
    HULL_ASSIGN_OR_RETURN(size_t c, r.Choice(item["loadMode"], item.Mark(), at + ".loadMode",
                                             {"auto", "always", "disable"}));
    m.load = Module::Load(c);
  }
  if (item["options"]) {
    const Node& o = item["options"];
    HULL_TRY(r.ExpectMap(o, item.Mark(), at + ".options"));
    static const std::regex kKey("[A-Za-z0-9_]{1,64}");
    static const std::regex kValue("[A-Za-z0-9_.,:+=/-]{0,256}");
    for (const auto& kv : o) {
      HULL_ASSIGN_OR_RETURN(std::string k, r.Scalar(kv.first, o.Mark(), at + ".options key"));
      HULL_ASSIGN_OR_RETURN(std::string v, r.Scalar(kv.second, o.Mark(), at + ".options." + k));
      if (!std::regex_match(k, kKey) || !std::regex_match(v, kValue))
        return r.At(kv.first, fmt::format("bad module option {}={} in {} (allowed: a parameter "
                                          "name and a value without spaces or quotes)",
                                          k, v, at));
      m.options[k] = v;
    }
  }
  return m;
}

// `update`: the four settings a customized image may change; the values are
// checked by the spec's own rules.
Result<UpdateChange> ParseUpdateChange(const YamlReader& r, const Node& n,
                                       const std::string& base_dir) {
  HULL_TRY(r.ExpectMap(n, n.Mark(), "update"));
  HULL_TRY(r.CheckKeys(n, "'update'", {"repository", "trusted_root", "channel", "fleetlock"}));
  if (n["fleetlock"]) HULL_TRY(r.CheckKeys(n["fleetlock"], "'update.fleetlock'", {"url", "group"}));
  spec::Update u;
  HULL_TRY(spec::ParseUpdate(r, n, u));
  UpdateChange c;
  c.where = Where(r, n, n, "update");
  if (n["repository"]) c.repository = u.repository;
  if (n["channel"]) c.channel = u.channel;
  if (n["fleetlock"] && n["fleetlock"]["url"]) c.fleetlock_url = u.fleetlock_url;
  if (n["fleetlock"] && n["fleetlock"]["group"]) c.fleetlock_group = u.fleetlock_group;
  if (n["trusted_root"]) {
    c.trusted_root = Resolve(base_dir, u.trusted_root);
    HULL_TRY(CheckSource(r, n["trusted_root"], *c.trusted_root, false, "update.trusted_root"));
  }
  return c;
}

template <typename T, typename F>
Status ParseList(const YamlReader& r, const Node& os, const char* key, std::vector<T>& out, F f) {
  if (!os[key]) return Ok();
  const Node& n = os[key];
  if (!n.IsSequence())
    return r.At(n, os.Mark(),
                fmt::format("'os.{}' must be a list, got {}", key, spec::NodeKind(n)));
  if (n.size() > spec::kMaxEntries)
    return r.At(n, fmt::format("'os.{}' has too many entries", key));
  for (size_t i = 0; i < n.size(); ++i) {
    HULL_ASSIGN_OR_RETURN(T v, f(n[i], n, i));
    out.push_back(std::move(v));
  }
  return Ok();
}

Status ParseServices(const YamlReader& r, const Node& n, Config& c) {
  HULL_TRY(r.ExpectMap(n, n.Mark(), "os.services"));
  HULL_TRY(r.CheckKeys(n, "'os.services'", {"enable", "disable"}));
  for (auto [key, list] : {std::pair{"enable", &c.enable}, {"disable", &c.disable}}) {
    if (!n[key]) continue;
    HULL_ASSIGN_OR_RETURN(*list,
                          r.ScalarList(n[key], n.Mark(), fmt::format("os.services.{}", key)));
    for (size_t i = 0; i < list->size(); ++i)
      HULL_TRY(spec::CheckUnitName(r, n[key][i], (*list)[i]));
  }
  for (size_t i = 0; i < c.disable.size(); ++i) {
    if (std::find(c.enable.begin(), c.enable.end(), c.disable[i]) != c.enable.end())
      return r.At(n["disable"][i],
                  fmt::format("unit '{}' is both enabled and disabled", c.disable[i]));
  }
  return Ok();
}

// `os.packages` for a rebuild: {install: [names], remove: [names]}.
Result<Packages> ParsePackages(const YamlReader& r, const Node& os) {
  const Node& n = os["packages"];
  HULL_TRY(r.ExpectMap(n, YamlReader::MarkOf(os, "packages"), "os.packages"));
  HULL_TRY(r.CheckKeys(n, "'os.packages'", {"install", "remove"}));
  Packages p;
  p.where = Where(r, n, os, "os.packages");
  for (auto [key, list] : {std::pair{"install", &p.install}, {"remove", &p.remove}}) {
    if (!n[key]) continue;
    const std::string what = fmt::format("os.packages.{}", key);
    HULL_ASSIGN_OR_RETURN(auto names, r.ScalarList(n[key], n.Mark(), what));
    for (size_t i = 0; i < names.size(); ++i) {
      HULL_TRY(spec::CheckPackageName(r, n[key][i], names[i]));
      list->push_back({Where(r, n[key][i], n[key], fmt::format("{}[{}]", what, i)), names[i]});
    }
  }
  for (size_t i = 0; i < p.remove.size(); ++i) {
    for (const auto& in : p.install) {
      if (in.name == p.remove[i].name)
        return r.At(
            n["remove"][i],
            fmt::format("package '{}' is both installed and removed (os.packages)", in.name));
    }
  }
  return p;
}

Status ParseOs(const YamlReader& r, const Node& os, const std::string& base_dir,
               PackagesField packages, Config& c) {
  HULL_TRY(r.ExpectMap(os, os.Mark(), "os"));
  const bool read_packages = packages == PackagesField::kRead;
  HULL_TRY(RefuseKey(r, os, "os.", kOsRefusals, read_packages ? "packages" : ""));
  HULL_TRY(r.CheckKeys(os, "'os'",
                       {"hostname", "additionalFiles", "additionalDirs", "users", "groups",
                        "services", "kernelCommandLine", "modules", "selinux", "packages"}));
  if (read_packages && os["packages"]) {
    HULL_ASSIGN_OR_RETURN(c.packages, ParsePackages(r, os));
  }
  if (os["hostname"]) {
    HULL_ASSIGN_OR_RETURN(std::string h, r.Scalar(os["hostname"], os.Mark(), "os.hostname"));
    static const std::regex kHost("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    if (!std::regex_match(h, kHost))
      return r.At(os["hostname"], fmt::format("bad os.hostname '{}' (allowed: lowercase letters, "
                                              "digits and '-', at most 63)",
                                              h));
    c.hostname = h;
  }
  HULL_TRY(ParseList(r, os, "additionalFiles", c.files,
                     [&](auto& n, auto& l, size_t i) { return ParseFile(r, n, l, base_dir, i); }));
  HULL_TRY(ParseList(r, os, "additionalDirs", c.dirs,
                     [&](auto& n, auto& l, size_t i) { return ParseDir(r, n, l, base_dir, i); }));
  HULL_TRY(ParseList(r, os, "groups", c.groups,
                     [&](auto& n, auto& l, size_t i) { return ParseGroup(r, n, l, i); }));
  HULL_TRY(ParseList(r, os, "users", c.users,
                     [&](auto& n, auto& l, size_t i) { return ParseUser(r, n, l, base_dir, i); }));
  HULL_TRY(ParseList(r, os, "modules", c.modules,
                     [&](auto& n, auto& l, size_t i) { return ParseModule(r, n, l, i); }));
  if (os["services"]) HULL_TRY(ParseServices(r, os["services"], c));
  if (const Node& k = os["kernelCommandLine"]) {
    HULL_TRY(r.ExpectMap(k, os.Mark(), "os.kernelCommandLine"));
    HULL_TRY(r.CheckKeys(k, "'os.kernelCommandLine'", {"extraCommandLine"}));
    if (k["extraCommandLine"]) {
      HULL_ASSIGN_OR_RETURN(c.extra_cmdline, r.ScalarList(k["extraCommandLine"], k.Mark(),
                                                          "os.kernelCommandLine.extraCommandLine"));
      for (size_t i = 0; i < c.extra_cmdline.size(); ++i) {
        HULL_TRY(spec::CheckCmdlineArg(r, k["extraCommandLine"][i], c.extra_cmdline[i]));
      }
    }
  }
  if (const Node& s = os["selinux"]) {
    HULL_TRY(r.ExpectMap(s, os.Mark(), "os.selinux"));
    HULL_TRY(r.CheckKeys(s, "'os.selinux'", {"mode"}));
    if (s["mode"]) {
      HULL_ASSIGN_OR_RETURN(size_t m, r.Choice(s["mode"], s.Mark(), "os.selinux.mode",
                                               {"enforcing", "permissive", "disabled"}));
      c.selinux = spec::SelinuxMode(m);
    }
  }
  return Ok();
}

// `output.image.format`, as Image Customizer spells it; the path is --out's.
Status ParseOutput(const YamlReader& r, const Node& o, Config& c) {
  HULL_TRY(r.ExpectMap(o, o.Mark(), "output"));
  HULL_TRY(r.CheckKeys(o, "'output'", {"image"}));
  if (const Node& i = o["image"]) {
    HULL_TRY(r.ExpectMap(i, o.Mark(), "output.image"));
    if (i["path"])
      return r.AtMark(KeyMark(i, "path"),
                      "output.image.path cannot be honoured: the outputs go to --out DIR, named "
                      "for the image",
                      ErrorCode::kRefused);
    HULL_TRY(r.CheckKeys(i, "'output.image'", {"format"}));
    if (i["format"]) {
      HULL_ASSIGN_OR_RETURN(size_t f, r.Choice(i["format"], i.Mark(), "output.image.format",
                                               {"raw", "vhd", "qcow2", "vhdx"}));
      c.output_format = spec::OutputFormat(f);
      c.output_format_where = Where(r, i["format"], i, "output.image.format");
    }
  }
  return Ok();
}

}  // namespace

Result<std::string> UsrRelativePath(std::string_view d) {
  auto refuse = [&](std::string_view why) {
    return Errorf(ErrorCode::kRefused, "destination '{}' {}", d, why);
  };
  if (d.empty() || d.front() != '/') return refuse("is not an absolute path");
  if (d.size() > 4096 || d.find('\0') != std::string_view::npos) return refuse("is malformed");
  std::vector<std::string_view> parts;
  size_t i = 1;
  while (i <= d.size()) {
    size_t j = d.find('/', i);
    if (j == std::string_view::npos) j = d.size();
    std::string_view p = d.substr(i, j - i);
    if (p.empty() || p == "." || p == "..")
      return refuse("has an empty, '.' or '..' component (write the plain path)");
    parts.push_back(p);
    i = j + 1;
  }
  const bool etc = parts[0] == "etc", usr = parts[0] == "usr";
  if ((!etc && !usr) || parts.size() < 2)
    return refuse(
        "is outside /usr and the factory /etc: the rest of the node is its writable state, "
        "not part of the sealed image");
  std::string out = etc ? "etc" : "";
  for (size_t k = 1; k < parts.size(); ++k) {
    if (!out.empty()) out += "/";
    out += parts[k];
  }
  return out;
}

Result<Config> ParseConfig(std::string_view text, const std::string& file,
                           const std::string& base_dir, PackagesField packages) {
  YamlReader r(file);
  HULL_ASSIGN_OR_RETURN(Node root, r.Load(text));
  if (!root.IsMap()) return r.At(root, "the configuration must be a map (os:, update:)");
  HULL_TRY(RefuseKey(r, root, "", kTopRefusals));
  HULL_TRY(r.CheckKeys(root, "the configuration", {"os", "update", "trust", "output"}));
  Config c;
  c.file = file;
  if (root["os"]) HULL_TRY(ParseOs(r, root["os"], base_dir, packages, c));
  if (root["update"]) {
    HULL_ASSIGN_OR_RETURN(c.update, ParseUpdateChange(r, root["update"], base_dir));
  }
  if (const Node& t = root["trust"]) {
    HULL_TRY(r.ExpectMap(t, root.Mark(), "trust"));
    HULL_TRY(r.CheckKeys(t, "'trust'", {"mode"}));
    if (t["mode"]) {
      HULL_ASSIGN_OR_RETURN(
          size_t m, r.Choice(t["mode"], t.Mark(), "trust.mode", {"keep", "replace", "add"}));
      c.trust = TrustMode(m);
    }
  }
  if (const Node& o = root["output"]) HULL_TRY(ParseOutput(r, o, c));
  return c;
}

Result<Config> LoadConfig(const std::string& path, PackagesField packages) {
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, kMaxConfigBytes));
  std::error_code ec;
  std::string dir = fs::absolute(path, ec).parent_path().string();
  return ParseConfig(text, path, dir, packages);
}

}  // namespace hull::customize

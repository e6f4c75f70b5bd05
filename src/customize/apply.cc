#include "customize/apply.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/digest.h"
#include "customize/tree_path.h"
#include "node/config.h"
#include "rootfs/shape.h"

namespace hull::customize {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxSourceBytes = uint64_t(1) << 30;
constexpr uint64_t kMaxListBytes = 16 << 20;

std::string Sha256Hex(ByteSpan b) {
  return HexEncode(crypto::Digest(crypto::DigestAlgorithm::kSha256, b));
}

// Writes `data` at the node path `dest` (the tree's usr/ is /usr, usr/etc /etc).
Status PutFile(const std::string& usr, const std::string& dest, ByteSpan data, mode_t mode,
               const std::string& where, std::vector<Change>& changes) {
  HULL_ASSIGN_OR_RETURN(std::string rel, UsrRelativePath(dest));
  HULL_TRY(WriteInTree(usr, rel, data, mode, where));
  changes.push_back({"file", dest, fmt::format("sha256:{} mode {:04o}", Sha256Hex(data), mode)});
  return Ok();
}

Status CopyDir(const std::string& usr, const AdditionalDir& d, std::vector<Change>& changes) {
  HULL_ASSIGN_OR_RETURN(std::string rel, UsrRelativePath(d.destination));
  HULL_ASSIGN_OR_RETURN(std::string top, PrepareTarget(usr, rel, d.where, true));
  std::error_code ec;
  if (!fs::exists(top, ec) && ::mkdir(top.c_str(), d.new_dir_permissions) != 0)
    return ErrnoError(errno, "creating", top);
  std::vector<fs::path> entries;
  for (auto it = fs::recursive_directory_iterator(d.source, ec); !ec && it != fs::end(it);
       it.increment(ec))
    entries.push_back(it->path());
  if (ec) return Errorf(ErrorCode::kIo, "{}: walking '{}': {}", d.where, d.source, ec.message());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    const std::string sub = fs::relative(p, d.source, ec).string();
    const std::string dest = d.destination + "/" + sub;
    if (fs::is_directory(fs::symlink_status(p, ec))) {
      HULL_ASSIGN_OR_RETURN(std::string r, UsrRelativePath(dest));
      HULL_ASSIGN_OR_RETURN(std::string path, PrepareTarget(usr, r, d.where, true));
      if (!fs::exists(path, ec) && ::mkdir(path.c_str(), d.new_dir_permissions) != 0)
        return ErrnoError(errno, "creating", path);
      continue;
    }
    if (!fs::is_regular_file(fs::symlink_status(p, ec)))
      return Errorf(ErrorCode::kInvalidArgument,
                    "{}: '{}' is not a regular file or directory (links and devices are not "
                    "copied)",
                    d.where, p.string());
    HULL_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(p.string(), kMaxSourceBytes));
    HULL_TRY(PutFile(usr, dest, data, d.child_file_permissions, d.where, changes));
  }
  changes.push_back({"dir", d.destination, fmt::format("{} files", entries.size())});
  return Ok();
}

// Module names the image's kernel has (modules.dep and modules.builtin),
// '-' spelled '_' as modprobe compares them.
Result<std::set<std::string>> ImageModules(const std::string& usr) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& k : fs::directory_iterator(usr + "/lib/modules", ec)) {
    for (const char* list : {"modules.dep", "modules.builtin"}) {
      auto text = ReadTreeText(
          usr, fmt::format("lib/modules/{}/{}", k.path().filename().string(), list), kMaxListBytes);
      if (!text.ok() && text.error().code() != ErrorCode::kNotFound) return text.error();
      if (!text.ok()) continue;
      size_t pos = 0;
      while (pos < text->size()) {
        size_t nl = text->find('\n', pos);
        if (nl == std::string::npos) nl = text->size();
        std::string line = text->substr(pos, nl - pos);
        pos = nl + 1;
        line = line.substr(0, line.find(':'));
        std::string base = line.substr(line.rfind('/') + 1);
        base = base.substr(0, base.find(".ko"));
        std::replace(base.begin(), base.end(), '-', '_');
        if (!base.empty()) names.insert(base);
      }
    }
  }
  if (names.empty())
    return Errorf(ErrorCode::kNotFound, "the image has no modules.dep under /usr/lib/modules");
  return names;
}

// Writes one of customize's own files under `usr` (parents made).
Status PutOwn(const std::string& usr, const char* rel, const std::string& text, const char* where) {
  return WriteInTree(usr, rel, AsBytes(text), 0644, where);
}

Status CheckUnit(const std::string& usr, const std::string& unit, const char* verb) {
  std::string file = unit;
  size_t at = unit.find('@'), dot = unit.rfind('.');
  if (at != std::string::npos && dot != std::string::npos && dot > at)
    file = unit.substr(0, at + 1) + unit.substr(dot);
  std::error_code ec;
  for (const char* dir : {"/lib/systemd/system/", "/etc/systemd/system/"})
    if (fs::exists(usr + dir + file, ec)) return Ok();
  return Errorf(ErrorCode::kNotFound,
                "os.services.{}: the image has no unit '{}' (add it with os.additionalFiles under "
                "/usr/lib/systemd/system/)",
                verb, unit);
}

Status Systemctl(const std::string& root, const char* verb, const std::vector<std::string>& units) {
  if (units.empty()) return Ok();
  std::vector<std::string> argv = {"systemctl", "--root=" + root, "--no-reload", verb};
  argv.insert(argv.end(), units.begin(), units.end());
  auto r = Run(Command{.argv = argv, .install_hint = "apt-get install systemd"});
  if (!r.ok()) return std::move(r).error().Wrap(fmt::format("systemctl {}", verb));
  return Ok();
}

// The services, with root/etc linked to usr/etc while systemctl runs
// (systemctl --root reads and writes /etc, which in the image is /usr/etc).
Status ApplyServices(const Config& c, const std::string& root, std::vector<Change>& changes) {
  std::vector<std::string> enable = c.enable;
  if (c.update && c.update->repository && !c.update->repository->empty())
    for (const char* u : {"hull-update.service", "hull-update.timer"}) enable.push_back(u);
  if (enable.empty() && c.disable.empty()) return Ok();
  for (const auto& u : enable) HULL_TRY(CheckUnit(root + "/usr", u, "enable"));
  for (const auto& u : c.disable) HULL_TRY(CheckUnit(root + "/usr", u, "disable"));
  const std::string etc = root + "/etc";
  std::error_code ec;
  fs::create_symlink("usr/etc", etc, ec);
  if (ec) return Errorf(ErrorCode::kIo, "linking '{}': {}", etc, ec.message());
  Status s = Systemctl(root, "enable", enable);
  if (s.ok()) s = Systemctl(root, "disable", c.disable);
  fs::remove(etc, ec);
  HULL_TRY(s);
  for (const auto& u : enable) changes.push_back({"service", u, "enable"});
  for (const auto& u : c.disable) changes.push_back({"service", u, "disable"});
  return Ok();
}

Status ApplyModules(const Config& c, const std::string& usr, std::vector<Change>& changes) {
  if (c.modules.empty()) return Ok();
  HULL_ASSIGN_OR_RETURN(auto have, ImageModules(usr));
  for (const auto& m : c.modules) {
    std::string n = m.name;
    std::replace(n.begin(), n.end(), '-', '_');
    if (!have.count(n))
      return Errorf(ErrorCode::kNotFound,
                    "{}: the image's kernel has no module '{}' (neither in modules.dep nor built "
                    "in; it may be pruned by the spec's kernel.modules)",
                    m.where, m.name);
  }
  HULL_TRY(PutOwn(usr, kModulesLoadFile, ModulesLoadText(c), "os.modules"));
  HULL_TRY(PutOwn(usr, kModprobeFile, ModprobeText(c), "os.modules"));
  for (const auto& m : c.modules) {
    const char* load[] = {"auto", "always", "disable"};
    changes.push_back({"module", m.name, load[int(m.load)]});
  }
  return Ok();
}

Status ApplySelinux(const Config& c, const std::string& usr, std::vector<Change>& changes) {
  if (!c.selinux) return Ok();
  const char* names[] = {"enforcing", "permissive", "disabled"};
  const char* rel = "etc/selinux/config";
  auto text = ReadTreeText(usr, rel, 1 << 20);
  if (!text.ok() && text.error().code() != ErrorCode::kNotFound)
    return std::move(text).error().Wrap("os.selinux.mode");
  if (!text.ok() && *c.selinux != spec::SelinuxMode::kDisabled)
    return Errorf(ErrorCode::kRefused,
                  "os.selinux.mode {}: the image has no SELinux policy (/etc/selinux/config); "
                  "rebuild it with selinux: {} in the spec",
                  names[int(*c.selinux)], names[int(*c.selinux)]);
  if (text.ok()) {
    std::string out;
    size_t pos = 0;
    while (pos < text->size()) {
      size_t nl = text->find('\n', pos);
      if (nl == std::string::npos) nl = text->size();
      std::string line = text->substr(pos, nl - pos);
      pos = nl + 1;
      if (line.starts_with("SELINUX=")) line = std::string("SELINUX=") + names[int(*c.selinux)];
      out += line + "\n";
    }
    HULL_TRY(WriteInTree(usr, rel, AsBytes(out), 0644, "os.selinux.mode"));
  }
  changes.push_back({"selinux", "mode", names[int(*c.selinux)]});
  return Ok();
}

Status ApplyUpdate(const Config& c, const std::string& usr, std::vector<Change>& changes) {
  if (!c.update) return Ok();
  const UpdateChange& u = *c.update;
  const std::string rel = std::string(node::kFactoryConfig).substr(5);  // past "/usr/"
  HULL_ASSIGN_OR_RETURN(std::string text, ReadTreeText(usr, rel, 1 << 20).Context(u.where));
  HULL_ASSIGN_OR_RETURN(node::UpdateConfig cfg, node::ParseConfig(text, node::kFactoryConfig));
  if (u.repository) cfg.repository = *u.repository;
  if (u.channel) cfg.channel = *u.channel;
  if (u.fleetlock_url) cfg.fleetlock.url = *u.fleetlock_url;
  if (u.fleetlock_group) cfg.fleetlock.group = *u.fleetlock_group;
  const std::string json = node::ToJson(cfg).dump(2) + "\n";
  HULL_TRY(WriteInTree(usr, rel, AsBytes(json), 0644, u.where));
  changes.push_back({"update", node::kFactoryConfig, "sha256:" + Sha256Hex(AsBytes(json))});
  if (u.trusted_root) {
    HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(*u.trusted_root, 16 << 20));
    HULL_TRY(PutFile(usr, node::kFactoryRoot, root, 0644, u.where, changes));
  }
  return Ok();
}

}  // namespace

std::string SysusersText(const Config& c) {
  std::string out = "# Written by hull customize from os.groups and os.users.\n";
  for (const auto& g : c.groups)
    out += fmt::format("g {} {}\n", g.name, g.gid ? std::to_string(*g.gid) : "-");
  for (const auto& u : c.users) {
    std::string id = u.uid ? std::to_string(*u.uid) : "-";
    if (!u.primary_group.empty()) id = (u.uid ? id : "-") + ":" + u.primary_group;
    out += fmt::format("u {} {} \"{}\" /home/{} /bin/bash\n", u.name, id, u.name, u.name);
    for (const auto& g : u.secondary_groups) out += fmt::format("m {} {}\n", u.name, g);
  }
  return out;
}

std::string ModulesLoadText(const Config& c) {
  std::string out = "# Written by hull customize from os.modules (loadMode: always).\n";
  for (const auto& m : c.modules)
    if (m.load == Module::Load::kAlways) out += m.name + "\n";
  return out;
}

std::string ModprobeText(const Config& c) {
  std::string out = "# Written by hull customize from os.modules.\n";
  for (const auto& m : c.modules) {
    if (m.load == Module::Load::kDisable) out += fmt::format("blacklist {}\n", m.name);
    if (m.options.empty()) continue;
    out += "options " + m.name;
    for (const auto& [k, v] : m.options) out += " " + k + "=" + v;
    out += "\n";
  }
  return out;
}

Result<std::vector<Change>> Apply(const Config& c, const std::string& root) {
  const std::string usr = root + "/usr";
  std::vector<Change> changes;
  if (c.hostname) {
    HULL_TRY(
        PutFile(usr, "/etc/hostname", AsBytes(*c.hostname + "\n"), 0644, "os.hostname", changes));
    changes.back() = {"hostname", *c.hostname, ""};
  }
  for (const auto& f : c.files) {
    Bytes data;
    if (f.content) {
      data.assign(f.content->begin(), f.content->end());
    } else {
      HULL_ASSIGN_OR_RETURN(data, ReadFileBytes(f.source, kMaxSourceBytes).Context(f.where));
    }
    HULL_TRY(PutFile(usr, f.destination, data, f.permissions, f.where, changes));
  }
  for (const auto& d : c.dirs) HULL_TRY(CopyDir(usr, d, changes));
  if (!c.users.empty() || !c.groups.empty()) {
    std::vector<rootfs::LoginUser> logins;
    for (const auto& u : c.users) logins.push_back({u.name, u.ssh_public_keys});
    HULL_TRY(PutOwn(usr, kSysusersFile, SysusersText(c), "os.users"));
    HULL_TRY(PutOwn(usr, kTmpfilesFile, rootfs::TmpfilesText(logins), "os.users"));
    for (const auto& g : c.groups) changes.push_back({"group", g.name, ""});
    for (const auto& u : c.users)
      changes.push_back({"user", u.name, fmt::format("{} SSH keys", u.ssh_public_keys.size())});
  }
  HULL_TRY(ApplyModules(c, usr, changes));
  HULL_TRY(ApplySelinux(c, usr, changes));
  HULL_TRY(ApplyUpdate(c, usr, changes));
  HULL_TRY(ApplyServices(c, root, changes));
  for (const auto& a : c.extra_cmdline) changes.push_back({"cmdline", a, "appended"});
  return changes;
}

}  // namespace hull::customize

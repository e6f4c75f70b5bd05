#include "rootfs/shape.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "base/file.h"
#include "base/log.h"
#include "base/subprocess.h"

namespace hull::rootfs {
namespace fs = std::filesystem;

namespace {

Error FsError(const std::error_code& ec, std::string_view what, const fs::path& p) {
  return Errorf(ErrorCode::kIo, "{} '{}': {}", what, p.string(), ec.message());
}

Status CheckMergedUsr(const std::string& root) {
  for (const char* d : {"bin", "sbin", "lib"}) {
    std::error_code ec;
    fs::path link = fs::path(root) / d;
    if (!fs::is_symlink(link, ec) || fs::read_symlink(link, ec) != fs::path("usr") / d) {
      return Errorf(ErrorCode::kUnsupported,
                    "tree '{}' is not merged-/usr: /{} is not a link to usr/{}", root, d, d);
    }
  }
  return Ok();
}

// Removes the non-directory files dpkg lists for `pkg` (lstat only: a link is
// removed, never followed). Returns false when the package is not installed
// (for `arch`, the tree's architecture).
Result<bool> RemovePackageFiles(const std::string& root, const std::string& pkg,
                                const std::string& arch) {
  const std::string list_path = DpkgListPath(root, pkg, arch);
  std::error_code ec;
  if (list_path.empty()) return false;
  HULL_ASSIGN_OR_RETURN(std::string list, ReadFileText(list_path, 16 << 20));
  size_t pos = 0;
  while (pos < list.size()) {
    size_t nl = list.find('\n', pos);
    std::string path = list.substr(pos, nl == std::string::npos ? nl : nl - pos);
    pos = nl == std::string::npos ? list.size() : nl + 1;
    if (path.empty() || path[0] != '/' || path.find("/../") != std::string::npos) continue;
    fs::path p = fs::path(root) / path.substr(1);
    auto st = fs::symlink_status(p, ec);
    if (ec || st.type() == fs::file_type::directory || st.type() == fs::file_type::not_found) {
      continue;
    }
    // dpkg lists directories; on merged /usr some are links (/lib -> usr/lib)
    // that other packages need. A link resolving to a directory stays. The
    // link is resolved inside the tree: absolute targets are re-rooted.
    if (st.type() == fs::file_type::symlink) {
      fs::path target = fs::read_symlink(p, ec);
      fs::path resolved =
          target.is_absolute() ? fs::path(root) / target.relative_path() : p.parent_path() / target;
      if (!ec && fs::is_directory(fs::symlink_status(resolved, ec))) continue;
    }
    fs::remove(p, ec);
    if (ec) return FsError(ec, "removing", p);
  }
  return true;
}

Status CopyFiles(const std::string& root, const std::vector<CopyFile>& files) {
  for (const auto& f : files) {
    fs::path dest = fs::path(root) / f.dest.substr(1);
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    if (ec) return FsError(ec, "creating", dest.parent_path());
    // A file the tree has is replaced, not written into: its inode may be
    // the compose cache's (a hard-linked tree).
    fs::remove(dest, ec);
    fs::copy_file(f.source, dest, ec);
    if (ec) return FsError(ec, "copying " + f.source + " to", dest);
  }
  return Ok();
}

Status SystemctlUnits(const std::string& root, const char* verb,
                      const std::vector<std::string>& units) {
  if (units.empty()) return Ok();
  std::vector<std::string> argv = {"systemctl", "--root=" + root, "--no-reload", verb};
  argv.insert(argv.end(), units.begin(), units.end());
  auto r = Run(Command{
      .argv = argv, .timeout = std::chrono::minutes(2), .install_hint = "apt-get install systemd"});
  if (!r.ok()) return std::move(r).error().Wrap(fmt::format("systemctl {}", verb));
  return Ok();
}

Status EmptyDir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directory(dir, ec);
    return ec ? FsError(ec, "creating", dir) : Ok();
  }
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    fs::remove_all(e.path(), ec);
    if (ec) return FsError(ec, "removing", e.path());
  }
  return ec ? FsError(ec, "listing", dir) : Ok();
}

Status WriteEtc(const std::string& root, const ShapeOptions& o) {
  HULL_TRY(WriteFileAtomic(root + "/usr/lib/os-release", OsReleaseText(o), 0644));
  // An empty machine-id: systemd treats the first boot as such and commits a
  // fresh ID to the writable /etc.
  HULL_TRY(WriteFileAtomic(root + "/etc/machine-id", std::string_view(), 0444));
  std::error_code ec;
  if (fs::is_directory(root + "/etc/selinux", ec)) {
    HULL_TRY(WriteFileAtomic(root + "/etc/selinux/config",
                             fmt::format("# Written by hull from the image spec.\n"
                                         "SELINUX={}\nSELINUXTYPE=default\n",
                                         o.selinux_mode)));
  }
  return Ok();
}

Status WriteUsers(const std::string& root, const std::vector<LoginUser>& users) {
  if (users.empty()) return Ok();
  std::error_code ec;
  for (const char* d : {"/usr/lib/sysusers.d", "/usr/lib/tmpfiles.d"}) {
    fs::create_directories(root + d, ec);
    if (ec) return FsError(ec, "creating", root + d);
  }
  HULL_TRY(WriteFileAtomic(root + "/usr/lib/sysusers.d/hull-users.conf", SysusersText(users)));
  return WriteFileAtomic(root + "/usr/lib/tmpfiles.d/hull-users.conf", TmpfilesText(users));
}

Status MoveEtc(const std::string& root) {
  std::error_code ec;
  fs::path etc = fs::path(root) / "etc", usr_etc = fs::path(root) / "usr/etc";
  if (fs::exists(usr_etc, ec)) {
    return Errorf(ErrorCode::kAlreadyExists, "'{}' exists: tree already shaped?", usr_etc.string());
  }
  fs::rename(etc, usr_etc, ec);
  if (ec) return FsError(ec, "moving", etc);
  fs::create_directory(etc, ec);
  if (ec) return FsError(ec, "creating", etc);
  fs::permissions(etc, fs::perms(0755), ec);
  return Ok();
}

}  // namespace

std::string OsReleaseText(const ShapeOptions& o) {
  std::string id;
  for (char c : o.image_id) {
    char l = char(std::tolower(static_cast<unsigned char>(c)));
    id +=
        (std::isalnum(static_cast<unsigned char>(l)) || l == '.' || l == '_' || l == '-') ? l : '-';
  }
  std::string pretty = o.pretty_name.empty()
                           ? fmt::format("Hull {} {}", o.image_id, o.image_version)
                           : o.pretty_name;
  std::string text = fmt::format(
      "NAME=\"Hull\"\nID=hull\nID_LIKE=debian\nPRETTY_NAME=\"{}\"\n"
      "IMAGE_ID={}\nIMAGE_VERSION={}\nVARIANT_ID={}\n"
      "HOME_URL=\"https://github.com/hull-os/hull\"\n",
      pretty, id, o.image_version, o.variant_id);
  // systemd-sysext(8) accepts an extension whose SYSEXT_LEVEL, or else
  // VERSION_ID, equals the host's: both are declared so an extension can name
  // either.
  text += fmt::format("VERSION_ID={}\n", o.image_version);
  if (!o.sysext_level.empty()) text += fmt::format("SYSEXT_LEVEL={}\n", o.sysext_level);
  if (o.insecure_dev_keys) {
    text +=
        "# Signed with insecure development keys: not for production.\n"
        "HULL_INSECURE_DEV_KEYS=1\n";
  }
  return text;
}

Result<uint64_t> TreeBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) total += uint64_t(st.st_size);
  }
  if (ec) return FsError(ec, "walking", dir);
  return total;
}

Result<std::vector<SizeEntry>> LargestEntries(const std::string& dir, int depth, size_t count) {
  std::map<std::string, uint64_t> sums;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
      continue;
    }
    fs::path rel = fs::relative(it->path(), dir, ec);
    fs::path key;
    int n = 0;
    for (auto part = rel.begin(); part != rel.end() && n < depth; ++part, ++n) key /= *part;
    sums[key.string()] += uint64_t(st.st_size);
  }
  if (ec) return FsError(ec, "walking", dir);
  std::vector<SizeEntry> out;
  for (auto& [p, b] : sums) out.push_back({p, b});
  std::sort(out.begin(), out.end(), [](const SizeEntry& a, const SizeEntry& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.path < b.path;
  });
  if (out.size() > count) out.resize(count);
  return out;
}

Result<ShapeReport> Shape(const std::string& root, const ShapeOptions& o) {
  ShapeReport rep;
  HULL_TRY(CheckMergedUsr(root));
  HULL_ASSIGN_OR_RETURN(rep.packages, ReadPackages(root, o.deb_cache).Context("package list"));
  HULL_TRY(CopyFiles(root, o.files));
  HULL_TRY(SystemctlUnits(root, "enable", o.enable_units));
  HULL_TRY(SystemctlUnits(root, "disable", o.disable_units));
  HULL_TRY(WriteUsers(root, o.users));
  if (o.remove_package_manager) {
    for (const char* pkg : kPackageManager) {
      HULL_ASSIGN_OR_RETURN(
          bool removed,
          RemovePackageFiles(root, pkg, o.arch).Context("removing " + std::string(pkg)));
      if (!removed) continue;
      rep.removed_packages.push_back(pkg);
      std::erase_if(rep.packages, [&](const PackageInfo& p) { return p.name == pkg; });
    }
  }
  HULL_ASSIGN_OR_RETURN(rep.usr_bytes_before_prune, TreeBytes(root + "/usr"));
  if (!o.module_patterns.empty()) {
    HULL_ASSIGN_OR_RETURN(rep.kernels, PruneModules(root, o.module_patterns));
  }
  HULL_TRY(WriteEtc(root, o));
  HULL_TRY(MoveEtc(root));
  for (const char* d : {"var", "home", "srv", "tmp", "run", "root"}) {
    HULL_TRY(EmptyDir(fs::path(root) / d));
  }
  HULL_ASSIGN_OR_RETURN(rep.usr_bytes_after, TreeBytes(root + "/usr"));
  HULL_ASSIGN_OR_RETURN(rep.largest, LargestEntries(root + "/usr", 2, 15));
  return rep;
}

}  // namespace hull::rootfs

#include "container/unpack.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "base/file.h"
#include "base/subprocess.h"

namespace hull::container {
namespace fs = std::filesystem;

namespace {

constexpr const char* kMergedDirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

// The merged-/usr path of a package path ("lib/x" -> "usr/lib/x").
std::string Canonical(const std::string& rel) {
  std::string first = rel.substr(0, rel.find('/'));
  for (const char* d : kMergedDirs) {
    if (first == d) return "usr/" + rel;
  }
  return rel;
}

Result<std::string> FindDeb(const std::string& deb_dir, const std::string& name) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(deb_dir, ec)) {
    const std::string f = e.path().filename().string();
    if (f.starts_with(name + "_") && f.ends_with(".deb")) found.push_back(e.path().string());
  }
  if (ec) return Errorf(ErrorCode::kIo, "reading '{}': {}", deb_dir, ec.message());
  if (found.empty()) {
    return Errorf(ErrorCode::kNotFound,
                  "package '{}' was not downloaded (a virtual package? name the package that "
                  "provides it)",
                  name);
  }
  if (found.size() > 1) {
    return Errorf(ErrorCode::kConflict, "package '{}' has {} .debs in '{}'", name, found.size(),
                  deb_dir);
  }
  return found[0];
}

std::vector<std::string> SortedWalk(const std::string& root) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    paths.push_back(it->path().string().substr(root.size() + 1));
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Moves the package's staged files into the tree; `owner` maps each
// non-directory path to the package that shipped it.
Status Merge(const std::string& staging, const std::string& tree, const std::string& pkg,
             std::map<std::string, std::string>& owner) {
  std::error_code ec;
  for (const auto& rel : SortedWalk(staging)) {
    const std::string canon = Canonical(rel);
    const fs::path src = fs::path(staging) / rel;
    const fs::path dst = fs::path(tree) / canon;
    struct stat st {};
    if (::lstat(src.c_str(), &st) != 0) return ErrnoError(errno, "lstat", src.string());
    const auto existing = fs::symlink_status(dst, ec);
    if (S_ISDIR(st.st_mode)) {
      if (fs::is_directory(existing)) continue;
      if (fs::exists(existing)) {
        return Errorf(ErrorCode::kConflict,
                      "file conflict: /{} is a directory in '{}' and a file in '{}'", canon, pkg,
                      owner[canon]);
      }
      fs::create_directories(dst, ec);
      if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", dst.string(), ec.message());
      ::chmod(dst.c_str(), st.st_mode & 07777);
      if (::lchown(dst.c_str(), st.st_uid, st.st_gid) != 0) {
        return ErrnoError(errno, "chown", dst.string());
      }
      continue;
    }
    if (fs::exists(existing)) {
      return Errorf(ErrorCode::kConflict, "file conflict: /{} is in both '{}' and '{}'", canon,
                    owner.count(canon) ? owner[canon] : "the image", pkg);
    }
    fs::create_directories(dst.parent_path(), ec);
    fs::rename(src, dst, ec);
    if (ec) return Errorf(ErrorCode::kIo, "moving '{}': {}", src.string(), ec.message());
    owner[canon] = pkg;
  }
  return Ok();
}

}  // namespace

std::string StatusStanza(std::string control) {
  while (!control.empty() && control.back() == '\n') control.pop_back();
  size_t line_end = control.find('\n');
  if (line_end == std::string::npos) line_end = control.size();
  control.insert(line_end, "\nStatus: install ok installed");
  return control + "\n";
}

Result<std::vector<UnpackedPackage>> UnpackPackages(std::vector<std::string> names,
                                                    const std::string& deb_dir,
                                                    const std::string& tree,
                                                    const std::string& scratch) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::map<std::string, std::string> owner;
  std::vector<UnpackedPackage> out;
  std::error_code ec;
  const std::string status_d = tree + "/var/lib/dpkg/status.d";
  fs::create_directories(status_d, ec);
  for (const auto& name : names) {
    HULL_ASSIGN_OR_RETURN(std::string deb, FindDeb(deb_dir, name));
    const std::string staging = scratch + "/unpack/" + name;
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", staging, ec.message());
    HULL_TRY(Run(Command{.argv = {"bash", "-c",
                                  "set -o pipefail; dpkg-deb --fsys-tarfile \"$1\" | "
                                  "tar -x -p --same-owner --numeric-owner -C \"$2\"",
                                  "bash", deb, staging},
                         .timeout = std::chrono::minutes(5),
                         .install_hint = "apt-get install dpkg tar"})
                 .Context("unpacking " + deb));
    HULL_ASSIGN_OR_RETURN(auto control, Run(Command{.argv = {"dpkg-deb", "--field", deb}}));
    HULL_TRY(Merge(staging, tree, name, owner));
    fs::remove_all(staging, ec);
    HULL_TRY(WriteFileAtomic(status_d + "/" + name, StatusStanza(control.out)));
    out.push_back({name, deb});
  }
  return out;
}

Status MakeMergedUsrLinks(const std::string& tree) {
  std::error_code ec;
  for (const char* d : kMergedDirs) {
    if (!fs::is_directory(tree + "/usr/" + d)) continue;
    fs::create_symlink(std::string("usr/") + d, tree + "/" + d, ec);
    if (ec) return Errorf(ErrorCode::kIo, "linking /{}: {}", d, ec.message());
  }
  return Ok();
}

}  // namespace hull::container

#include "sysext/tree.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "base/subprocess.h"
#include "rootfs/packages.h"

namespace hull::sysext {
namespace fs = std::filesystem;

namespace {

std::string Rel(const fs::path& p, const std::string& root) {
  return p.lexically_relative(root).generic_string();
}

Result<std::string> ReadList(const std::string& root, const std::string& pkg,
                             const std::string& arch) {
  const std::string path = rootfs::DpkgListPath(root, pkg, arch);
  if (!path.empty()) return ReadFileText(path, kMaxListBytes);
  return std::string();  // a package with no files (metapackages list only "/.")
}

Result<std::set<std::string>> InstalledNames(const std::string& root) {
  HULL_ASSIGN_OR_RETURN(
      std::string status,
      ReadFileText(root + "/var/lib/dpkg/status", rootfs::kMaxStatusBytes).Context(root));
  HULL_ASSIGN_OR_RETURN(auto pkgs, rootfs::ParseDpkgStatus(status));
  std::set<std::string> names;
  for (const auto& p : pkgs) names.insert(p.name);
  return names;
}

// Adds every listed path of `pkg` to `owners` (non-directories only unless
// `with_dirs`), keyed as usr_rule.h says.
Status AddOwners(const std::string& root, const std::string& pkg, const std::string& arch,
                 bool with_dirs, Owners& owners) {
  HULL_ASSIGN_OR_RETURN(std::string list, ReadList(root, pkg, arch));
  size_t pos = 0;
  while (pos < list.size()) {
    size_t nl = list.find('\n', pos);
    if (nl == std::string::npos) nl = list.size();
    std::string_view line(list.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line == "/.") continue;
    // The merged-/usr links themselves (bin -> usr/bin, lib -> usr/lib...),
    // which packages list as directories, belong to no package here.
    if (line.find('/', 1) == std::string_view::npos && IsUsrLink(line.substr(1))) continue;
    auto usr = UsrPathOf(line);
    std::string key = usr ? *usr : std::string(line.substr(line[0] == '/' ? 1 : 0));
    if (!with_dirs) {
      struct stat st {};
      if (lstat((root + "/" + key).c_str(), &st) != 0) continue;  // diverted or removed
      if (S_ISDIR(st.st_mode)) continue;
    }
    owners.emplace(std::move(key), pkg);
  }
  return Ok();
}

Result<bool> SameContent(const std::string& a, const std::string& b) {
  HULL_ASSIGN_OR_RETURN(File fa, File::OpenRead(a));
  HULL_ASSIGN_OR_RETURN(File fb, File::OpenRead(b));
  HULL_ASSIGN_OR_RETURN(uint64_t size, fa.Size());
  Bytes ba(1 << 16), bb(1 << 16);
  for (uint64_t off = 0; off < size; off += ba.size()) {
    const size_t n = size_t(std::min<uint64_t>(ba.size(), size - off));
    HULL_TRY(fa.ReadAt(off, MutableByteSpan(ba.data(), n)));
    HULL_TRY(fb.ReadAt(off, MutableByteSpan(bb.data(), n)));
    if (!std::equal(ba.begin(), ba.begin() + long(n), bb.begin())) return false;
  }
  return true;
}

Result<bool> Differs(const std::string& rel, const std::string& a, const struct stat& sa,
                     const std::string& b, const struct stat& sb) {
  if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT) || sa.st_mode != sb.st_mode) return true;
  if (S_ISDIR(sa.st_mode)) return false;
  if (S_ISREG(sa.st_mode) && (rel == "etc/shadow" || rel == "etc/shadow-")) {
    HULL_ASSIGN_OR_RETURN(std::string ta, ReadFileText(a, kMaxListBytes));
    HULL_ASSIGN_OR_RETURN(std::string tb, ReadFileText(b, kMaxListBytes));
    return !SameShadowButDates(rel, ta, tb);
  }
  if (sa.st_size != sb.st_size) return true;
  if (S_ISLNK(sa.st_mode)) {
    std::error_code e1, e2;
    return fs::read_symlink(a, e1) != fs::read_symlink(b, e2) || e1 || e2;
  }
  if (!S_ISREG(sa.st_mode)) return sa.st_rdev != sb.st_rdev;
  if (sa.st_mtim.tv_sec == sb.st_mtim.tv_sec && sa.st_mtim.tv_nsec == sb.st_mtim.tv_nsec) {
    return false;
  }
  HULL_ASSIGN_OR_RETURN(bool same, SameContent(a, b));
  return !same;
}

Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", dir, ec.message());
  return Ok();
}

}  // namespace

Result<Facts> GatherFacts(const std::string& base, const std::string& ext,
                          const std::string& arch) {
  HULL_ASSIGN_OR_RETURN(auto base_names, InstalledNames(base));
  HULL_ASSIGN_OR_RETURN(auto ext_names, InstalledNames(ext));
  Facts f;
  for (const auto& n : ext_names) {
    if (!base_names.count(n)) f.added_packages.push_back(n);
  }
  for (const auto& n : base_names) HULL_TRY(AddOwners(base, n, arch, false, f.base_owner));
  for (const auto& n : f.added_packages) HULL_TRY(AddOwners(ext, n, arch, true, f.added_owner));
  return f;
}

Result<std::vector<Change>> DiffTrees(const std::string& base, const std::string& ext) {
  std::vector<Change> out;
  std::error_code ec;
  size_t seen = 0;
  for (auto it = fs::recursive_directory_iterator(ext, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (++seen > kMaxTreeEntries) {
      return Errorf(ErrorCode::kInvalidArgument, "'{}' has more than {} entries", ext,
                    kMaxTreeEntries);
    }
    const std::string rel = Rel(it->path(), ext);
    if (it.depth() == 0 && (rel == "proc" || rel == "sys" || rel == "dev")) {
      it.disable_recursion_pending();
      continue;
    }
    struct stat se {
    }, sb{};
    if (lstat(it->path().c_str(), &se) != 0) return ErrnoError(errno, "lstat", it->path().string());
    const std::string other = base + "/" + rel;
    Change c{rel, true, S_ISDIR(se.st_mode), S_ISLNK(se.st_mode)};
    if (lstat(other.c_str(), &sb) == 0) {
      HULL_ASSIGN_OR_RETURN(bool differs, Differs(rel, it->path().string(), se, other, sb));
      if (!differs) continue;
      c.added = false;
      if (c.directory && S_ISDIR(sb.st_mode)) continue;
    }
    out.push_back(std::move(c));
  }
  if (ec) return Errorf(ErrorCode::kIo, "walking '{}': {}", ext, ec.message());
  std::sort(out.begin(), out.end(),
            [](const Change& a, const Change& b) { return a.path < b.path; });
  return out;
}

Result<std::string> UnpackSource(const std::string& source, const std::string& work) {
  std::error_code ec;
  if (fs::is_directory(source, ec)) return source;
  if (!fs::is_regular_file(source, ec)) {
    return Errorf(ErrorCode::kNotFound,
                  "files source '{}' is neither a directory nor a tarball: fix the spec's 'files'",
                  source);
  }
  HULL_ASSIGN_OR_RETURN(TempDir t, TempDir::Create("files", work));
  std::string dir = t.Release();
  HULL_TRY(Run({.argv = {"tar", "-xf", source, "-C", dir, "--no-same-owner",
                         "--no-same-permissions", "--delay-directory-restore"},
                .install_hint = "apt-get install tar"})
               .Context(fmt::format("unpacking files source '{}'", source)));
  return dir;
}

Result<std::vector<Entry>> SourceEntries(const std::string& source, const std::string& dir,
                                         const Facts& facts) {
  std::vector<Entry> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (out.size() > kMaxTreeEntries) {
      return Errorf(ErrorCode::kInvalidArgument, "files source '{}' has too many entries", source);
    }
    const std::string rel = Rel(it->path(), dir);
    const bool is_dir = it->is_directory(ec) && !it->is_symlink(ec);
    if (rel == "usr" && is_dir) continue;
    // A directory outside /usr is judged by what it holds (its entries
    // follow); only an empty one is refused as such.
    if (is_dir && rel.rfind("usr/", 0) != 0 && !fs::is_empty(it->path(), ec)) continue;
    if (rel.rfind("usr/", 0) != 0) {
      return Errorf(ErrorCode::kRefused,
                    "files source '{}' holds /{} outside /usr: a system extension holds only "
                    "/usr (move it under usr/)",
                    source, rel);
    }
    if (auto b = facts.base_owner.find(rel); b != facts.base_owner.end() && !is_dir) {
      return Errorf(ErrorCode::kConflict,
                    "/{} from files source '{}' is in package '{}' of the base image: an "
                    "extension may not replace a base file",
                    rel, source, b->second);
    }
    out.push_back({rel, rel, is_dir});
  }
  if (ec) return Errorf(ErrorCode::kIo, "walking '{}': {}", dir, ec.message());
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.to < b.to; });
  return out;
}

Status Stage(const std::string& root, const std::vector<Entry>& entries, const std::string& stage) {
  for (const Entry& e : entries) {
    const std::string from = root + "/" + e.from, to = stage + "/" + e.to;
    HULL_TRY(MakeDirs(fs::path(to).parent_path().string()));
    struct stat st {};
    if (lstat(from.c_str(), &st) != 0) return ErrnoError(errno, "lstat", from);
    struct stat existing {};
    const bool exists = lstat(to.c_str(), &existing) == 0;
    if (S_ISDIR(st.st_mode)) {
      if (exists && !S_ISDIR(existing.st_mode)) {
        return Errorf(ErrorCode::kConflict, "/{} is given as a file and as a directory", e.to);
      }
      if (!exists && mkdir(to.c_str(), 0755) != 0) return ErrnoError(errno, "mkdir", to);
      if (chmod(to.c_str(), st.st_mode & 07777) != 0) return ErrnoError(errno, "chmod", to);
      continue;
    }
    if (exists) {
      return Errorf(ErrorCode::kConflict,
                    "/{} is given twice (by a package and a files source, or by two sources)",
                    e.to);
    }
    std::error_code ec;
    if (S_ISLNK(st.st_mode)) {
      fs::create_symlink(fs::read_symlink(from, ec), to, ec);
    } else if (S_ISREG(st.st_mode)) {
      fs::copy_file(from, to, ec);
      if (!ec && chmod(to.c_str(), st.st_mode & 07777) != 0) return ErrnoError(errno, "chmod", to);
    } else {
      return Errorf(ErrorCode::kRefused, "/{} is a device, FIFO or socket: not allowed in /usr",
                    e.to);
    }
    if (ec) return Errorf(ErrorCode::kIo, "copying '{}' to '{}': {}", from, to, ec.message());
  }
  return Ok();
}

}  // namespace hull::sysext

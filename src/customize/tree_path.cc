#include "customize/tree_path.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <filesystem>

#include "base/fd.h"
#include "base/file.h"

namespace hull::customize {
namespace fs = std::filesystem;

namespace {

// lstat of every component of `rel` under `top`, refusing a link anywhere;
// the last component's stat in `last` (false when it does not exist).
Status CheckNoLink(const std::string& top, const std::string& rel, struct stat* last,
                   bool* exists) {
  std::string cur = top;
  size_t i = 0;
  while (true) {
    const size_t j = rel.find('/', i);
    const bool end = j == std::string::npos;
    cur += "/" + rel.substr(i, end ? std::string::npos : j - i);
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0) {
      if (errno != ENOENT) return ErrnoError(errno, "lstat", cur);
      *exists = false;
      return Ok();
    }
    if (S_ISLNK(st.st_mode))
      return Errorf(ErrorCode::kRefused, "'/{}' in the image passes through the symbolic link '{}'",
                    rel, cur.substr(top.size()));
    if (end) {
      *last = st;
      *exists = true;
      return Ok();
    }
    i = j + 1;
  }
}

}  // namespace

Result<std::string> PrepareTarget(const std::string& top, const std::string& rel,
                                  const std::string& where, bool dir) {
  std::string cur = top;
  size_t i = 0;
  while (true) {
    size_t j = rel.find('/', i);
    const bool last = j == std::string::npos;
    cur += "/" + rel.substr(i, last ? std::string::npos : j - i);
    struct stat st {};
    const bool exists = ::lstat(cur.c_str(), &st) == 0;
    if (exists && S_ISLNK(st.st_mode) && !(last && !dir))
      return Errorf(ErrorCode::kRefused,
                    "{}: '/{}' passes through the symbolic link '{}' in the image; give the path "
                    "the link points to",
                    where, rel, cur.substr(top.size()));
    if (last) {
      if (exists && !dir && S_ISDIR(st.st_mode))
        return Errorf(ErrorCode::kRefused, "{}: '{}' is a directory in the image", where,
                      cur.substr(top.size()));
      if (exists && dir && !S_ISDIR(st.st_mode))
        return Errorf(ErrorCode::kRefused, "{}: '{}' is a file in the image", where,
                      cur.substr(top.size()));
      return cur;
    }
    if (!exists && ::mkdir(cur.c_str(), 0755) != 0) return ErrnoError(errno, "creating", cur);
    if (exists && !S_ISDIR(st.st_mode))
      return Errorf(ErrorCode::kRefused, "{}: '{}' is a file in the image", where,
                    cur.substr(top.size()));
    i = j + 1;
  }
}

Status WriteInTree(const std::string& top, const std::string& rel, ByteSpan data, mode_t mode,
                   const std::string& where) {
  HULL_ASSIGN_OR_RETURN(std::string path, PrepareTarget(top, rel, where, false));
  std::error_code ec;
  if (fs::is_symlink(path, ec)) fs::remove(path, ec);  // replaced, not followed
  HULL_TRY(WriteFileAtomic(path, data, mode));
  // WriteFileAtomic's mode passes through the umask: set it as asked.
  return ChmodInTree(top, rel, mode);
}

Result<Bytes> ReadTreeFile(const std::string& top, const std::string& rel, uint64_t max_size) {
  struct stat st {};
  bool exists = false;
  HULL_TRY(CheckNoLink(top, rel, &st, &exists));
  if (!exists) return Errorf(ErrorCode::kNotFound, "the image has no '/{}'", rel);
  if (!S_ISREG(st.st_mode))
    return Errorf(ErrorCode::kRefused, "'/{}' in the image is not a regular file", rel);
  return ReadFileBytes(top + "/" + rel, max_size);
}

Result<std::string> ReadTreeText(const std::string& top, const std::string& rel,
                                 uint64_t max_size) {
  HULL_ASSIGN_OR_RETURN(Bytes b, ReadTreeFile(top, rel, max_size));
  return std::string(b.begin(), b.end());
}

namespace {

// `rel` opened without following a link on the way or at its end, as a
// regular file or directory (`what` names the change refused otherwise).
Result<Fd> OpenInTree(const std::string& top, const std::string& rel, bool dirs,
                      std::string_view what) {
  const size_t slash = rel.rfind('/');
  if (slash != std::string::npos) {
    struct stat st {};
    bool exists = false;
    HULL_TRY(CheckNoLink(top, rel.substr(0, slash), &st, &exists));
  }
  const std::string path = top + "/" + rel;
  Fd fd(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "opening", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "fstat", path);
  if (!S_ISREG(st.st_mode) && !(dirs && S_ISDIR(st.st_mode)))
    return Errorf(ErrorCode::kRefused,
                  "'/{}' in the image is not a regular file{}: its {} is not set", rel,
                  dirs ? " or directory" : "", what);
  return fd;
}

}  // namespace

Status ChmodInTree(const std::string& top, const std::string& rel, mode_t mode) {
  HULL_ASSIGN_OR_RETURN(Fd fd, OpenInTree(top, rel, true, "mode"));
  // chmod(2) on an O_PATH descriptor's /proc link reaches the opened inode itself.
  const std::string proc = fmt::format("/proc/self/fd/{}", fd.get());
  if (::chmod(proc.c_str(), mode) != 0) return ErrnoError(errno, "chmod", top + "/" + rel);
  return Ok();
}

Status SetCapabilityInTree(const std::string& top, const std::string& rel, ByteSpan value) {
  HULL_ASSIGN_OR_RETURN(Fd fd, OpenInTree(top, rel, false, "file capability"));
  const std::string proc = fmt::format("/proc/self/fd/{}", fd.get());
  if (::setxattr(proc.c_str(), "security.capability", value.data(), value.size(), 0) == 0)
    return Ok();
  if (errno == EPERM)
    return Errorf(ErrorCode::kRefused,
                  "'/{}' in the base image has a file capability (security.capability) and "
                  "writing it back needs CAP_SETFCAP: run hull customize as root, or the "
                  "customized image would lose it",
                  rel);
  return ErrnoError(errno, "setting security.capability on", top + "/" + rel);
}

}  // namespace hull::customize

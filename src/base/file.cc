#include "base/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14
#endif

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace hull {

Error ErrnoError(int err, std::string_view what, std::string_view path) {
  ErrorCode code = ErrorCode::kIo;
  if (err == ENOENT) code = ErrorCode::kNotFound;
  if (err == EEXIST) code = ErrorCode::kAlreadyExists;
  return Errorf(code, "{} '{}': {}", what, path, std::strerror(err));
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

Result<File> File::OpenRead(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open", path);
  return File(fd, path);
}

Result<File> File::OpenReadWrite(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open for writing", path);
  return File(fd, path);
}

Result<File> File::CreateNew(const std::string& path, mode_t mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError(errno, "cannot create", path);
  return File(fd, path);
}

Result<size_t> File::ReadSomeAt(uint64_t offset, MutableByteSpan out) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, off_t(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot read", path_);
    }
    if (n == 0) break;
    done += size_t(n);
  }
  return done;
}

Status File::ReadAt(uint64_t offset, MutableByteSpan out) const {
  HULL_ASSIGN_OR_RETURN(size_t n, ReadSomeAt(offset, out));
  if (n != out.size()) {
    return Errorf(ErrorCode::kCorrupt, "'{}' is too short: wanted {} bytes at offset {}, got {}",
                  path_, out.size(), offset, n);
  }
  return Ok();
}

Status File::WriteAt(uint64_t offset, ByteSpan data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, off_t(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write", path_);
    }
    done += size_t(n);
  }
  return Ok();
}

MappedRegion::~MappedRegion() {
  if (base_) ::munmap(base_, map_size_);
}

MappedRegion::MappedRegion(MappedRegion&& o) noexcept
    : base_(o.base_), map_size_(o.map_size_), data_(o.data_), size_(o.size_) {
  o.base_ = nullptr;
}

MappedRegion& MappedRegion::operator=(MappedRegion&& o) noexcept {
  std::swap(base_, o.base_);
  std::swap(map_size_, o.map_size_);
  std::swap(data_, o.data_);
  std::swap(size_, o.size_);
  return *this;
}

Result<MappedRegion> File::Map(uint64_t offset, size_t length) const {
  HULL_ASSIGN_OR_RETURN(uint64_t size, Size());
  uint64_t end = 0;
  if (!CheckedAdd(offset, length, &end) || end > size) {
    return Errorf(ErrorCode::kCorrupt, "'{}' is too short: wanted {} bytes at offset {}, size {}",
                  path_, length, offset, size);
  }
  MappedRegion r;
  if (length == 0) return r;
  static const uint64_t kPage = uint64_t(::sysconf(_SC_PAGESIZE));
  uint64_t start = offset & ~(kPage - 1);
  size_t map_size = size_t(end - start);
  void* p = ::mmap(nullptr, map_size, PROT_READ, MAP_SHARED, fd_, off_t(start));
  if (p == MAP_FAILED) return ErrnoError(errno, "cannot map", path_);
  // Read every page now: an I/O error is then this error (the caller reads
  // with pread instead), not a SIGBUS at the first touch. MAP_POPULATE
  // would ignore the error. EINVAL: a kernel older than 5.14.
  if (::madvise(p, map_size, MADV_POPULATE_READ) != 0 && errno != EINVAL) {
    int e = errno;
    ::munmap(p, map_size);
    return Errorf(ErrorCode::kIo, "'{}': cannot read {} bytes at offset {} ({})", path_, length,
                  offset, std::strerror(e));
  }
  r.base_ = p;
  r.map_size_ = map_size;
  r.data_ = static_cast<const uint8_t*>(p) + (offset - start);
  r.size_ = length;
  return r;
}

Status File::Truncate(uint64_t size) {
  if (::ftruncate(fd_, off_t(size)) != 0) return ErrnoError(errno, "cannot resize", path_);
  return Ok();
}

Status File::Sync() {
  if (::fsync(fd_) != 0) return ErrnoError(errno, "cannot fsync", path_);
  return Ok();
}

Result<uint64_t> File::Size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoError(errno, "cannot stat", path_);
  if (S_ISBLK(st.st_mode)) {
    off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) return ErrnoError(errno, "cannot size block device", path_);
    return uint64_t(end);
  }
  return uint64_t(st.st_size);
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : file_(std::move(o.file_)),
      temp_path_(std::move(o.temp_path_)),
      path_(std::move(o.path_)),
      committed_(o.committed_) {
  o.committed_ = true;  // the moved-from object owns nothing to clean up
}

AtomicFile::~AtomicFile() {
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

Result<AtomicFile> AtomicFile::Create(const std::string& path, mode_t mode) {
  std::filesystem::path p(path);
  std::filesystem::path dir = p.parent_path().empty() ? "." : p.parent_path();
  std::string tmpl = (dir / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot create temp file in", dir.string());
  if (::fchmod(fd, mode) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    return ErrnoError(err, "cannot chmod", tmpl);
  }
  return AtomicFile(File::Adopt(fd, tmpl), tmpl, path);
}

Status AtomicFile::Commit() {
  HULL_TRY(file_.Sync());
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return ErrnoError(errno, "cannot rename into place", path_);
  }
  committed_ = true;
  std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Ok();
}

Result<Bytes> ReadFileBytes(const std::string& path, uint64_t max_size) {
  HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(path));
  HULL_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  if (size > max_size) {
    return Errorf(ErrorCode::kInvalidArgument, "'{}' is {} bytes, larger than the {} allowed", path,
                  size, max_size);
  }
  Bytes out(size);
  HULL_TRY(f.ReadAt(0, out));
  return out;
}

Result<std::string> ReadFileText(const std::string& path, uint64_t max_size) {
  HULL_ASSIGN_OR_RETURN(Bytes b, ReadFileBytes(path, max_size));
  return std::string(b.begin(), b.end());
}

namespace {

// An open() error for a path an untrusted user controls: a link (ELOOP under
// O_NOFOLLOW) or a file where a directory was expected is refused.
Error UntrustedOpenError(int err, const std::string& path) {
  if (err == ELOOP) return Errorf(ErrorCode::kRefused, "'{}' is a symbolic link, not read", path);
  if (err == ENOTDIR) return Errorf(ErrorCode::kRefused, "'{}' is not a directory, not read", path);
  return ErrnoError(err, "cannot open", path);
}

}  // namespace

Result<Bytes> ReadUntrustedFile(const std::string& base, const std::string& rel,
                                uint64_t max_size) {
  std::vector<std::string> parts;
  for (const auto& p : std::filesystem::path(rel)) {
    const std::string s = p.string();
    if (s.empty() || s == "/" || s == ".") continue;
    if (s == "..") return Errorf(ErrorCode::kInvalidArgument, "'{}' climbs out of '{}'", rel, base);
    parts.push_back(s);
  }
  if (parts.empty()) return Errorf(ErrorCode::kInvalidArgument, "no file named under '{}'", base);
  // Directories are walked as O_PATH handles: searching them needs no read
  // permission, as a plain path lookup would not.
  int dir = ::open(base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return ErrnoError(errno, "cannot open", base);
  File dir_file = File::Adopt(dir, base);
  std::string path = base;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    path += "/" + parts[i];
    int next =
        ::openat(dir_file.fd(), parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return UntrustedOpenError(errno, path);
    dir_file = File::Adopt(next, path);
  }
  path += "/" + parts.back();
  int fd =
      ::openat(dir_file.fd(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return UntrustedOpenError(errno, path);
  File f = File::Adopt(fd, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoError(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) {
    return Errorf(ErrorCode::kRefused, "'{}' is not a regular file, not read", path);
  }
  if (uint64_t(st.st_size) > max_size) {
    return Errorf(ErrorCode::kInvalidArgument, "'{}' is {} bytes, larger than the {} allowed", path,
                  st.st_size, max_size);
  }
  // The size read is the size checked: a file grown since fstat is cut there.
  Bytes out(size_t(st.st_size));
  HULL_ASSIGN_OR_RETURN(size_t n, f.ReadSomeAt(0, out));
  out.resize(n);
  return out;
}

Status WriteFileAtomic(const std::string& path, ByteSpan data, mode_t mode) {
  HULL_ASSIGN_OR_RETURN(AtomicFile af, AtomicFile::Create(path, mode));
  HULL_TRY(af.file().WriteAt(0, data));
  return af.Commit();
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

void KeepMostRecent(const std::string& dir, size_t keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    // Being written: a ".partial" work name, or an AtomicFile's temp file.
    if (name.find(".partial") != std::string::npos ||
        (name.starts_with('.') && name.find(".tmp-") != std::string::npos)) {
      continue;
    }
    entries.emplace_back(fs::last_write_time(e.path(), ec), e.path());
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = keep; i < entries.size(); ++i) fs::remove_all(entries[i].second, ec);
}

Result<TempDir> TempDir::Create(const std::string& prefix, const std::string& parent) {
  std::string base = parent;
  if (base.empty()) {
    const char* t = std::getenv("TMPDIR");
    base = (t && *t) ? t : "/tmp";
  }
  std::string tmpl = base + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return ErrnoError(errno, "cannot create temp dir in", base);
  return TempDir(tmpl);
}

std::string TempDir::Release() {
  std::string p = std::move(path_);
  path_.clear();
  return p;
}

}  // namespace hull

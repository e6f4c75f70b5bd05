// Files reached through explicit offsets, and atomic replacement.
//
// AtomicFile writes into a temp file in the destination's directory and only
// Commit() makes it visible (fsync file, rename, fsync directory). Destroyed
// uncommitted, it removes the temp file: a failed or interrupted writer never
// leaves a half-written file where a good one was expected.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/bytes.h"

namespace hull {

// A read-only view of part of a file, unmapped on destruction. Reading page
// cache through a mapping avoids the copy pread makes into a buffer.
class MappedRegion {
 public:
  MappedRegion() = default;
  ~MappedRegion();
  MappedRegion(MappedRegion&& o) noexcept;
  MappedRegion& operator=(MappedRegion&& o) noexcept;

  ByteSpan bytes() const { return {data_, size_}; }

 private:
  friend class File;
  void* base_ = nullptr;  // page-aligned mapping start
  size_t map_size_ = 0;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

class File {
 public:
  File() = default;
  ~File();
  File(File&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  static Result<File> OpenRead(const std::string& path);
  static Result<File> OpenReadWrite(const std::string& path);
  // O_CREAT|O_EXCL: fails with kAlreadyExists if the path exists.
  static Result<File> CreateNew(const std::string& path, mode_t mode = 0644);
  // Takes ownership of an open descriptor.
  static File Adopt(int fd, std::string path) { return File(fd, std::move(path)); }

  // Reads exactly out.size() bytes at offset; a short file is kCorrupt.
  Status ReadAt(uint64_t offset, MutableByteSpan out) const;
  // Reads up to out.size() bytes; returns the count (0 at end of file).
  Result<size_t> ReadSomeAt(uint64_t offset, MutableByteSpan out) const;
  Status WriteAt(uint64_t offset, ByteSpan data);
  // Maps [offset, offset + length) read-only, every page read in now.
  // kCorrupt when the file is shorter; kIo when the file cannot be mapped or
  // a page cannot be read (callers may fall back to ReadAt). A page lost
  // later still faults: touch the bytes under CatchSigbus (base/sigbus.h).
  Result<MappedRegion> Map(uint64_t offset, size_t length) const;
  Status Truncate(uint64_t size);
  Status Sync();
  Result<uint64_t> Size() const;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  bool is_open() const { return fd_ >= 0; }

 private:
  File(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

class AtomicFile {
 public:
  ~AtomicFile();
  AtomicFile(AtomicFile&&) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;

  // Creates "<dir>/.<name>.tmp-XXXXXX" next to `path`, with `mode`.
  static Result<AtomicFile> Create(const std::string& path, mode_t mode = 0644);

  File& file() { return file_; }
  const std::string& temp_path() const { return temp_path_; }
  // fsync, rename over the destination, fsync the directory.
  Status Commit();

 private:
  AtomicFile(File file, std::string temp_path, std::string path)
      : file_(std::move(file)), temp_path_(std::move(temp_path)), path_(std::move(path)) {}
  File file_;
  std::string temp_path_;
  std::string path_;
  bool committed_ = false;
};

Result<Bytes> ReadFileBytes(const std::string& path, uint64_t max_size = UINT64_C(1) << 32);
Result<std::string> ReadFileText(const std::string& path, uint64_t max_size = UINT64_C(1) << 32);
// Reads a file that a less trusted user controls (a home directory on the
// node, read by the root agent). `rel` is resolved under the trusted directory
// `base` one component at a time, never following a symbolic link (O_NOFOLLOW
// on each), the file is opened O_NONBLOCK (a FIFO cannot stall the reader) and
// must be a regular file of at most max_size bytes. Errors: kRefused for a
// link, a non-directory on the way or a non-regular file; kInvalidArgument
// when larger than max_size; kNotFound; kIo.
Result<Bytes> ReadUntrustedFile(const std::string& base, const std::string& rel, uint64_t max_size);
// Replaces `path` atomically with `data`.
Status WriteFileAtomic(const std::string& path, ByteSpan data, mode_t mode = 0644);
inline Status WriteFileAtomic(const std::string& path, std::string_view text, mode_t mode = 0644) {
  return WriteFileAtomic(path, AsBytes(text), mode);
}

// A directory removed recursively when the object dies.
class TempDir {
 public:
  ~TempDir();
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;

  // Under $TMPDIR (or /tmp) unless `parent` is given.
  static Result<TempDir> Create(const std::string& prefix = "hull", const std::string& parent = "");
  const std::string& path() const { return path_; }
  // Keeps the directory on destruction and returns its path.
  std::string Release();

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Cache upkeep: keeps the `keep` most recently modified entries of `dir`
// (files or directories) and removes the others; entries being written by
// someone (names containing ".partial", AtomicFile's ".<name>.tmp-XXXXXX")
// are left alone. Best effort: an entry that
// cannot be removed stays.
void KeepMostRecent(const std::string& dir, size_t keep);

// An errno as an Error: "<what> '<path>': <strerror>", code from errno.
Error ErrnoError(int err, std::string_view what, std::string_view path);

}  // namespace hull

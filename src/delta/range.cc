#include "delta/range.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

#include <cerrno>
#include <cstring>
#include <utility>

namespace hull::delta {

Result<FileRange> WholeFile(const File& file) {
  HULL_ASSIGN_OR_RETURN(uint64_t size, file.Size());
  return FileRange{&file, 0, size};
}

Status PrepareWrite(const WritableRange& out, uint64_t length) {
  if (length > out.capacity)
    return Errorf(ErrorCode::kRefused, "{} bytes do not fit the {} bytes at offset {} of '{}'",
                  length, out.capacity, out.offset, out.file->path());
  uint64_t end = 0;
  if (!CheckedAdd(out.offset, length, &end))
    return Errorf(ErrorCode::kInvalidArgument, "range of '{}' overflows", out.file->path());
  if (length == 0) return Ok();
  struct stat sb {};
  if (fstat(out.file->fd(), &sb) != 0) return ErrnoError(errno, "stat", out.file->path());
  if (S_ISREG(sb.st_mode)) {
    int rc = posix_fallocate(out.file->fd(), off_t(out.offset), off_t(length));
    if (rc != 0) return ErrnoError(rc, "allocating", out.file->path());
    return Ok();
  }
  HULL_ASSIGN_OR_RETURN(uint64_t size, out.file->Size());
  if (end > size)
    return Errorf(ErrorCode::kIo, "'{}' has {} bytes, the range ends at {}", out.file->path(), size,
                  end);
  return Ok();
}

Result<WritableMap> WritableMap::Open(const WritableRange& out, uint64_t length) {
  HULL_TRY(PrepareWrite(out, length));
  WritableMap m;
  m.size_ = length;
  if (length == 0) return m;
  // A shared map writes back whole pages: each page it covers must lie in
  // the range (or past the file's end), or a write-back would store stale
  // bytes over a neighbour (another partition of the disk).
  static const uint64_t kPage = uint64_t(::sysconf(_SC_PAGESIZE));
  if (out.offset % kPage != 0)
    return Errorf(ErrorCode::kInvalidArgument,
                  "cannot map '{}' at offset {} for writing: not a multiple of the page size {}",
                  out.file->path(), out.offset, kPage);
  const uint64_t start = out.offset;
  const uint64_t map_end = start + (length + kPage - 1) / kPage * kPage;
  const uint64_t range_end = out.capacity > UINT64_MAX - start ? UINT64_MAX : start + out.capacity;
  if (map_end > range_end) {
    HULL_ASSIGN_OR_RETURN(uint64_t size, out.file->Size());
    if (size > range_end)
      return Errorf(ErrorCode::kInvalidArgument,
                    "cannot map '{}' for writing: the range [{}, {}) does not end on a page "
                    "boundary (page size {}) and bytes of the file follow it",
                    out.file->path(), start, range_end, kPage);
  }
  m.map_size_ = size_t(map_end - start);
  void* p = ::mmap(nullptr, m.map_size_, PROT_READ | PROT_WRITE, MAP_SHARED, out.file->fd(),
                   off_t(start));
  if (p == MAP_FAILED) return ErrnoError(errno, "mapping", out.file->path());
  m.base_ = p;
  // Fault every page in writable now: an I/O error is this error (the caller
  // writes with pwrite instead), not a SIGBUS under the decoder.
  if (::madvise(p, m.map_size_, MADV_POPULATE_WRITE) != 0 && errno != EINVAL) {
    return Errorf(ErrorCode::kIo, "'{}': cannot map {} bytes at offset {} for writing ({})",
                  out.file->path(), length, out.offset, std::strerror(errno));
  }
  m.data_ = static_cast<uint8_t*>(p) + (out.offset - start);
  return m;
}

WritableMap::WritableMap(WritableMap&& o) noexcept
    : base_(std::exchange(o.base_, nullptr)),
      map_size_(std::exchange(o.map_size_, 0)),
      data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)) {}

WritableMap::~WritableMap() {
  if (base_) ::munmap(base_, map_size_);
}

Status WritableMap::Flush() {
  if (base_ && ::msync(base_, map_size_, MS_SYNC) != 0) return ErrnoError(errno, "msync", "map");
  return Ok();
}

}  // namespace hull::delta

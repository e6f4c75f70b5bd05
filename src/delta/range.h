// Byte ranges of open files or block devices: how the node names the active
// usr partition (the seed of deltas and chunks, read where it lies) and the
// inactive one (where the new image is written), so that neither is copied
// to a file of its own. A seed's offset needs no alignment; an output range
// written through a map (WritableMap) must start on a page boundary and end
// on one or at the file's end.
#pragma once

#include <cstdint>

#include "base/file.h"

namespace hull::delta {

// [offset, offset + length) of `file`, read with pread or a read-only map.
struct FileRange {
  const File* file = nullptr;
  uint64_t offset = 0;
  uint64_t length = 0;
};

// [offset, offset + capacity) of `file`, written in place: what lies there
// before is overwritten; on an error, bytes already written stay (the
// caller keeps the range from being used until it verifies it).
struct WritableRange {
  File* file = nullptr;
  uint64_t offset = 0;
  uint64_t capacity = 0;
};

// The whole of `file` (its size now).
Result<FileRange> WholeFile(const File& file);

// Checks that `length` bytes fit `out` and that they exist in the file (a
// regular file is extended with allocated space, so a full disk is an error
// here and never a SIGBUS under a map; a block device must be large
// enough). kRefused when length > capacity; kIo otherwise.
Status PrepareWrite(const WritableRange& out, uint64_t length);

// A writable shared map of [offset, offset + length) of `out` (after
// PrepareWrite): stores reach the file's page cache, not anonymous memory.
// The map writes back whole pages, so kInvalidArgument unless out.offset is
// a multiple of the page size and the last page ends within the capacity or
// past the file's end (the caller writes with pwrite instead).
class WritableMap {
 public:
  WritableMap() = default;
  ~WritableMap();
  WritableMap(const WritableMap&) = delete;
  WritableMap& operator=(const WritableMap&) = delete;
  static Result<WritableMap> Open(const WritableRange& out, uint64_t length);
  WritableMap(WritableMap&& o) noexcept;
  uint8_t* data() { return data_ ? data_ : &empty_; }
  uint64_t size() const { return size_; }
  // Writes the dirty pages back (msync), before a later fsync of the file.
  Status Flush();

 private:
  void* base_ = nullptr;
  size_t map_size_ = 0;
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint8_t empty_ = 0;
};

}  // namespace hull::delta

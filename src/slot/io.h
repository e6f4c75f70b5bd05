// The seams through which the slot installer reaches a disk: a DiskIo for
// the raw partitions (pwrite/fsync at explicit offsets) and an EspIo for the
// EFI system partition's /EFI/Linux directory. Real implementations: a file
// or block device; the ESP of a disk image through mtools (no mount, the
// build host has no vfat) or a mounted ESP directory (the node). Fault
// injection (fault.h) wraps both.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/result.h"
#include "gpt/gpt.h"

namespace hull::slot {

class DiskIo {
 public:
  virtual ~DiskIo() = default;
  virtual Status ReadAt(uint64_t offset, MutableByteSpan out) const = 0;
  virtual Status WriteAt(uint64_t offset, ByteSpan data) = 0;
  // Makes every earlier write durable.
  virtual Status Sync() = 0;
  virtual uint64_t size() const = 0;
  // The file underneath, for bulk verification reads after Sync().
  virtual const File& file() const = 0;
  // The same opened for writing, for writes in place through a shared map
  // (slot/update.h); null when writes must go through WriteAt (fault
  // injection) or the disk is read-only.
  virtual File* writable_file() { return nullptr; }
};

// A disk image file or a block device.
class FileDisk : public DiskIo {
 public:
  static Result<std::unique_ptr<FileDisk>> Open(const std::string& path, bool writable);
  Status ReadAt(uint64_t offset, MutableByteSpan out) const override;
  Status WriteAt(uint64_t offset, ByteSpan data) override;
  Status Sync() override { return file_.Sync(); }
  uint64_t size() const override { return size_; }
  const File& file() const override { return file_; }
  File* writable_file() override { return writable_ ? &file_ : nullptr; }

 private:
  FileDisk(File f, uint64_t size, bool writable)
      : file_(std::move(f)), size_(size), writable_(writable) {}
  File file_;
  uint64_t size_;
  bool writable_;
};

// gpt::Source over a DiskIo (reads see unsynced writes).
class DiskSource : public gpt::Source {
 public:
  explicit DiskSource(const DiskIo& io) : io_(io) {}
  Status ReadAt(uint64_t offset, MutableByteSpan out) const override {
    return io_.ReadAt(offset, out);
  }
  uint64_t size() const override { return io_.size(); }

 private:
  const DiskIo& io_;
};

// /EFI/Linux of an ESP. Names are file names inside that directory. Each
// mutating call is durable when it returns (fsync'ed).
class EspIo {
 public:
  virtual ~EspIo() = default;
  virtual Result<std::vector<std::string>> List() = 0;
  virtual Result<Bytes> Read(const std::string& name, uint64_t max_bytes) = 0;
  // Creates or replaces `name` with `data`.
  virtual Status Write(const std::string& name, ByteSpan data) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& name) = 0;
};

// The ESP partition of a disk image, through mtools at its byte offset.
class MtoolsEsp : public EspIo {
 public:
  MtoolsEsp(std::string image, uint64_t offset) : image_(std::move(image)), offset_(offset) {}
  Result<std::vector<std::string>> List() override;
  Result<Bytes> Read(const std::string& name, uint64_t max_bytes) override;
  Status Write(const std::string& name, ByteSpan data) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& name) override;

  // The mtools argv for one call (pure, for tests).
  std::vector<std::string> Argv(const std::string& tool, std::vector<std::string> args) const;

 private:
  Status SyncImage();
  std::string image_;
  uint64_t offset_;
};

// A mounted ESP: `root` is the mount point (holding EFI/Linux).
class DirectoryEsp : public EspIo {
 public:
  explicit DirectoryEsp(std::string root) : dir_(std::move(root) + "/EFI/Linux") {}
  Result<std::vector<std::string>> List() override;
  Result<Bytes> Read(const std::string& name, uint64_t max_bytes) override;
  Status Write(const std::string& name, ByteSpan data) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& name) override;

 private:
  Status SyncDir();
  std::string dir_;
};

}  // namespace hull::slot

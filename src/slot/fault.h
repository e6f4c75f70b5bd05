// Power-loss fault injection for the slot installer (tests and `hull slot`
// self-checks): a PowerCut counts every durable-state operation -- each disk
// write, each fsync, each ESP mutation (write, rename, remove) -- and "loses
// power" at operation N: that operation and every later one fail with kIo
// "power lost at operation N (<what>)".
//
// Disk writes are held in a volatile cache until the next Sync(), as a disk
// cache or the page cache holds them; at the cut, Crash() decides which of
// the unsynced writes reached the medium:
//   kDropAll        none of them,
//   kKeepAlternate  every other one (the 1st, 3rd, ...): reordered, partial
//                   persistence, as a write-back cache may do.
// ESP mutations are modelled as atomic and durable when they return (each
// real implementation fsyncs after it): FAT is not journalled, and the
// installer's safety does not rest on FAT consistency beyond one operation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "slot/io.h"

namespace hull::slot {

enum class CrashMode { kDropAll, kKeepAlternate };

class PowerCut {
 public:
  // fail_at: the 1-based operation that loses power; 0 = never.
  explicit PowerCut(uint64_t fail_at = 0) : fail_at_(fail_at) {}
  // Counts one operation; an error once power is lost.
  Status Step(const std::string& what);
  uint64_t operations() const { return count_; }
  bool lost() const { return lost_; }
  const std::string& lost_at() const { return lost_at_; }

 private:
  uint64_t fail_at_;
  uint64_t count_ = 0;
  bool lost_ = false;
  std::string lost_at_;
};

class FaultyDisk : public DiskIo {
 public:
  FaultyDisk(DiskIo& inner, PowerCut& cut) : inner_(inner), cut_(cut) {}
  Status ReadAt(uint64_t offset, MutableByteSpan out) const override;
  Status WriteAt(uint64_t offset, ByteSpan data) override;
  Status Sync() override;
  uint64_t size() const override { return inner_.size(); }
  const File& file() const override { return inner_.file(); }

  // Applies the crash model to the writes still cached; call once, after the
  // installer returned (power was lost). Returns how many writes persisted.
  Result<size_t> Crash(CrashMode mode);
  size_t pending() const { return pending_.size(); }

 private:
  struct Write {
    uint64_t offset;
    Bytes data;
  };
  DiskIo& inner_;
  PowerCut& cut_;
  std::vector<Write> pending_;
};

class FaultyEsp : public EspIo {
 public:
  FaultyEsp(EspIo& inner, PowerCut& cut) : inner_(inner), cut_(cut) {}
  Result<std::vector<std::string>> List() override;
  Result<Bytes> Read(const std::string& name, uint64_t max_bytes) override;
  Status Write(const std::string& name, ByteSpan data) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& name) override;

 private:
  EspIo& inner_;
  PowerCut& cut_;
};

}  // namespace hull::slot

#include "slot/fault.h"

#include <algorithm>
#include <cstring>

namespace hull::slot {

Status PowerCut::Step(const std::string& what) {
  if (lost_) return Errorf(ErrorCode::kIo, "power lost at operation {} ({})", fail_at_, lost_at_);
  ++count_;
  if (fail_at_ != 0 && count_ >= fail_at_) {
    lost_ = true;
    lost_at_ = what;
    return Errorf(ErrorCode::kIo, "power lost at operation {} ({})", fail_at_, what);
  }
  return Ok();
}

Status FaultyDisk::ReadAt(uint64_t offset, MutableByteSpan out) const {
  HULL_TRY(inner_.ReadAt(offset, out));
  // Later cached writes win, as the cache would return them.
  for (const Write& w : pending_) {
    uint64_t lo = std::max(offset, w.offset);
    uint64_t hi = std::min(offset + out.size(), w.offset + w.data.size());
    if (lo < hi) std::memcpy(out.data() + (lo - offset), w.data.data() + (lo - w.offset), hi - lo);
  }
  return Ok();
}

Status FaultyDisk::WriteAt(uint64_t offset, ByteSpan data) {
  HULL_TRY(cut_.Step(fmt::format("write {} bytes at {}", data.size(), offset)));
  uint64_t end;
  if (!CheckedAdd(offset, data.size(), &end) || end > inner_.size())
    return Errorf(ErrorCode::kInvalidArgument, "write of {} bytes at {} past the disk end ({})",
                  data.size(), offset, inner_.size());
  pending_.push_back({offset, Bytes(data.begin(), data.end())});
  return Ok();
}

Status FaultyDisk::Sync() {
  HULL_TRY(cut_.Step("fsync"));
  for (const Write& w : pending_) HULL_TRY(inner_.WriteAt(w.offset, w.data));
  pending_.clear();
  return inner_.Sync();
}

Result<size_t> FaultyDisk::Crash(CrashMode mode) {
  size_t kept = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (mode == CrashMode::kKeepAlternate && i % 2 == 0) {
      HULL_TRY(inner_.WriteAt(pending_[i].offset, pending_[i].data));
      ++kept;
    }
  }
  pending_.clear();
  HULL_TRY(inner_.Sync());
  return kept;
}

Result<std::vector<std::string>> FaultyEsp::List() {
  if (cut_.lost()) return Errorf(ErrorCode::kIo, "power lost ({})", cut_.lost_at());
  return inner_.List();
}

Result<Bytes> FaultyEsp::Read(const std::string& name, uint64_t max_bytes) {
  if (cut_.lost()) return Errorf(ErrorCode::kIo, "power lost ({})", cut_.lost_at());
  return inner_.Read(name, max_bytes);
}

Status FaultyEsp::Write(const std::string& name, ByteSpan data) {
  HULL_TRY(cut_.Step("ESP write " + name));
  return inner_.Write(name, data);
}

Status FaultyEsp::Rename(const std::string& from, const std::string& to) {
  HULL_TRY(cut_.Step("ESP rename " + from + " -> " + to));
  return inner_.Rename(from, to);
}

Status FaultyEsp::Remove(const std::string& name) {
  HULL_TRY(cut_.Step("ESP remove " + name));
  return inner_.Remove(name);
}

}  // namespace hull::slot

#include "crypto/file_digest.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/hex.h"

namespace hull::crypto {

namespace {

constexpr size_t kPiece = 1 << 20;

// Where the data extent at or after `pos` starts and ends (SEEK_DATA/SEEK_HOLE),
// within `end`; {end, end} when only a hole remains; {pos, end} where holes are
// unknown.
std::pair<uint64_t, uint64_t> NextExtent(const File& f, uint64_t pos, uint64_t end) {
  off_t data = ::lseek(f.fd(), off_t(pos), SEEK_DATA);
  if (data < 0) return errno == ENXIO ? std::pair{end, end} : std::pair{pos, end};
  if (uint64_t(data) >= end) return {end, end};
  off_t hole = ::lseek(f.fd(), data, SEEK_HOLE);
  return {uint64_t(data), hole < 0 ? end : std::min<uint64_t>(uint64_t(hole), end)};
}

// Hashes [pos, end) of `f`: holes as the zeros they read as, without reading.
Status HashRange(const File& f, uint64_t pos, uint64_t end, Hasher& h, Bytes& buf) {
  static const Bytes kZeros(kPiece, 0);
  while (pos < end) {
    auto [data, data_end] = NextExtent(f, pos, end);
    for (; pos < data;) {
      size_t n = size_t(std::min<uint64_t>(kPiece, data - pos));
      h.Update(ByteSpan(kZeros.data(), n));
      pos += n;
    }
    for (; pos < data_end;) {
      size_t n = size_t(std::min<uint64_t>(buf.size(), data_end - pos));
      HULL_TRY(f.ReadAt(pos, MutableByteSpan(buf.data(), n)));
      h.Update(ByteSpan(buf.data(), n));
      pos += n;
    }
  }
  return {};
}

}  // namespace

Result<Bytes> DigestFile(DigestAlgorithm algorithm, const std::string& path) {
  HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(path));
  HULL_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  Hasher h(algorithm);
  Bytes buf(size_t(std::min<uint64_t>(size, kPiece)));
  HULL_TRY(HashRange(f, 0, size, h, buf));
  return h.Final();
}

Result<std::string> FileSha256Hex(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(Bytes d, DigestFile(DigestAlgorithm::kSha256, path));
  return HexEncode(d);
}

FollowingDigest::FollowingDigest(DigestAlgorithm algorithm, const File& file)
    : algorithm_(algorithm), file_(file) {
  result_ = std::async(std::launch::async, [this] { return Run(); });
}

FollowingDigest::~FollowingDigest() {
  if (result_.valid()) {
    Abandon();
    result_.wait();
  }
}

void FollowingDigest::Advance(uint64_t final_below) {
  std::lock_guard lock(mu_);
  final_below_ = std::max(final_below_, final_below);
  cv_.notify_one();
}

void FollowingDigest::Abandon() {
  std::lock_guard lock(mu_);
  abandoned_ = true;
  cv_.notify_one();
}

Result<Bytes> FollowingDigest::Finish(uint64_t size) {
  {
    std::lock_guard lock(mu_);
    final_below_ = size;
    size_ = size;
    cv_.notify_one();
  }
  return result_.get();
}

Result<Bytes> FollowingDigest::Run() {
  Hasher h(algorithm_);
  Bytes buf(kPiece);
  uint64_t pos = 0;
  for (;;) {
    uint64_t until = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return abandoned_ || final_below_ > pos || (size_ && pos >= *size_); });
      if (abandoned_) return Error(ErrorCode::kInternal, "digest abandoned");
      if (size_ && pos >= *size_) break;
      until = final_below_;
    }
    HULL_TRY(HashRange(file_, pos, until, h, buf));
    pos = until;
  }
  return h.Final();
}

}  // namespace hull::crypto

// A file's digest, read in 1 MiB pieces (constant memory for any size); the
// holes of a sparse file (SEEK_HOLE) are hashed as the zeros they read as,
// without reading them.
#pragma once

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/file.h"
#include "base/result.h"
#include "crypto/digest.h"

namespace hull::crypto {

// Errors: the file's open/read errors (kNotFound, kIo).
Result<Bytes> DigestFile(DigestAlgorithm algorithm, const std::string& path);
// The file's SHA-256 as lower-case hex (as sha256sum prints it).
Result<std::string> FileSha256Hex(const std::string& path);

// The digest of a file while it is being written front to back, on its own
// thread: the writer says which prefix is final (Advance) and, at the end, the
// size (Finish), so hashing overlaps the writing instead of following it.
// Bytes the writer has not declared final are never read. `file` must stay
// open until Finish returns or the object is destroyed (which abandons it).
class FollowingDigest {
 public:
  FollowingDigest(DigestAlgorithm algorithm, const File& file);
  ~FollowingDigest();
  FollowingDigest(const FollowingDigest&) = delete;
  FollowingDigest& operator=(const FollowingDigest&) = delete;

  void Advance(uint64_t final_below);
  // The digest of the first `size` bytes, once they are hashed.
  Result<Bytes> Finish(uint64_t size);

 private:
  Result<Bytes> Run();
  void Abandon();

  DigestAlgorithm algorithm_;
  const File& file_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t final_below_ = 0;
  std::optional<uint64_t> size_;
  bool abandoned_ = false;
  std::future<Result<Bytes>> result_;
};

}  // namespace hull::crypto

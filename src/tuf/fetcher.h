// Where metadata and targets come from: a repository base (http(s):// URL,
// file:// URL or a directory). Every fetch has a byte cap, so a server that
// sends endless data is cut off (TUF's "endless data" attack).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/bytes.h"

namespace hull::tuf {

class Fetcher {
 public:
  virtual ~Fetcher() = default;

  // Streams the body of `path` (relative to the repository base) into `sink`
  // piece by piece; a sink error ends the transfer and is returned.
  // kNotFound when absent (HTTP 404 or no such file); kRefused on HTTP 403
  // (what private S3/CloudFront buckets answer for a missing object);
  // kVerifyFailed when more than max_bytes arrive.
  using Sink = std::function<Status(ByteSpan)>;
  virtual Status FetchTo(const std::string& path, uint64_t max_bytes, const Sink& sink) = 0;

  // The whole body in memory, through FetchTo; same errors and cap.
  Result<Bytes> Fetch(const std::string& path, uint64_t max_bytes);
};

// Chooses the implementation from the base: http:// or https:// (src/http),
// otherwise a directory (file:// prefix allowed).
std::unique_ptr<Fetcher> MakeFetcher(const std::string& base);

}  // namespace hull::tuf

// Where metadata and targets come from: a repository base (http(s):// URL,
// file:// URL or a directory). Every fetch has a byte cap, so a server that
// sends endless data is cut off (TUF's "endless data" attack), and a
// deadline derived from that cap (http::FetchTime), so a server that sends
// slowly is cut off too ("slow retrieval"); a run deadline bounds them all.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
  // kVerifyFailed when more than max_bytes arrive; kTimeout when the fetch's
  // deadline (http::FetchTime(max_bytes), or what is left of the run's,
  // whichever comes first) passes, naming the URL and the time spent.
  using Sink = std::function<Status(ByteSpan)>;
  virtual Status FetchTo(const std::string& path, uint64_t max_bytes, const Sink& sink) = 0;

  // The whole body in memory, through FetchTo; same errors and cap.
  Result<Bytes> Fetch(const std::string& path, uint64_t max_bytes);
};

struct FetcherOptions {
  // The end of the run (`--deadline`): every fetch ends by then at the latest.
  std::optional<std::chrono::steady_clock::time_point> run_deadline;
};

// Chooses the implementation from the base: http:// or https:// (src/http),
// otherwise a directory (file:// prefix allowed; the run deadline is
// checked between its 1 MiB reads).
std::unique_ptr<Fetcher> MakeFetcher(const std::string& base, const FetcherOptions& options = {});

// A run deadline `seconds` from now; nullopt for 0 (none).
std::optional<std::chrono::steady_clock::time_point> RunDeadline(uint64_t seconds);

}  // namespace hull::tuf

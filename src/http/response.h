// An incremental HTTP/1.1 response parser (RFC 9112): status line, header
// fields, then the body framed by Transfer-Encoding: chunked (§7.1),
// Content-Length (§6.2) or the connection's close (§6.3 rule 8). Pure: bytes
// in, head and body pieces out, so every split of the input is testable and
// fuzzable. The input is untrusted; every count and length has a cap below.
//
// Errors (all kCorrupt unless said): a malformed status line, header line or
// chunk line; obsolete line folding (§5.2); a head beyond kMaxHeadBytes or
// kMaxHeaders; conflicting or malformed Content-Length; Content-Length
// together with Transfer-Encoding (a response-splitting hazard, §6.3 rule 3);
// kUnsupported for a transfer coding other than chunked; a chunk size beyond
// kMaxChunkSize; bytes after the end of a framed body; kUnavailable from
// Finish() when the connection ends before the body does.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::http {

inline constexpr size_t kMaxHeadBytes = 64 * 1024;            // status line + fields, and trailers
inline constexpr size_t kMaxHeaders = 100;                    // fields per head (and per trailer)
inline constexpr size_t kMaxChunkLineBytes = 4096;            // "size;extensions\r\n"
inline constexpr uint64_t kMaxChunkSize = uint64_t{1} << 40;  // 1 TiB per chunk
inline constexpr size_t kMaxInterimResponses = 10;            // 1xx heads skipped

struct ResponseHead {
  int status = 0;
  int minor_version = 1;  // HTTP/1.minor_version
  std::string reason;
  std::vector<std::pair<std::string, std::string>> fields;  // names lowercased

  // The value of the first field named `name` (lowercase), if any.
  std::optional<std::string_view> Field(std::string_view name) const;
};

class ResponseParser {
 public:
  using BodySink = std::function<Status(ByteSpan)>;
  enum class Framing { kNone, kLength, kChunked, kClose };

  // `head_request`: true for responses to HEAD, which carry no body.
  explicit ResponseParser(bool head_request = false) : head_request_(head_request) {}

  // Consumes all of `data`: head bytes are parsed, body bytes go to `sink`
  // (possibly in several pieces, never empty). An error is final.
  Status Feed(ByteSpan data, const BodySink& sink);
  // The peer closed the connection: Ok when the response is complete.
  Status Finish();

  bool head_done() const { return state_ > State::kHeaders; }
  bool done() const { return state_ == State::kDone; }
  const ResponseHead& head() const { return head_; }
  Framing framing() const { return framing_; }
  // Content-Length when the body is length-framed.
  std::optional<uint64_t> content_length() const;
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State {
    kStatusLine,
    kHeaders,
    kLength,
    kChunkLine,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kClose,
    kDone
  };

  // Appends input up to and including '\n' to line_ (at most `cap` bytes in
  // all; `limit` is the cap named in the error); true when a line is complete.
  Result<bool> TakeLine(ByteSpan& data, size_t cap, std::string_view what, size_t limit);
  Status OnStatusLine(std::string_view line);
  Status OnFieldLine(std::string_view line, bool trailer);
  Status OnHeadEnd();
  Status OnChunkLine(std::string_view line);
  Status FeedBody(ByteSpan& data, const BodySink& sink);
  Status Step(ByteSpan& data, const BodySink& sink);

  bool head_request_;
  State state_ = State::kStatusLine;
  Framing framing_ = Framing::kNone;
  ResponseHead head_;
  std::string line_;
  size_t head_bytes_ = 0;   // bytes of the current head (or trailer section)
  size_t fields_ = 0;       // fields in the current head (or trailer section)
  size_t interim_ = 0;      // 1xx responses skipped
  uint64_t remaining_ = 0;  // of the current chunk or the length-framed body
  uint64_t body_bytes_ = 0;
  std::optional<uint64_t> content_length_;
};

}  // namespace hull::http

#include "http/client.h"

#include <array>
#include <optional>

#include "http/connection.h"
#include "http/response.h"
#include "http/url.h"

#ifndef HULL_VERSION
#define HULL_VERSION "0"
#endif

namespace hull::http {
namespace {

constexpr size_t kReadBuffer = 64 * 1024;

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Error TooLong(std::string_view url, uint64_t max) {
  return Errorf(ErrorCode::kVerifyFailed, "'{}' is longer than the {} bytes allowed", url, max);
}

using Clock = std::chrono::steady_clock;

// When a fetch must be done, and why (for the error).
struct Deadline {
  Clock::time_point start;
  Clock::time_point at = Clock::time_point::max();
  std::string why;

  bool Passed() const { return Clock::now() >= at; }
  Error Expired(std::string_view url) const {
    double spent = std::chrono::duration<double>(Clock::now() - start).count();
    return Errorf(ErrorCode::kTimeout, "'{}': not done after {:.1f} s (deadline: {})", url, spent,
                  why);
  }
};

Deadline MakeDeadline(const GetOptions& o) {
  Deadline d;
  d.start = Clock::now();
  if (auto own = FetchTime(o.max_bytes, o.fetch_slack, o.floor_bytes_per_second)) {
    d.at = d.start + *own;
    d.why = fmt::format("{} s for up to {} bytes at {} bytes/s", own->count(), o.max_bytes,
                        o.floor_bytes_per_second);
  }
  if (o.run_deadline && *o.run_deadline < d.at) {
    d.at = *o.run_deadline;
    d.why = "the end of the run (--deadline)";
  }
  return d;
}

// The outcome of one request: done, or the next URL to try.
struct Hop {
  std::optional<Url> redirect;
};

// One request on a fresh connection. The body of a 200 goes to `sink`
// (capped); any other status ends the exchange once the head is read.
Result<Hop> Exchange(std::string_view asked, const Url& url, const GetOptions& options,
                     const Deadline& deadline, const Sink& sink) {
  ConnectOptions co{options.connect_timeout, options.read_timeout, options.ca_file, deadline.at};
  std::string context = fmt::format("fetching '{}'", asked);
  auto opened = Connection::Open(url, co);
  if (!opened.ok() && deadline.Passed()) return deadline.Expired(asked);
  HULL_ASSIGN_OR_RETURN(auto conn, std::move(opened).Context(context));
  Status sent = conn->WriteAll(AsBytes(BuildRequest(url.target, url.HostHeader())));
  if (!sent.ok() && deadline.Passed()) return deadline.Expired(asked);
  HULL_TRY(std::move(sent).Context(context));

  ResponseParser parser;
  uint64_t delivered = 0;
  bool sink_failed = false;
  auto body = [&](ByteSpan piece) -> Status {
    if (parser.head().status != 200) return {};  // a redirect or error page: dropped
    // A declared length over the cap is refused before any byte is delivered.
    auto len = parser.content_length();
    if ((len && *len > options.max_bytes) || piece.size() > options.max_bytes - delivered) {
      sink_failed = true;
      return TooLong(asked, options.max_bytes);
    }
    delivered += piece.size();
    Status st = sink(piece);
    sink_failed = !st.ok();
    return st;
  };
  std::array<uint8_t, kReadBuffer> buf;
  while (!parser.done()) {
    // A server that trickles bytes never trips the inactivity timeout.
    if (deadline.Passed()) return deadline.Expired(asked);
    auto got = conn->Read(buf);
    if (!got.ok() && deadline.Passed()) return deadline.Expired(asked);
    HULL_ASSIGN_OR_RETURN(size_t n, std::move(got).Context(context));
    if (n == 0) {
      HULL_TRY(parser.Finish().Context(context));
      break;
    }
    if (Status st = parser.Feed(ByteSpan(buf.data(), n), body); !st.ok()) {
      if (sink_failed) return std::move(st).error();  // the sink's (or the cap's), unchanged
      return std::move(st).Context(context).error();
    }
    if (!parser.head_done()) continue;
    int status = parser.head().status;
    if (status == 200) continue;
    if (status == 404) return Errorf(ErrorCode::kNotFound, "'{}' not found (HTTP 404)", asked);
    // Private object stores (S3, CloudFront) answer 403 for a missing object.
    if (status == 403) return Errorf(ErrorCode::kRefused, "'{}': forbidden (HTTP 403)", asked);
    if (!IsRedirect(status)) return Errorf(ErrorCode::kUnavailable, "'{}': HTTP {}", asked, status);
    auto location = parser.head().Field("location");
    if (!location) {
      return Errorf(ErrorCode::kUnavailable, "'{}': HTTP {} without a Location", asked, status);
    }
    HULL_ASSIGN_OR_RETURN(
        Url next, ResolveLocation(url, *location).Context(fmt::format("'{}': redirect", asked)));
    if (url.tls && !next.tls) {
      return Errorf(ErrorCode::kRefused, "'{}': redirect from https to '{}' refused", asked,
                    next.ToString());
    }
    return Hop{std::move(next)};
  }
  return Hop{};
}

}  // namespace

std::optional<std::chrono::seconds> FetchTime(uint64_t max_bytes, std::chrono::seconds slack,
                                              uint64_t floor) {
  const uint64_t limit = uint64_t(kMaxFetchTime.count());
  if (floor == 0 || slack.count() < 0 || uint64_t(slack.count()) > limit) return std::nullopt;
  const uint64_t body = max_bytes / floor;
  if (body > limit - uint64_t(slack.count())) return std::nullopt;
  return std::chrono::seconds(int64_t(body) + slack.count());
}

std::string BuildRequest(std::string_view target, std::string_view host_header) {
  return fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: hull/{}\r\nAccept: */*\r\n"
      "Accept-Encoding: identity\r\nConnection: close\r\n\r\n",
      target, host_header, HULL_VERSION);
}

Status Get(std::string_view asked, const GetOptions& options, const Sink& sink) {
  HULL_ASSIGN_OR_RETURN(Url url, ParseUrl(asked));
  const Deadline deadline = MakeDeadline(options);
  for (int hop = 0;; ++hop) {
    if (deadline.Passed()) return deadline.Expired(asked);
    HULL_ASSIGN_OR_RETURN(Hop next, Exchange(asked, url, options, deadline, sink));
    if (!next.redirect) return {};
    if (hop >= options.max_redirects) {
      return Errorf(ErrorCode::kUnavailable, "'{}': more than {} redirects", asked,
                    options.max_redirects);
    }
    url = std::move(*next.redirect);
  }
}

}  // namespace hull::http

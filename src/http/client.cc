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

// The outcome of one request: done, or the next URL to try.
struct Hop {
  std::optional<Url> redirect;
};

// One request on a fresh connection. The body of a 200 goes to `sink`
// (capped); any other status ends the exchange once the head is read.
Result<Hop> Exchange(std::string_view asked, const Url& url, const GetOptions& options,
                     const Sink& sink) {
  ConnectOptions co{options.connect_timeout, options.read_timeout, options.ca_file};
  std::string context = fmt::format("fetching '{}'", asked);
  HULL_ASSIGN_OR_RETURN(auto conn, Connection::Open(url, co).Context(context));
  std::string request = BuildRequest(url.target, url.HostHeader());
  HULL_TRY(conn->WriteAll(AsBytes(request)).Context(context));

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
    HULL_ASSIGN_OR_RETURN(size_t n, conn->Read(buf).Context(context));
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

std::string BuildRequest(std::string_view target, std::string_view host_header) {
  return fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: hull/{}\r\nAccept: */*\r\n"
      "Accept-Encoding: identity\r\nConnection: close\r\n\r\n",
      target, host_header, HULL_VERSION);
}

Status Get(std::string_view asked, const GetOptions& options, const Sink& sink) {
  HULL_ASSIGN_OR_RETURN(Url url, ParseUrl(asked));
  for (int hop = 0;; ++hop) {
    HULL_ASSIGN_OR_RETURN(Hop next, Exchange(asked, url, options, sink));
    if (!next.redirect) return {};
    if (hop >= options.max_redirects) {
      return Errorf(ErrorCode::kUnavailable, "'{}': more than {} redirects", asked,
                    options.max_redirects);
    }
    url = std::move(*next.redirect);
  }
}

}  // namespace hull::http

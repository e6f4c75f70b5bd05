// GET over HTTP/1.1 (RFC 9110, RFC 9112), plain or TLS, one connection per
// request ("Connection: close"), the body streamed into a sink. This is the
// transport for TUF metadata and release payloads (src/tuf/fetcher.h) in the
// statically linked node agent, hence no libcurl.
//
// Request: "GET <target> HTTP/1.1" with Host, User-Agent: hull/<version>,
// Accept: */*, Accept-Encoding: identity, Connection: close.
// Redirects: 301, 302, 303, 307 and 308 are followed up to max_redirects
// times; https -> http is refused. Only a 200 delivers a body to the sink.
//
// Errors, each naming the URL asked for:
//   kNotFound       "'<url>' not found (HTTP 404)"
//   kUnavailable    "'<url>': HTTP <code>" for any other final status; a
//                   connection, TLS or certificate failure (naming host:port
//                   and the reason); a body cut short; too many redirects
//   kRefused        a redirect from https to http
//   kTimeout        no connection within connect_timeout, or no byte moved
//                   for read_timeout; or the fetch's deadline passed:
//                   "'<url>': not done after <s> s (deadline: <why>)"
//   kVerifyFailed   "'<url>' is longer than the N bytes allowed" (max_bytes)
//   kCorrupt / kUnsupported from the response parser (http/response.h)
//   kInvalidArgument for a malformed URL or Location
//   any error the sink returns, unchanged (the transfer stops there)
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::http {

inline constexpr int kDefaultMaxRedirects = 5;

// The total deadline of one fetch (redirects, connects and the body
// together): kFetchSlack plus max_bytes at kFloorBytesPerSecond, i.e. the
// time a body as long as the cap takes at the slowest rate still accepted.
// The cap is the signed length of a target, or the client's maximum for
// metadata of unknown length. A server that trickles bytes (each within
// read_timeout) is cut off there (TUF's "slow retrieval"). A deadline above
// kMaxFetchTime (an uncapped body) is none.
inline constexpr std::chrono::seconds kFetchSlack{30};
inline constexpr uint64_t kFloorBytesPerSecond = 128 * 1024;  // 1 Mbit/s
inline constexpr std::chrono::seconds kMaxFetchTime{7 * 24 * 3600};

struct GetOptions {
  uint64_t max_bytes = std::numeric_limits<uint64_t>::max();  // body cap
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);  // inactivity
  int max_redirects = kDefaultMaxRedirects;
  std::string ca_file;  // see ConnectOptions (http/connection.h)
  // The per-fetch deadline's terms (tests shorten them).
  std::chrono::seconds fetch_slack = kFetchSlack;
  uint64_t floor_bytes_per_second = kFloorBytesPerSecond;
  // The end of the run this fetch belongs to (`--deadline`): the fetch gets
  // min(FetchTime(...), what is left of the run).
  std::optional<std::chrono::steady_clock::time_point> run_deadline;
};

// slack + max_bytes / floor (whole seconds, rounded down); nullopt above
// kMaxFetchTime or for a zero rate.
std::optional<std::chrono::seconds> FetchTime(uint64_t max_bytes,
                                              std::chrono::seconds slack = kFetchSlack,
                                              uint64_t floor = kFloorBytesPerSecond);

using Sink = std::function<Status(ByteSpan)>;

Status Get(std::string_view url, const GetOptions& options, const Sink& sink);

// The request bytes Get sends for `url` (exposed for tests).
std::string BuildRequest(std::string_view target, std::string_view host_header);

}  // namespace hull::http

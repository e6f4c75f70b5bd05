// http:// and https:// URLs as Hull fetches them (RFC 3986 §3, restricted):
// scheme, host (a DNS name, an IPv4 literal or a bracketed IPv6 literal),
// optional port, and the path with its query, sent verbatim as the request
// target (RFC 9112 §3.2.1, origin-form).
//
// Refused, each with kInvalidArgument and a message naming the part:
// other schemes, userinfo ("user@host": credentials do not belong in URLs
// that end up in logs), fragments, empty hosts, ports outside 1..65535,
// control characters, spaces and non-ASCII bytes anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::http {

// Longest URL accepted; request lines beyond this are unusual and suspect.
inline constexpr size_t kMaxUrlBytes = 8192;

struct Url {
  bool tls = false;    // https
  std::string host;    // without brackets for IPv6 literals, lowercased
  uint16_t port = 0;   // explicit or the scheme's default (80, 443)
  std::string target;  // "/path?query", at least "/"

  // "host:port", with brackets around IPv6 literals.
  std::string HostPort() const;
  // The Host header value: the port is omitted when it is the default.
  std::string HostHeader() const;
  // scheme://host[:port]/target.
  std::string ToString() const;
};

Result<Url> ParseUrl(std::string_view text);

// Resolves a Location header (RFC 9110 §10.2.2) against the URL it came from:
// an absolute http(s) URL, a network-path reference ("//host/p") or an
// absolute path ("/p"). Relative paths ("p") are resolved against the
// directory of base's path. Fragments in the location are dropped.
Result<Url> ResolveLocation(const Url& base, std::string_view location);

}  // namespace hull::http

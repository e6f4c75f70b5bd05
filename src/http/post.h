// POST over HTTP/1.1 (RFC 9110 §9.3.3), plain or TLS, one connection per
// request ("Connection: close"): a small JSON body out, a small body back.
// This is the node's transport for the FleetLock protocol (src/fleet), so
// that the statically linked agent needs no libcurl.
//
// Request: "POST <target> HTTP/1.1" with Host, User-Agent: hull/<version>,
// Content-Type, Content-Length, Accept-Encoding: identity, Connection: close,
// then the caller's extra header fields.
// Every final status is returned with its body (the caller judges it);
// redirects are not followed (a POST is not replayed elsewhere).
//
// Errors, each naming the URL:
//   kUnavailable     a connection, TLS or certificate failure; a body cut short
//   kTimeout         no connection within connect_timeout, no byte moved for
//                    read_timeout, or the exchange not done by `timeout`
//   kVerifyFailed    a response body longer than max_response_bytes
//   kCorrupt / kUnsupported from the response parser (http/response.h)
//   kInvalidArgument a malformed URL, or a header field with CR or LF
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace hull::http {

struct PostOptions {
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields, in order
  uint64_t max_response_bytes = 64 * 1024;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds read_timeout = std::chrono::seconds(10);  // inactivity
  std::chrono::milliseconds timeout = std::chrono::seconds(30);       // the whole exchange
  std::string ca_file;              // see ConnectOptions (http/connection.h)
  std::string cert_file, key_file;  // a client certificate, ditto
};

struct PostResponse {
  int status = 0;
  std::string body;
};

Result<PostResponse> Post(std::string_view url, std::string_view body, const PostOptions& options);

// The request head Post sends (exposed for tests).
std::string BuildPostHead(std::string_view target, std::string_view host_header,
                          const PostOptions& options, size_t body_size);

}  // namespace hull::http

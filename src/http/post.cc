#include "http/post.h"

#include <fmt/format.h>

#include <array>

#include "http/connection.h"
#include "http/response.h"
#include "http/url.h"

#ifndef HULL_VERSION
#define HULL_VERSION "0"
#endif

namespace hull::http {
namespace {

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

std::string BuildPostHead(std::string_view target, std::string_view host_header,
                          const PostOptions& options, size_t body_size) {
  std::string head = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: hull/{}\r\nContent-Type: {}\r\n"
      "Content-Length: {}\r\nAccept-Encoding: identity\r\nConnection: close\r\n",
      target, host_header, HULL_VERSION, options.content_type, body_size);
  for (const auto& [name, value] : options.headers) head += fmt::format("{}: {}\r\n", name, value);
  head += "\r\n";
  return head;
}

Result<PostResponse> Post(std::string_view asked, std::string_view body,
                          const PostOptions& options) {
  HULL_ASSIGN_OR_RETURN(Url url, ParseUrl(asked));
  if (HasLineBreak(options.content_type))
    return Errorf(ErrorCode::kInvalidArgument, "POST '{}': a line break in Content-Type", asked);
  for (const auto& [name, value] : options.headers)
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        name.find(':') != std::string::npos)
      return Errorf(ErrorCode::kInvalidArgument, "POST '{}': malformed header field '{}'", asked,
                    name);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options.timeout;
  auto expired = [&] {
    double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return Errorf(ErrorCode::kTimeout, "POST '{}': not done after {:.1f} s", asked, spent);
  };
  const std::string context = fmt::format("POST '{}'", asked);
  ConnectOptions co{options.connect_timeout, options.read_timeout, options.ca_file, deadline,
                    options.cert_file,       options.key_file};
  auto opened = Connection::Open(url, co);
  if (!opened.ok() && std::chrono::steady_clock::now() >= deadline) return expired();
  HULL_ASSIGN_OR_RETURN(auto conn, std::move(opened).Context(context));
  std::string out = BuildPostHead(url.target, url.HostHeader(), options, body.size());
  out.append(body);
  HULL_TRY(conn->WriteAll(AsBytes(out)).Context(context));

  PostResponse resp;
  ResponseParser parser;
  bool too_long = false;
  auto sink = [&](ByteSpan piece) -> Status {
    if (piece.size() > options.max_response_bytes - resp.body.size()) {
      too_long = true;
      return Errorf(ErrorCode::kVerifyFailed, "POST '{}': the response is longer than {} bytes",
                    asked, options.max_response_bytes);
    }
    resp.body.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    return Ok();
  };
  std::array<uint8_t, 16 * 1024> buf;
  while (!parser.done()) {
    if (std::chrono::steady_clock::now() >= deadline) return expired();
    auto got = conn->Read(buf);
    if (!got.ok() && std::chrono::steady_clock::now() >= deadline) return expired();
    HULL_ASSIGN_OR_RETURN(size_t n, std::move(got).Context(context));
    if (n == 0) {
      HULL_TRY(parser.Finish().Context(context));
      break;
    }
    if (Status st = parser.Feed(ByteSpan(buf.data(), n), sink); !st.ok()) {
      if (too_long) return std::move(st).error();
      return std::move(st).Context(context).error();
    }
  }
  resp.status = parser.head().status;
  return resp;
}

}  // namespace hull::http

#include "http/response.h"

#include <gtest/gtest.h>

#include <string>

#include "support/status_matchers.h"

namespace hull::http {
namespace {

struct Parsed {
  Status status;
  int code = 0;
  std::string body;
  ResponseParser::Framing framing = ResponseParser::Framing::kNone;
};

// Feeds `wire` in pieces cut at `cuts` (ascending offsets), then EOF when `eof`.
Parsed Parse(std::string_view wire, std::vector<size_t> cuts = {}, bool eof = true) {
  ResponseParser p;
  Parsed out;
  auto sink = [&](ByteSpan b) -> Status {
    EXPECT_FALSE(b.empty());
    out.body.append(AsChars(b));
    return {};
  };
  size_t at = 0;
  cuts.push_back(wire.size());
  for (size_t cut : cuts) {
    out.status = p.Feed(AsBytes(wire.substr(at, cut - at)), sink);
    at = cut;
    if (!out.status.ok()) return out;
  }
  if (eof) out.status = p.Finish();
  out.code = p.head_done() ? p.head().status : 0;
  out.framing = p.framing();
  return out;
}

void ExpectError(std::string_view wire, ErrorCode code, std::string_view text) {
  Parsed r = Parse(wire);
  ASSERT_FALSE(r.status.ok()) << wire;
  EXPECT_ERROR(r.status, code);
  EXPECT_NE(r.status.error().ToString().find(text), std::string::npos)
      << r.status.error().ToString();
}

constexpr std::string_view kChunked =
    "HTTP/1.1 200 OK\r\nServer: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n1;ext=\"a b\"\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
constexpr std::string_view kChunkedBody = "hello 0123456789";
constexpr std::string_view kLength = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
constexpr std::string_view kClose = "HTTP/1.0 200 OK\nContent-Type: text/plain\n\nuntil close";

TEST(Response, ContentLength) {
  Parsed r = Parse(kLength);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.framing, ResponseParser::Framing::kLength);
}

TEST(Response, Chunked) {
  Parsed r = Parse(kChunked);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.body, kChunkedBody);
  EXPECT_EQ(r.framing, ResponseParser::Framing::kChunked);
}

TEST(Response, CloseDelimitedWithBareLf) {
  Parsed r = Parse(kClose);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.body, "until close");
  EXPECT_EQ(r.framing, ResponseParser::Framing::kClose);
}

TEST(Response, HeadFieldsAndInterimResponses) {
  ResponseParser p;
  std::string wire =
      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 301 Moved Permanently\r\nLOCATION:  /next \r\nContent-Length: 0\r\n\r\n";
  ASSERT_OK(p.Feed(AsBytes(wire), [](ByteSpan) { return Status{}; }));
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.head().status, 301);
  EXPECT_EQ(p.head().reason, "Moved Permanently");
  EXPECT_EQ(p.head().Field("location"), "/next");
  EXPECT_EQ(p.head().Field("link"), std::nullopt);
}

TEST(Response, NoBodyFor204And304) {
  for (const char* wire : {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                           "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"}) {
    Parsed r = Parse(wire);
    EXPECT_OK(r.status) << wire;
    EXPECT_EQ(r.body, "");
  }
}

// Every way of cutting each response in two gives the same result, and so
// does feeding it one byte at a time.
TEST(Response, EverySplitPoint) {
  struct Case {
    std::string_view wire, body;
  } cases[] = {{kChunked, kChunkedBody}, {kLength, "hello world"}, {kClose, "until close"}};
  for (const auto& c : cases) {
    for (size_t i = 0; i <= c.wire.size(); ++i) {
      Parsed r = Parse(c.wire, {i});
      ASSERT_OK(r.status);
      ASSERT_EQ(r.body, c.body) << "cut at " << i;
    }
    std::vector<size_t> every;
    for (size_t i = 1; i < c.wire.size(); ++i) every.push_back(i);
    Parsed r = Parse(c.wire, every);
    ASSERT_OK(r.status);
    EXPECT_EQ(r.body, c.body);
  }
}

TEST(Response, TruncationIsUnavailable) {
  for (size_t i = 0; i < kChunked.size(); ++i) {
    Parsed r = Parse(kChunked.substr(0, i));
    ASSERT_FALSE(r.status.ok()) << "truncated at " << i;
    EXPECT_ERROR(r.status, ErrorCode::kUnavailable) << i;
  }
  for (size_t i = 0; i < kLength.size(); ++i) {
    Parsed r = Parse(kLength.substr(0, i));
    ASSERT_FALSE(r.status.ok()) << "truncated at " << i;
    EXPECT_ERROR(r.status, ErrorCode::kUnavailable) << i;
  }
  ExpectError("", ErrorCode::kUnavailable, "connection closed before a response arrived");
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab", ErrorCode::kUnavailable,
              "connection closed after 2 of 4 body bytes");
}

TEST(Response, MalformedHeads) {
  ExpectError("HTTP/2 200 OK\r\n\r\n", ErrorCode::kCorrupt, "bad status line");
  ExpectError("HTTP/1.1 20 OK\r\n\r\n", ErrorCode::kCorrupt, "bad status code '20 '");
  ExpectError("HTTP/1.1 20\r\n\r\n", ErrorCode::kCorrupt, "bad status line 'HTTP/1.1 20'");
  ExpectError("HTTP/1.1 600 Odd\r\n\r\n", ErrorCode::kCorrupt, "bad status code '600'");
  ExpectError("HTTP/1.1 2x0 OK\r\n\r\n", ErrorCode::kCorrupt, "bad status code '2x0'");
  ExpectError("HTTP/1.1 200OK\r\n\r\n", ErrorCode::kCorrupt, "no space after the status code");
  ExpectError("HTTP/1.1 200 O\x01K\r\n\r\n", ErrorCode::kCorrupt, "control byte in reason");
  ExpectError("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", ErrorCode::kCorrupt,
              "obsolete line folding");
  ExpectError("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", ErrorCode::kCorrupt, "bad header line");
  ExpectError("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", ErrorCode::kCorrupt, "bad header line");
  ExpectError("HTTP/1.1 200 OK\r\n: x\r\n\r\n", ErrorCode::kCorrupt, "bad header line");
  ExpectError("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", ErrorCode::kCorrupt, "bare CR");
  ExpectError(std::string("HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n", 27), ErrorCode::kCorrupt,
              "control byte in header 'A'");
  ExpectError("HTTP/1.1 101 Switching\r\n\r\n", ErrorCode::kUnsupported,
              "server switched protocols");
}

TEST(Response, HeadCaps) {
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (size_t i = 0; i <= kMaxHeaders; ++i) many += "X: y\r\n";
  ExpectError(many + "\r\n", ErrorCode::kCorrupt, "more than 100 header fields");
  std::string big = "HTTP/1.1 200 OK\r\nX: " + std::string(kMaxHeadBytes, 'a') + "\r\n\r\n";
  ExpectError(big, ErrorCode::kCorrupt, "response head longer than 65536 bytes");
  // The cap is on the whole head, not per line.
  std::string spread = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 80; ++i) spread += "X: " + std::string(1000, 'b') + "\r\n";
  ExpectError(spread + "\r\n", ErrorCode::kCorrupt, "response head longer than 65536 bytes");
  std::string interim;
  for (size_t i = 0; i <= kMaxInterimResponses; ++i) interim += "HTTP/1.1 100 Continue\r\n\r\n";
  ExpectError(interim, ErrorCode::kCorrupt, "too many interim (1xx) responses");
}

TEST(Response, Framing) {
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
              ErrorCode::kCorrupt, "both Transfer-Encoding and Content-Length");
  ExpectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
              ErrorCode::kUnsupported, "unsupported transfer coding 'gzip'");
  ExpectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
              ErrorCode::kCorrupt, "chunked applied more than once");
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
              ErrorCode::kCorrupt, "conflicting Content-Length values");
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", ErrorCode::kCorrupt,
              "bad Content-Length '-1'");
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
              ErrorCode::kCorrupt, "bad Content-Length");
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc", ErrorCode::kCorrupt,
              "1 bytes after the end of the response");
  // Identical repeated lengths are one length (RFC 9110 §8.6).
  Parsed same = Parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nab");
  ASSERT_OK(same.status);
  EXPECT_EQ(same.body, "ab");
}

TEST(Response, MalformedChunks) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ExpectError(head + "x\r\n", ErrorCode::kCorrupt, "bad chunk size line 'x'");
  ExpectError(head + "5 x\r\n", ErrorCode::kCorrupt, "bad chunk size line '5 x'");
  ExpectError(head + "3\r\nabcX\r\n", ErrorCode::kCorrupt, "chunk terminator longer than 2");
  ExpectError(head + "3\r\nabc\r\n0\r\n", ErrorCode::kUnavailable,
              "connection closed inside the chunked body after 3 bytes");
  ExpectError(head + "10000000001\r\n", ErrorCode::kCorrupt, "chunk larger than 1099511627776");
  ExpectError(head + "ffffffffffffffffffff\r\n", ErrorCode::kCorrupt, "chunk larger than");
  ExpectError(head + "1;" + std::string(kMaxChunkLineBytes, 'e') + "\r\n", ErrorCode::kCorrupt,
              "chunk size line longer than 4096 bytes");
  ExpectError(head + "0\r\nBad Trailer\r\n\r\n", ErrorCode::kCorrupt, "bad header line");
  std::string trailers = head + "0\r\n";
  for (size_t i = 0; i <= kMaxHeaders; ++i) trailers += "T: v\r\n";
  ExpectError(trailers + "\r\n", ErrorCode::kCorrupt, "more than 100 header fields");
}

TEST(Response, SinkErrorStopsAndPasses) {
  ResponseParser p;
  int calls = 0;
  Status s = p.Feed(AsBytes(kLength), [&](ByteSpan) -> Status {
    ++calls;
    return Error(ErrorCode::kIo, "disk full");
  });
  ASSERT_ERROR(s, ErrorCode::kIo);
  EXPECT_EQ(s.error().ToString(), "disk full");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace hull::http

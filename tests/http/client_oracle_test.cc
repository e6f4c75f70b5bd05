// Oracle: Hull's HTTP client against a real nginx on loopback (plain and
// TLS, certificates from the openssl CLI), bytes checked with sha256sum.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "base/hex.h"
#include "crypto/digest.h"
#include "http/client.h"
#include "http/connection.h"
#include "http/response.h"
#include "nginx_fixture.h"
#include "support/status_matchers.h"
#include "tuf/fetcher.h"

namespace hull::http {
namespace {

using test::Nginx;

class HttpOracle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = TempDir::Create("hull-http-oracle");
    ASSERT_OK(dir);
    scratch_ = new TempDir(std::move(*dir));
    auto n = test::StartNginx(*scratch_);
    ASSERT_OK(n);
    nginx_ = n->release();
  }
  static void TearDownTestSuite() {
    delete nginx_;
    delete scratch_;
  }

  // GETs `url`, hashing the body; returns the hex SHA-256 and the size.
  static Result<std::pair<std::string, uint64_t>> GetSha(const std::string& url,
                                                         GetOptions options = {}) {
    crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
    uint64_t size = 0;
    HULL_TRY(Get(url, options, [&](ByteSpan piece) -> Status {
      h.Update(piece);
      size += piece.size();
      return {};
    }));
    return std::make_pair(HexEncode(h.Final()), size);
  }

  static GetOptions Trusting() {
    GetOptions o;
    o.ca_file = nginx_->ca_file;
    return o;
  }

  static void ExpectError(const Status& s, ErrorCode code, const std::string& text) {
    ASSERT_ERROR(s, code) << "expected: " << text;
    EXPECT_NE(s.error().ToString().find(text), std::string::npos) << s.error().ToString();
  }

  static Status Discard(const std::string& url, const GetOptions& o = {}) {
    return Get(url, o, [](ByteSpan) { return Status{}; });
  }

  static TempDir* scratch_;
  static Nginx* nginx_;
};

TempDir* HttpOracle::scratch_ = nullptr;
Nginx* HttpOracle::nginx_ = nullptr;

TEST_F(HttpOracle, PlainMultiMiBMatchesSha256sum) {
  auto want = test::Sha256Sum(nginx_->big_path);
  ASSERT_OK(want);
  auto got = GetSha(nginx_->Plain("big.bin"));
  ASSERT_OK(got);
  EXPECT_EQ(got->first, *want);
  EXPECT_GT(got->second, 5u << 20);
}

TEST_F(HttpOracle, TlsMultiMiBMatchesSha256sum) {
  auto want = test::Sha256Sum(nginx_->big_path);
  ASSERT_OK(want);
  auto got = GetSha(nginx_->Tls("big.bin"), Trusting());
  ASSERT_OK(got);
  EXPECT_EQ(got->first, *want);
}

TEST_F(HttpOracle, TlsTrustFromEnvironment) {
  ::setenv("HULL_CA_FILE", nginx_->ca_file.c_str(), 1);
  auto got = GetSha(nginx_->Tls("small.txt"));
  ::unsetenv("HULL_CA_FILE");
  ASSERT_OK(got);
  EXPECT_EQ(got->second, 16u);
}

TEST_F(HttpOracle, ChunkedResponse) {
  // nginx really frames this one with chunked encoding: read its head raw.
  auto url = ParseUrl(nginx_->Plain("ssi/chunked.shtml"));
  ASSERT_OK(url);
  auto conn = Connection::Open(*url, {});
  ASSERT_OK(conn);
  ASSERT_OK((*conn)->WriteAll(AsBytes(BuildRequest(url->target, url->HostHeader()))));
  ResponseParser parser;
  Bytes buf(4096);
  while (!parser.head_done()) {
    auto n = (*conn)->Read(buf);
    ASSERT_OK(n);
    ASSERT_GT(*n, 0);
    ASSERT_OK(parser.Feed(ByteSpan(buf.data(), *n), [](ByteSpan) { return Status{}; }));
  }
  EXPECT_EQ(parser.framing(), ResponseParser::Framing::kChunked);
  EXPECT_EQ(parser.head().Field("transfer-encoding"), "chunked");

  auto want = test::Sha256Sum(nginx_->chunked_expected_path);
  ASSERT_OK(want);
  auto got = GetSha(nginx_->Plain("ssi/chunked.shtml"));
  ASSERT_OK(got);
  EXPECT_EQ(got->first, *want);
  auto tls = GetSha(nginx_->Tls("ssi/chunked.shtml"), Trusting());
  ASSERT_OK(tls);
  EXPECT_EQ(tls->first, *want);
}

// What nginx saw of the request, echoed back in the body.
TEST_F(HttpOracle, RequestAsTheServerSeesIt) {
  std::string body;
  Status s = Get(nginx_->Plain("echo?a=1"), {}, [&](ByteSpan p) {
    body.append(AsChars(p));
    return Status{};
  });
  ASSERT_OK(s);
  EXPECT_EQ(body, fmt::format("GET /echo?a=1 HTTP/1.1|127.0.0.1:{}|hull/{}|identity|close\n",
                              nginx_->plain_port, HULL_TEST_VERSION));
}

TEST_F(HttpOracle, NotFoundAndOtherStatuses) {
  std::string missing = nginx_->Plain("missing.json");
  ExpectError(Discard(missing), ErrorCode::kNotFound, "'" + missing + "' not found (HTTP 404)");
  std::string forbidden = nginx_->Plain("forbidden");
  // 403 is refused, not unavailable: private object stores answer it for a missing object,
  // which the TUF client reads as the end of the root chain.
  ExpectError(Discard(forbidden), ErrorCode::kRefused, "'" + forbidden + "': forbidden (HTTP 403)");
}

TEST_F(HttpOracle, Redirects) {
  auto want = test::Sha256Sum(nginx_->big_path);
  ASSERT_OK(want);
  auto moved = GetSha(nginx_->Plain("moved"));
  ASSERT_OK(moved);
  EXPECT_EQ(moved->first, *want);
  auto rel = GetSha(nginx_->Plain("moved-rel"));
  ASSERT_OK(rel);
  EXPECT_EQ(rel->second, 16u);
  auto up = GetSha(nginx_->Plain("to-tls"), Trusting());  // http -> https is allowed
  ASSERT_OK(up);
  EXPECT_EQ(up->second, 16u);
  std::string down = nginx_->Tls("to-plain");
  ExpectError(Discard(down, Trusting()), ErrorCode::kRefused,
              fmt::format("'{}': redirect from https to 'http://127.0.0.1:{}/small.txt' refused",
                          down, nginx_->plain_port));
  std::string loop = nginx_->Plain("loop");
  ExpectError(Discard(loop), ErrorCode::kUnavailable, "'" + loop + "': more than 5 redirects");
  GetOptions none;
  none.max_redirects = 0;
  ExpectError(Discard(nginx_->Plain("moved"), none), ErrorCode::kUnavailable,
              "more than 0 redirects");
}

TEST_F(HttpOracle, ByteCap) {
  auto size = File::OpenRead(nginx_->big_path).value().Size().value();
  GetOptions exact;
  exact.max_bytes = size;
  ASSERT_OK(Discard(nginx_->Plain("big.bin"), exact));
  GetOptions under;
  under.max_bytes = size - 1;
  std::string big = nginx_->Plain("big.bin");
  uint64_t seen = 0;
  Status s = Get(big, under, [&](ByteSpan p) {
    seen += p.size();
    return Status{};
  });
  ExpectError(s, ErrorCode::kVerifyFailed,
              fmt::format("'{}' is longer than the {} bytes allowed", big, size - 1));
  EXPECT_EQ(s.error().ToString(),
            fmt::format("'{}' is longer than the {} bytes allowed", big, size - 1));
  EXPECT_EQ(seen, 0u);  // Content-Length over the cap: refused before any byte
  // Chunked: no length up front, so the cap cuts the stream.
  std::string chunked = nginx_->Plain("ssi/chunked.shtml");
  GetOptions small;
  small.max_bytes = 1 << 20;
  seen = 0;
  s = Get(chunked, small, [&](ByteSpan p) {
    seen += p.size();
    return Status{};
  });
  EXPECT_EQ(s.error().ToString(),
            fmt::format("'{}' is longer than the 1048576 bytes allowed", chunked));
  EXPECT_LE(seen, 1u << 20);
}

TEST_F(HttpOracle, SinkErrorEndsTheTransfer) {
  Status s = Get(nginx_->Plain("big.bin"), {},
                 [](ByteSpan) -> Status { return Error(ErrorCode::kIo, "disk full"); });
  ASSERT_ERROR(s, ErrorCode::kIo);
  EXPECT_EQ(s.error().ToString(), "disk full");
}

TEST_F(HttpOracle, TlsWrongHostnameRefused) {
  std::string url = fmt::format("https://localhost:{}/small.txt", nginx_->tls_other_port);
  ExpectError(Discard(url, Trusting()), ErrorCode::kUnavailable,
              fmt::format("TLS handshake with localhost:{}: certificate refused: hostname mismatch",
                          nginx_->tls_other_port));
  std::string by_ip = fmt::format("https://127.0.0.1:{}/small.txt", nginx_->tls_port);
  ExpectError(Discard(by_ip, Trusting()), ErrorCode::kUnavailable,
              "certificate refused: IP address mismatch");
}

TEST_F(HttpOracle, TlsUntrustedCaRefused) {
  GetOptions foreign;
  foreign.ca_file = nginx_->foreign_ca_file;
  ExpectError(Discard(nginx_->Tls("small.txt"), foreign), ErrorCode::kUnavailable,
              "certificate refused: unable to get local issuer certificate");
  // The system store does not know the throwaway CA either.
  ExpectError(Discard(nginx_->Tls("small.txt")), ErrorCode::kUnavailable,
              "certificate refused: unable to get local issuer certificate");
  GetOptions missing;
  missing.ca_file = nginx_->dir + "/no-such-ca.pem";
  ExpectError(Discard(nginx_->Tls("small.txt"), missing), ErrorCode::kInvalidArgument,
              "cannot load CA certificates from '" + missing.ca_file + "'");
}

TEST_F(HttpOracle, PlainClientToTlsPortFails) {
  std::string url = fmt::format("http://127.0.0.1:{}/small.txt", nginx_->tls_port);
  ExpectError(Discard(url), ErrorCode::kUnavailable, "'" + url + "': HTTP 400");
}

TEST(HttpConnect, RefusedNamesHostPort) {
  test_support::RefusingPort refusing;
  const uint16_t port = refusing.port();
  std::string url = fmt::format("http://127.0.0.1:{}/x", port);
  Status s = Get(url, {}, [](ByteSpan) { return Status{}; });
  ASSERT_ERROR(s, ErrorCode::kUnavailable);
  EXPECT_EQ(
      s.error().ToString(),
      fmt::format("fetching '{}': cannot connect to 127.0.0.1:{}: Connection refused", url, port));
}

TEST(HttpConnect, SilentServerTimesOut) {
  // A listening socket that never answers: the connection is accepted by the
  // kernel, the request sent, and then nothing arrives.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  GetOptions o;
  o.read_timeout = std::chrono::milliseconds(300);
  std::string url = fmt::format("http://127.0.0.1:{}/x", ntohs(a.sin_port));
  auto start = std::chrono::steady_clock::now();
  Status s = Get(url, o, [](ByteSpan) { return Status{}; });
  auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  ASSERT_ERROR(s, ErrorCode::kTimeout);
  EXPECT_EQ(s.error().ToString(),
            fmt::format("fetching '{}': 127.0.0.1:{}: no progress receiving for 300 ms", url,
                        ntohs(a.sin_port)));
  EXPECT_LT(took, std::chrono::seconds(5));
}

// Slow retrieval: nginx trickles big.bin at 4 KiB/s, never silent long
// enough for the inactivity timeout; the fetch's own deadline (1 s of slack
// plus the cap at 8 MiB/s: 1 s) ends it with an error naming the URL and
// the time spent.
TEST_F(HttpOracle, TricklingServerIsCutOffByTheFetchDeadline) {
  GetOptions o;
  o.max_bytes = 8 << 20;
  o.fetch_slack = std::chrono::seconds(1);
  o.floor_bytes_per_second = 8 << 20;
  uint64_t got = 0;
  std::string url = nginx_->Plain("slow/big.bin");
  Status s = Get(url, o, [&](ByteSpan p) {
    got += p.size();
    return Status{};
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kTimeout) << s.error().ToString();
  EXPECT_TRUE(s.error().ToString().starts_with("'" + url + "': not done after "))
      << s.error().ToString();
  EXPECT_TRUE(
      s.error().ToString().ends_with(" s (deadline: 2 s for up to 8388608 bytes at 8388608 "
                                     "bytes/s)"))
      << s.error().ToString();
  EXPECT_GT(got, 0u);        // bytes did arrive: a trickle, not a silence
  EXPECT_LT(got, 1u << 20);  // and far from all of them
}

// The run's deadline cuts every fetch of a TUF fetcher short, whatever its
// own deadline (a 64 MiB cap allows 542 s).
TEST_F(HttpOracle, RunDeadlineCutsTheFetcherShort) {
  auto fetcher = tuf::MakeFetcher(fmt::format("http://127.0.0.1:{}", nginx_->plain_port),
                                  {.run_deadline = tuf::RunDeadline(1)});
  Status s = fetcher->FetchTo("slow/big.bin", 64 << 20, [](ByteSpan) { return Status{}; });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kTimeout) << s.error().ToString();
  EXPECT_NE(s.error().ToString().find("slow/big.bin': not done after "), std::string::npos)
      << s.error().ToString();
  EXPECT_NE(s.error().ToString().find("(deadline: the end of the run (--deadline))"),
            std::string::npos)
      << s.error().ToString();
  // A directory repository honours it too (checked between its reads).
  auto dir =
      tuf::MakeFetcher(nginx_->dir + "/www", {.run_deadline = std::chrono::steady_clock::now()});
  Status d = dir->FetchTo("big.bin", 64 << 20, [](ByteSpan) { return Status{}; });
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kTimeout) << d.error().ToString();
  // Without a deadline the same fetcher reads the whole file.
  auto free = tuf::MakeFetcher(nginx_->dir + "/www");
  EXPECT_TRUE(free->FetchTo("big.bin", 64 << 20, [](ByteSpan) { return Status{}; }).ok());
}

TEST_F(HttpOracle, TufFetcherStreamsOverHttp) {
  auto fetcher = tuf::MakeFetcher(fmt::format("http://127.0.0.1:{}", nginx_->plain_port));
  auto want = test::Sha256Sum(nginx_->big_path);
  ASSERT_OK(want);
  crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
  size_t pieces = 0;
  ASSERT_OK(fetcher->FetchTo("big.bin", 64 << 20, [&](ByteSpan p) {
    h.Update(p);
    ++pieces;
    return Status{};
  }));
  EXPECT_EQ(HexEncode(h.Final()), *want);
  EXPECT_GT(pieces, 1u);  // streamed, not one buffered piece
  auto small = fetcher->Fetch("small.txt", 100);
  ASSERT_OK(small);
  EXPECT_EQ(AsChars(*small), "hello over http\n");
  auto missing = fetcher->Fetch("none.json", 100);
  ASSERT_ERROR(missing, ErrorCode::kNotFound);
  auto capped = fetcher->Fetch("small.txt", 15);
  ASSERT_ERROR(capped, ErrorCode::kVerifyFailed);
  EXPECT_EQ(capped.error().ToString(),
            fmt::format("'http://127.0.0.1:{}/small.txt' is longer than the 15 bytes allowed",
                        nginx_->plain_port));
}

}  // namespace
}  // namespace hull::http

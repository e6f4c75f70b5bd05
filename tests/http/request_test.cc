#include <gtest/gtest.h>

#include "http/client.h"
#include "http/post.h"

#include "support/status_matchers.h"

namespace hull::http {
namespace {

TEST(Request, ExactBytes) {
  EXPECT_EQ(BuildRequest("/a?b", "h:8080"),
            "GET /a?b HTTP/1.1\r\nHost: h:8080\r\nUser-Agent: hull/" HULL_TEST_VERSION
            "\r\nAccept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n");
}

TEST(PostRequest, ExactHead) {
  PostOptions o;
  o.headers = {{"fleet-lock-protocol", "true"}};
  EXPECT_EQ(BuildPostHead("/v1/pre-reboot", "h:8080", o, 42),
            "POST /v1/pre-reboot HTTP/1.1\r\nHost: h:8080\r\nUser-Agent: hull/" HULL_TEST_VERSION
            "\r\nContent-Type: application/json\r\nContent-Length: 42\r\n"
            "Accept-Encoding: identity\r\nConnection: close\r\nfleet-lock-protocol: true\r\n\r\n");
}

TEST(PostRequest, RefusesHeaderInjectionBeforeConnecting) {
  PostOptions o;
  o.headers = {{"x", "a\r\nHost: evil"}};
  auto r = Post("http://127.0.0.1:1/x", "{}", o);
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_ERROR(Post("ftp://127.0.0.1/x", "{}", {}), ErrorCode::kInvalidArgument);
}

TEST(Get, RefusesBadUrlBeforeConnecting) {
  Status s = Get("ftp://127.0.0.1/x", {}, [](ByteSpan) { return Status{}; });
  ASSERT_ERROR(s, ErrorCode::kInvalidArgument);
}

// The per-fetch deadline as docs/http.md states it: 30 s plus the cap at
// 128 KiB/s (131072 bytes per second), whole seconds.
TEST(FetchTime, SlackPlusTheCapAtTheFloorRate) {
  EXPECT_EQ(FetchTime(0), std::chrono::seconds(30));
  EXPECT_EQ(FetchTime(131071), std::chrono::seconds(30));
  EXPECT_EQ(FetchTime(131072), std::chrono::seconds(31));
  EXPECT_EQ(FetchTime(600ull << 20), std::chrono::seconds(30 + 4800));  // a 600 MiB image
  EXPECT_EQ(FetchTime(1 << 20, std::chrono::seconds(1), 1 << 19), std::chrono::seconds(3));
}

TEST(FetchTime, UncappedBodiesHaveNone) {
  EXPECT_EQ(FetchTime(UINT64_MAX), std::nullopt);
  EXPECT_EQ(FetchTime(1, std::chrono::seconds(30), 0), std::nullopt);
  // Seven days is the most: one second more is none.
  EXPECT_EQ(FetchTime((7 * 24 * 3600 - 30) * 131072ull), std::chrono::seconds(7 * 24 * 3600));
  EXPECT_EQ(FetchTime((7 * 24 * 3600 - 29) * 131072ull), std::nullopt);
}

TEST(Get, RunDeadlineAlreadyPassedNamesTheUrl) {
  GetOptions o;
  o.run_deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  // No server is asked: the deadline is checked before connecting.
  Status s = Get("http://127.0.0.1:9/x", o, [](ByteSpan) { return Status{}; });
  ASSERT_ERROR(s, ErrorCode::kTimeout);
  EXPECT_EQ(s.error().ToString(),
            "'http://127.0.0.1:9/x': not done after 0.0 s (deadline: the end of the run "
            "(--deadline))");
}

}  // namespace
}  // namespace hull::http

#include <gtest/gtest.h>

#include "http/client.h"

#include "support/status_matchers.h"

namespace hull::http {
namespace {

TEST(Request, ExactBytes) {
  EXPECT_EQ(BuildRequest("/a?b", "h:8080"),
            "GET /a?b HTTP/1.1\r\nHost: h:8080\r\nUser-Agent: hull/" HULL_TEST_VERSION
            "\r\nAccept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n");
}

TEST(Get, RefusesBadUrlBeforeConnecting) {
  Status s = Get("ftp://127.0.0.1/x", {}, [](ByteSpan) { return Status{}; });
  ASSERT_ERROR(s, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hull::http

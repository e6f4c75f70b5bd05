#include "http/url.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::http {
namespace {

TEST(Url, ParsesSchemeHostPortTarget) {
  auto u = ParseUrl("https://Example.COM:8443/a/b?x=1&y=%2F");
  ASSERT_OK(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/a/b?x=1&y=%2F");
  EXPECT_EQ(u->HostPort(), "example.com:8443");
  EXPECT_EQ(u->HostHeader(), "example.com:8443");
  EXPECT_EQ(u->ToString(), "https://example.com:8443/a/b?x=1&y=%2F");
}

TEST(Url, DefaultsPortAndPath) {
  auto u = ParseUrl("http://127.0.0.1");
  ASSERT_OK(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->HostHeader(), "127.0.0.1");
  auto q = ParseUrl("https://h?q");
  ASSERT_OK(q);
  EXPECT_EQ(q->port, 443);
  EXPECT_EQ(q->target, "/?q");
}

TEST(Url, Ipv6Literal) {
  auto u = ParseUrl("http://[::1]:8080/x");
  ASSERT_OK(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->HostPort(), "[::1]:8080");
  EXPECT_EQ(u->HostHeader(), "[::1]:8080");
  auto d = ParseUrl("https://[2001:DB8::1]/");
  ASSERT_OK(d);
  EXPECT_EQ(d->host, "2001:db8::1");
  EXPECT_EQ(d->HostHeader(), "[2001:db8::1]");
}

struct BadCase {
  const char* url;
  const char* why;
};

TEST(Url, RefusesWithTheReason) {
  const BadCase cases[] = {
      {"ftp://h/x", "only http:// and https:// are supported"},
      {"h/x", "only http:// and https:// are supported"},
      {"http://user:pw@h/x", "user information ('user@') is not allowed"},
      {"http://h/x#frag", "fragments are not allowed"},
      {"http:///x", "empty host"},
      {"http://:80/x", "empty host"},
      {"http://h:0/", "port must be a number in 1..65535"},
      {"http://h:65536/", "port must be a number in 1..65535"},
      {"http://h:8a/", "port must be a number in 1..65535"},
      {"http://h:/", "port must be a number in 1..65535"},
      {"http://[::1/", "unterminated IPv6 literal"},
      {"http://[zz::1]/", "bad character in IPv6 literal"},
      {"http://h o/", "character 0x20 not allowed in the host"},
      {"http://h/a b", "character 0x20 not allowed in the path"},
      {"http://h/a\r\nX: y", "character 0x0d not allowed in the path"},
      {"http://h/\xc3\xa9", "character 0xc3 not allowed in the path"},
      {"http://h/%4", "bad percent-escape in the path"},
      {"http://h/%zz", "bad percent-escape in the path"},
  };
  for (const auto& c : cases) {
    auto u = ParseUrl(c.url);
    ASSERT_FALSE(u.ok()) << c.url;
    EXPECT_ERROR(u, ErrorCode::kInvalidArgument) << c.url;
    EXPECT_NE(u.error().message().find(c.why), std::string::npos)
        << c.url << " -> " << u.error().message();
  }
  auto long_url = ParseUrl("http://h/" + std::string(kMaxUrlBytes, 'a'));
  ASSERT_FALSE(long_url.ok());
  EXPECT_NE(long_url.error().message().find("longer than 8192 bytes"), std::string::npos);
}

TEST(Url, ResolvesLocations) {
  auto base = ParseUrl("https://h:8443/dir/file?q=1");
  ASSERT_OK(base);
  auto abs = ResolveLocation(*base, "http://other/x");
  ASSERT_OK(abs);
  EXPECT_EQ(abs->ToString(), "http://other/x");
  auto net = ResolveLocation(*base, "//other:1/y");
  ASSERT_OK(net);
  EXPECT_EQ(net->ToString(), "https://other:1/y");
  auto path = ResolveLocation(*base, "/z?k#frag");
  ASSERT_OK(path);
  EXPECT_EQ(path->ToString(), "https://h:8443/z?k");
  auto rel = ResolveLocation(*base, "other.json");
  ASSERT_OK(rel);
  EXPECT_EQ(rel->ToString(), "https://h:8443/dir/other.json");
  auto ftp = ResolveLocation(*base, "ftp://x/y");
  ASSERT_ERROR(ftp, ErrorCode::kInvalidArgument);
  EXPECT_NE(ftp.error().message().find("redirect to unsupported URL 'ftp://x/y'"),
            std::string::npos);
}

}  // namespace
}  // namespace hull::http

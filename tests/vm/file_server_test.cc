// The netboot file server (vm/file_server.h), with curl as the client: the
// media type and length EDK2's HTTP boot acts on, the body byte for byte,
// keep-alive, and the refusals; the request-head parser's cases.
#include "vm/file_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/status_matchers.h"

namespace hull::vm {
namespace {

using testing::ErrorIs;
using ::testing::HasSubstr;

TEST(ParseRequestHead, LineAndConnection) {
  auto r = ParseRequestHead("GET /live.iso HTTP/1.1\r\nHost: 10.0.2.2:80\r\nAccept: */*");
  ASSERT_OK(r);
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->target, "/live.iso");
  EXPECT_TRUE(r->keep_alive);
  r = ParseRequestHead("HEAD /x HTTP/1.1\r\nconnection:  Close ");
  ASSERT_OK(r);
  EXPECT_FALSE(r->keep_alive);
  r = ParseRequestHead("GET /x HTTP/1.0");
  ASSERT_OK(r);
  EXPECT_FALSE(r->keep_alive);
  r = ParseRequestHead("GET /x HTTP/1.0\r\nConnection: keep-alive");
  ASSERT_OK(r);
  EXPECT_TRUE(r->keep_alive);
}

TEST(ParseRequestHead, Malformed) {
  for (const char* bad : {"", "GET", "GET /x", "GET /x HTTP/1.1 extra", "GET  HTTP/1.1",
                          " /x HTTP/1.1", "GET /x\x01 HTTP/1.1"})
    EXPECT_THAT(ParseRequestHead(bad), ErrorIs(ErrorCode::kInvalidArgument, HasSubstr("request")))
        << bad;
  EXPECT_THAT(ParseRequestHead("GET /x HTTP/2.0"),
              ErrorIs(ErrorCode::kInvalidArgument, HasSubstr("unsupported HTTP version")));
  EXPECT_THAT(ParseRequestHead("GET /x HTTP/1.1\r\nno colon here"),
              ErrorIs(ErrorCode::kInvalidArgument, HasSubstr("header line")));
  EXPECT_THAT(ParseRequestHead("GET /x HTTP/1.1\r\n: empty name"),
              ErrorIs(ErrorCode::kInvalidArgument, HasSubstr("header line")));
}

std::string Curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "20"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = Run(Command{.argv = argv});
  EXPECT_OK(r);
  return r.ok() ? r->out + r->err : "";
}

TEST(FileServer, ServesOneFileToCurl) {
  ASSERT_OK_AND_ASSIGN(TempDir t, TempDir::Create("file-server"));
  Bytes data(3 << 20);  // several sendfile rounds
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + (i >> 12));
  const std::string file = t.path() + "/m.iso";
  ASSERT_OK(WriteFileAtomic(file, AsChars(data)));
  ASSERT_OK_AND_ASSIGN(auto s, FileServer::Start(file, "/live.iso"));
  const std::string base = fmt::format("http://127.0.0.1:{}", s->port());
  // HEAD, then GET on the same connection (as EDK2's HTTP boot asks).
  std::string v =
      Curl({"-v", "-I", base + "/live.iso", "--next", "-o", t.path() + "/got", base + "/live.iso"});
  EXPECT_THAT(v, HasSubstr("Content-Type: application/vnd.efi-iso"));
  EXPECT_THAT(v, HasSubstr(fmt::format("Content-Length: {}", data.size())));
  EXPECT_THAT(v, HasSubstr("Re-using existing connection"));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileText(t.path() + "/got", 8 << 20));
  EXPECT_TRUE(got == std::string(AsChars(data))) << got.size();
  // Nothing else is served.
  EXPECT_EQ(Curl({"-o", "/dev/null", "-w", "%{http_code}", base + "/other"}), "404");
  EXPECT_EQ(Curl({"-o", "/dev/null", "-w", "%{http_code}", base + "/live.iso/../m.iso"}), "404");
  EXPECT_EQ(Curl({"-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", base + "/live.iso"}),
            "405");
  EXPECT_EQ(Curl({"-o", "/dev/null", "-w", "%{http_code}", "-H", std::string(9000, 'a') + ": b",
                  base + "/live.iso"}),
            "431");
  FileServerStats st = s->stats();
  EXPECT_EQ(st.body_bytes, data.size());
  EXPECT_EQ(st.requests, 5);  // the refused oversized head is not counted
  EXPECT_GE(st.first_get_s, 0);
  EXPECT_GE(st.last_byte_s, st.first_get_s);
}

TEST(FileServer, MissingFile) {
  EXPECT_THAT(FileServer::Start("/nonexistent/m.iso", "/live.iso"),
              ErrorIs(ErrorCode::kNotFound, HasSubstr("/nonexistent/m.iso")));
}

}  // namespace
}  // namespace hull::vm

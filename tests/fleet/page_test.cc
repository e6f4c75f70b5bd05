// Oracle: the status page (GET /) rendered by headless Chromium (Debian's
// `chromium`). A replica holds slots for hostile node ids and a halted
// release; the text of the DOM Chromium built must say what /v1/status says
// (every group, holder, report and halt), no id may have become markup, and a
// screenshot is left in the test's working directory (fleet_status_page.png).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "fleet/fixture.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

using namespace std::chrono_literals;
using testing::Chromium;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RawRequest;
using testing::TextOf;

const std::vector<std::string> kHdr{"fleet-lock-protocol: true"};

TEST(StatusPage, ChromiumShowsWhatStatusSays) {
  ASSERT_OK_AND_ASSIGN(auto dir, TempDir::Create("fleet-page"));
  ASSERT_OK_AND_ASSIGN(auto etcd, testing::Etcd::Start(dir.path()));
  auto r = testing::StartReplica(etcd->url(),
                                 {"--group", "default=3", "--group", "db=1", "--halt-after", "1"},
                                 dir.path() + "/replica.log");
  ASSERT_OK(r);
  const std::string hostile = "<script>document.title='pwned'</script>";
  const std::string hull = R"("hull":{"version":"202612.05.0","flavor":"base","arch":"amd64"})";
  for (const std::string& id : {hostile, std::string("n&1"), std::string("<b>bold</b>")}) {
    auto x = RawRequest("POST", r->base_url + "v1/pre-reboot", kHdr,
                        R"({"client_params":{"id":")" + id + R"(",)" + hull + "}}");
    ASSERT_OK(x);
    ASSERT_EQ(x->status, 200) << x->body;
  }
  auto db = RawRequest("POST", r->base_url + "v1/pre-reboot", kHdr,
                       R"({"client_params":{"id":"db-1","group":"db"}})");
  ASSERT_OK(db);
  for (const auto& [id, result] : {std::pair{std::string("n&1"), "healthy"},
                                   std::pair{std::string("<b>bold</b>"), "rolled-back"}}) {
    auto x = RawRequest(
        "POST", r->base_url + "v1/report", kHdr,
        R"({"client_params":{"id":")" + id + R"(",)" + hull + R"(},"result":")" + result + "\"}");
    ASSERT_OK(x);
    ASSERT_EQ(x->status, 200) << x->body;
  }

  ASSERT_OK_AND_ASSIGN(auto status, RawRequest("GET", r->base_url + "v1/status", {}, ""));
  auto j = nlohmann::json::parse(status.body);
  const auto json_read = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(auto dom, Chromium(dir.path(), {"--dump-dom", r->base_url}));
  // Chromium read the page at most this long after the JSON was read.
  const int64_t page_lag =
      std::chrono::ceil<std::chrono::seconds>(std::chrono::steady_clock::now() - json_read)
          .count() +
      1;
  std::string text = TextOf(dom.out);

  // No id became markup: Chromium's DOM has no script or b element from them,
  // and the script did not run.
  EXPECT_THAT(dom.out, Not(HasSubstr("<script")));
  EXPECT_THAT(dom.out, Not(HasSubstr("<b>")));
  EXPECT_THAT(dom.out, HasSubstr("<title>Hull FleetLock</title>"));
  EXPECT_THAT(dom.out, HasSubstr("<meta http-equiv=\"refresh\""));
  // Every fact of /v1/status is on the page.
  ASSERT_EQ(j["groups"].size(), 2u);
  for (const auto& g : j["groups"]) {
    std::string name = g["group"];
    EXPECT_THAT(text,
                HasSubstr("group " + name + ": " + std::to_string(g["holders"].size()) + " of " +
                          std::to_string(g["total_slots"].get<int>()) + " slots held"));
    for (const auto& h : g["holders"]) {
      std::string id = h;
      ASSERT_TRUE(g["held_seconds"].contains(id)) << id;
      int64_t secs = g["held_seconds"][id];
      bool found = false;
      for (int64_t d = 0; d <= page_lag && !found; ++d) {
        found = text.find(id + " " + std::to_string(secs + d) + "s ") != std::string::npos;
      }
      EXPECT_TRUE(found) << id << " held " << secs << "s, page: " << text;
    }
  }
  ASSERT_EQ(j["releases"].size(), 1u);
  const auto& rel = j["releases"][0];
  EXPECT_EQ(rel["halted"], true);
  EXPECT_THAT(text, HasSubstr("Halted releases 202612.05.0 (base/amd64)"));
  EXPECT_THAT(text, HasSubstr("release 202612.05.0 (base/amd64) HALTED " +
                              std::to_string(rel["tried"].size()) + " tried, " +
                              std::to_string(rel["healthy"].size()) + " healthy, " +
                              std::to_string(rel["rolled_back"].size()) + " rolled back"));
  EXPECT_THAT(text, HasSubstr("healthy n&1 rolled back <b>bold</b>"));

  // The screenshot, kept where ctest runs the test.
  std::string shot = std::filesystem::current_path().string() + "/fleet_status_page.png";
  std::filesystem::remove(shot);
  ASSERT_OK(Chromium(dir.path(), {"--screenshot=" + shot, r->base_url}));
  EXPECT_GT(std::filesystem::file_size(shot), 5000u);
}

}  // namespace
}  // namespace hull::fleet

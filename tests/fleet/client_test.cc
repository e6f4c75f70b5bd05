// Unit tests: node id derivation, backoff, client and the reboot state
// machine against a fake HTTP transport and a fake clock.
#include "fleet/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <httplib.h>
#include <deque>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/file.h"
#include "fleet/backoff.h"
#include "fleet/node_id.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

using namespace std::chrono_literals;

// Produced on a host whose /etc/machine-id is 3d1219c7c4c5404aaa1f6d2a48adfda4 by
//   systemd-id128 machine-id --app-specific=72de3d86d825400388883773c712b687
//     -> f595bece04df4f3f94da37e4d0de8e84
//   systemd-id128 machine-id --app-specific=de35106b6ec24688b63afddaa156679b  (Zincati's)
//     -> 975228d46dc94622b9bbe16671e2b58d
TEST(NodeId, MatchesSystemdAppSpecificIds) {
  EXPECT_EQ(*AppSpecificId("3d1219c7c4c5404aaa1f6d2a48adfda4", kHullFleetAppId),
            "f595bece04df4f3f94da37e4d0de8e84");
  EXPECT_EQ(*AppSpecificId("3d1219c7c4c5404aaa1f6d2a48adfda4", "de35106b6ec24688b63afddaa156679b"),
            "975228d46dc94622b9bbe16671e2b58d");
  // UUID form of the same ids gives the same result.
  EXPECT_EQ(*AppSpecificId("3d1219c7-c4c5-404a-aa1f-6d2a48adfda4",
                           "72de3d86-d825-4003-8888-3773c712b687"),
            "f595bece04df4f3f94da37e4d0de8e84");
}

TEST(NodeId, RejectsMalformedIds) {
  auto r = AppSpecificId("3d1219c7", kHullFleetAppId);
  EXPECT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "machine id must be 32 hex digits, got 8 characters");
  auto r2 = AppSpecificId("zz1219c7c4c5404aaa1f6d2a48adfda4", kHullFleetAppId);
  EXPECT_ERROR(r2, ErrorCode::kInvalidArgument);
}

TEST(NodeId, ReadsMachineIdFile) {
  auto dir = TempDir::Create("fleet-nodeid");
  ASSERT_OK(dir);
  std::string path = dir->path() + "/machine-id";
  std::string text = "3d1219c7c4c5404aaa1f6d2a48adfda4\n";
  ASSERT_OK(WriteFileAtomic(path, Bytes(text.begin(), text.end())));
  EXPECT_EQ(*NodeIdFromMachineId(path), "f595bece04df4f3f94da37e4d0de8e84");
  EXPECT_ERROR(NodeIdFromMachineId(dir->path() + "/missing"), ErrorCode::kNotFound);
}

TEST(Backoff, GrowsWithinJitterBoundsAndResets) {
  Backoff b(100ms, 1000ms, 42);
  const int64_t caps[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int64_t cap : caps) {
    auto d = b.Next().count();
    EXPECT_GE(d, cap / 2);
    EXPECT_LE(d, cap);
  }
  b.Reset();
  auto d = b.Next().count();
  EXPECT_GE(d, 50);
  EXPECT_LE(d, 100);
}

TEST(Backoff, JitterSpreadsClients) {
  Backoff a(1000ms, 1000ms, 1), b(1000ms, 1000ms, 2);
  int same = 0;
  for (int i = 0; i < 20; ++i) same += a.Next() == b.Next();
  EXPECT_LT(same, 5);
}

class FakePoster : public HttpPoster {
 public:
  std::deque<Result<HttpResponse>> script;
  std::vector<std::pair<std::string, std::string>> calls;
  Result<HttpResponse> Post(const std::string& url, const std::string& body) override {
    calls.emplace_back(url, body);
    if (script.empty()) return Error(ErrorCode::kInternal, "fake: script exhausted");
    auto r = std::move(script.front());
    script.pop_front();
    return r;
  }
};

class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point now{};
  std::vector<std::chrono::milliseconds> sleeps;
  std::chrono::steady_clock::time_point Now() override { return now; }
  void SleepFor(std::chrono::milliseconds d) override {
    sleeps.push_back(d);
    now += d;
  }
};

HttpResponse Full() {
  return {
      409,
      R"({"kind":"failed_lock_semaphore_full","value":"all 1 semaphore slots currently locked"})"};
}

TEST(Client, PostsProtocolBodyToJoinedUrls) {
  FakePoster http;
  http.script = {HttpResponse{200, "{}"}, HttpResponse{200, "{}"}};
  FleetLockClient c(http, "http://h:1/base", {"id1", "g"});
  ASSERT_OK(c.PreReboot());
  ASSERT_OK(c.SteadyState());
  ASSERT_EQ(http.calls.size(), 2u);
  EXPECT_EQ(http.calls[0].first, "http://h:1/base/v1/pre-reboot");
  EXPECT_EQ(http.calls[1].first, "http://h:1/base/v1/steady-state");
  EXPECT_EQ(http.calls[0].second, R"({"client_params":{"group":"g","id":"id1"}})");
  EXPECT_EQ(JoinUrl("http://h/fleet/", "/v1/x"), "http://h/fleet/v1/x");
}

// The Hull extension's bodies, as docs/fleetlock.md "Hull extension" states
// them (compared as JSON, key order aside).
TEST(Client, HullExtensionNamesTheReleaseAndReports) {
  using nlohmann::json;
  FakePoster http;
  http.script = {HttpResponse{200, "{}"}, HttpResponse{200, "{}"}, HttpResponse{200, "{}"},
                 HttpResponse{200, "{}"}};
  FleetLockClient c(http, "http://h/", {"n1", "workers"});
  c.set_hull({.version = "202612.05.0", .flavor = "immutable", .arch = "amd64"});
  ASSERT_OK(c.PreReboot());
  ASSERT_OK(c.Report(ReportResult::kHealthy));
  ASSERT_OK(c.Report(ReportResult::kRolledBack));
  ASSERT_OK(c.SteadyState());
  ASSERT_EQ(http.calls.size(), 4u);
  const json hull = {{"version", "202612.05.0"}, {"flavor", "immutable"}, {"arch", "amd64"}};
  const json params = {{"id", "n1"}, {"group", "workers"}, {"hull", hull}};
  EXPECT_EQ(http.calls[0].first, "http://h/v1/pre-reboot");
  EXPECT_EQ(json::parse(http.calls[0].second), json({{"client_params", params}}));
  EXPECT_EQ(http.calls[1].first, "http://h/v1/report");
  EXPECT_EQ(json::parse(http.calls[1].second),
            json({{"client_params", params}, {"result", "healthy"}}));
  EXPECT_EQ(json::parse(http.calls[2].second),
            json({{"client_params", params}, {"result", "rolled-back"}}));
  // steady-state stays the plain protocol.
  EXPECT_EQ(http.calls[3].first, "http://h/v1/steady-state");
  EXPECT_EQ(json::parse(http.calls[3].second),
            json({{"client_params", {{"id", "n1"}, {"group", "workers"}}}}));
}

TEST(Client, HaltedReleaseIsARefusalOfItsKind) {
  FakePoster http;
  http.script = {HttpResponse{
      409, R"({"kind":"hull_release_halted","value":"202612.05.0 failed on 3 nodes"})"}};
  FleetLockClient c(http, "http://h/", {"n1", "default"});
  c.set_hull({.version = "202612.05.0", .flavor = "immutable", .arch = "amd64"});
  Status st = c.PreReboot();
  ASSERT_ERROR(st, ErrorCode::kRefused);
  EXPECT_EQ(c.last_kind(), "hull_release_halted");
  EXPECT_TRUE(IsPermanentRefusal(c, st.error()));
  // Waiting does not help: RetryUntil stops at the first answer.
  http.script = {HttpResponse{409, R"({"kind":"hull_release_halted","value":"halted"})"},
                 HttpResponse{200, "{}"}};
  FakeClock clock;
  Backoff backoff(100ms, 1000ms, 1);
  unsigned attempts = 0;
  EXPECT_ERROR(RetryUntil(c, clock, backoff, &FleetLockClient::PreReboot, clock.now + 60s,
                          "pre-reboot", &attempts),
               ErrorCode::kRefused);
  EXPECT_EQ(attempts, 1u);
}

// The real transport (http/post.h, no libcurl) against a real HTTP server:
// the header, the body, and the status and body of the answer.
TEST(NetworkPoster, PostsOverLoopback) {
  httplib::Server server;
  std::string seen_header, seen_body;
  server.Post("/v1/pre-reboot", [&](const httplib::Request& req, httplib::Response& res) {
    seen_header = req.get_header_value("fleet-lock-protocol");
    seen_body = req.body;
    res.status = 409;
    res.set_content(R"({"kind":"failed_lock_semaphore_full","value":"full"})", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { server.listen_after_bind(); });
  NetworkPoster http(2s);
  FleetLockClient c(http, fmt::format("http://127.0.0.1:{}", port), {"n1", "default"});
  Status st = c.PreReboot();
  server.stop();
  t.join();
  ASSERT_ERROR(st, ErrorCode::kRefused);
  EXPECT_EQ(c.last_status(), 409);
  EXPECT_EQ(c.last_kind(), "failed_lock_semaphore_full");
  EXPECT_EQ(seen_header, "true");
  EXPECT_EQ(seen_body, R"({"client_params":{"group":"default","id":"n1"}})");
  // Nothing listens there any more: the transport's kUnavailable.
  EXPECT_ERROR(c.PreReboot(), ErrorCode::kUnavailable);
}

TEST(Client, RefusalCarriesKindAndStatus) {
  FakePoster http;
  http.script = {Full(), HttpResponse{502, "oops"}};
  FleetLockClient c(http, "http://h/", {"id1", "default"});
  Status st = c.PreReboot();
  ASSERT_ERROR(st, ErrorCode::kRefused);
  EXPECT_EQ(st.error().message(),
            "failed_lock_semaphore_full (HTTP 409): all 1 semaphore slots currently locked");
  EXPECT_EQ(c.last_kind(), "failed_lock_semaphore_full");
  EXPECT_FALSE(IsPermanentRefusal(c, st.error()));
  st = c.PreReboot();
  EXPECT_EQ(c.last_kind(), "generic_http_502");
}

TEST(StateMachine, InitializeRetriesSteadyStateUntilSuccess) {
  FakePoster http;
  http.script = {Error(ErrorCode::kUnavailable, "connection refused"), HttpResponse{503, ""},
                 HttpResponse{200, "{}"}};
  FleetLockClient c(http, "http://h/", {"n", "default"});
  FakeClock clock;
  RebootCoordinator m(c, clock, Backoff(100ms, 1000ms, 7));
  EXPECT_EQ(m.state(), RebootCoordinator::State::kInitialization);
  ASSERT_OK(m.Initialize(clock.now + 60s));
  EXPECT_EQ(m.state(), RebootCoordinator::State::kSteady);
  EXPECT_EQ(m.attempts(), 3u);
  ASSERT_EQ(clock.sleeps.size(), 2u);
  EXPECT_LE(clock.sleeps[0], 100ms);
  EXPECT_GE(clock.sleeps[1], 100ms);  // second delay from the doubled range
  for (const auto& call : http.calls) EXPECT_EQ(call.first, "http://h/v1/steady-state");
}

TEST(StateMachine, PreRebootOnlyFromSteadyAndRetriesWhileFull) {
  FakePoster http;
  http.script = {HttpResponse{200, "{}"}, Full(), Full(), HttpResponse{200, "{}"}};
  FleetLockClient c(http, "http://h/", {"n", "default"});
  FakeClock clock;
  RebootCoordinator m(c, clock, Backoff(100ms, 1000ms, 7));
  Status early = m.AcquireRebootSlot(clock.now + 60s);
  EXPECT_ERROR(early, ErrorCode::kInternal);
  EXPECT_EQ(early.error().message(), "pre-reboot requested in state initialization");
  ASSERT_OK(m.Initialize(clock.now + 60s));
  ASSERT_OK(m.AcquireRebootSlot(clock.now + 60s));
  EXPECT_EQ(m.state(), RebootCoordinator::State::kRebootGranted);
  EXPECT_EQ(http.calls.back().first, "http://h/v1/pre-reboot");
  EXPECT_EQ(http.calls.size(), 4u);
}

TEST(StateMachine, DeadlineEndsWaitWithTimeoutNamingLastRefusal) {
  FakePoster http;
  http.script = {HttpResponse{200, "{}"}};
  for (int i = 0; i < 100; ++i) http.script.push_back(Full());
  FleetLockClient c(http, "http://h/", {"n", "default"});
  FakeClock clock;
  RebootCoordinator m(c, clock, Backoff(100ms, 400ms, 7));
  ASSERT_OK(m.Initialize(clock.now + 1s));
  auto start = clock.now;
  Status st = m.AcquireRebootSlot(start + 2s);
  ASSERT_ERROR(st, ErrorCode::kTimeout);
  EXPECT_THAT(
      st.error().message(),
      ::testing::HasSubstr("not granted before the deadline; last: failed_lock_semaphore_full"));
  EXPECT_GE(clock.now - start, 2s);
  EXPECT_LT(clock.now - start, 2s + 1ms);  // the last sleep is clipped to the deadline
  EXPECT_EQ(m.state(), RebootCoordinator::State::kSteady);
}

TEST(StateMachine, PermanentRefusalStopsAtOnce) {
  FakePoster http;
  http.script = {
      HttpResponse{400, R"({"kind":"unknown_group","value":"group 'x' is not configured"})"}};
  FleetLockClient c(http, "http://h/", {"n", "x"});
  FakeClock clock;
  RebootCoordinator m(c, clock, Backoff(100ms, 400ms, 7));
  Status st = m.Initialize(clock.now + 60s);
  EXPECT_ERROR(st, ErrorCode::kRefused);
  EXPECT_EQ(st.error().ToString(),
            "steady-state: unknown_group (HTTP 400): group 'x' is not configured");
  EXPECT_TRUE(clock.sleeps.empty());
}

}  // namespace
}  // namespace hull::fleet

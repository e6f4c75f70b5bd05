// The agent's FleetLock side (agent/coordinate.h) against a FleetLock server
// on loopback that speaks the protocol as docs/fleetlock.md states it (one
// slot, the Hull extension), through the real transport (http/post.h).
#include "agent/coordinate.h"

#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/file.h"
#include "support/status_matchers.h"

namespace hull::agent {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// One slot; `full_answers` pre-reboots are refused as full first; a
// version in `halted` is refused with hull_release_halted; /v1/report
// answers `report_status`.
struct FakeServer {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::vector<std::pair<std::string, json>> calls;
  int full_answers = 0;
  std::string halted;
  int report_status = 200;

  FakeServer() {
    auto record = [this](const std::string& path, const httplib::Request& req) {
      std::lock_guard<std::mutex> lock(mu);
      calls.emplace_back(path, json::parse(req.body, nullptr, false));
      return calls.back().second;
    };
    server.Post("/v1/pre-reboot",
                [this, record](const httplib::Request& req, httplib::Response& res) {
                  json body = record("pre-reboot", req);
                  std::lock_guard<std::mutex> lock(mu);
                  if (body["client_params"]["hull"]["version"] == halted) {
                    res.status = 409;
                    res.set_content(R"({"kind":"hull_release_halted","value":"failed on 3 nodes"})",
                                    "application/json");
                  } else if (full_answers > 0) {
                    --full_answers;
                    res.status = 409;
                    res.set_content(R"({"kind":"failed_lock_semaphore_full","value":"full"})",
                                    "application/json");
                  }
                });
    server.Post("/v1/steady-state", [record](const httplib::Request& req, httplib::Response&) {
      record("steady-state", req);
    });
    server.Post("/v1/report", [this, record](const httplib::Request& req, httplib::Response& res) {
      record("report", req);
      res.status = report_status;
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~FakeServer() {
    while (!server.is_running()) std::this_thread::sleep_for(1ms);  // stop() must follow listen
    server.stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/"; }
};

struct Fixture {
  Result<TempDir> dir = TempDir::Create("hull-coordinate");
  SlotPaths paths;
  node::UpdateConfig config;
  Node node{.version = "202612.01.0", .flavor = "immutable", .arch = "amd64"};
  AgentState state;
  Events ev{""};

  explicit Fixture(const std::string& url) {
    paths.state = dir->path() + "/agent.json";
    paths.machine_id = dir->path() + "/machine-id";
    EXPECT_OK(WriteFileAtomic(paths.machine_id, std::string("3d1219c7c4c5404aaa1f6d2a48adfda4\n")));
    config.fleetlock = {.url = url, .group = "workers"};
  }
};

// The id systemd-id128 gives that machine id for Hull's app id
// (tests/fleet/client_test.cc).
constexpr const char* kNodeId = "f595bece04df4f3f94da37e4d0de8e84";

TEST(Coordinate, WaitsWhileFullThenRecordsTheSlot) {
  FakeServer server;
  server.full_answers = 2;
  Fixture f(server.url());
  ASSERT_OK(TakeSlot(f.config, f.node, f.state, "202612.08.0",
                     std::chrono::steady_clock::now() + 30s, f.ev, f.paths));
  ASSERT_EQ(server.calls.size(), 3u);
  const json expected = {
      {"client_params",
       {{"id", kNodeId},
        {"group", "workers"},
        {"hull", {{"version", "202612.08.0"}, {"flavor", "immutable"}, {"arch", "amd64"}}}}}};
  EXPECT_EQ(server.calls[2].second, expected);
  // Recorded in the state file before the reboot.
  ASSERT_OK_AND_ASSIGN(AgentState saved, LoadAgentState(f.paths.state));
  EXPECT_TRUE(saved.fleetlock.held);
  EXPECT_EQ(saved.fleetlock.version, "202612.08.0");
  EXPECT_EQ(saved.fleetlock.url, server.url());
  EXPECT_EQ(saved.fleetlock.group, "workers");
}

// Before an install the slot is waited for during half of the run's time
// left, so a late grant still leaves time to download (docs/fleetlock.md).
TEST(Coordinate, TheSlotWaitBeforeAnInstallEndsHalfwayToTheDeadline) {
  const Deadline now{std::chrono::hours(1000)};
  EXPECT_EQ(SlotWaitBeforeInstall(now, now + 3000s), now + 1500s);
  EXPECT_EQ(SlotWaitBeforeInstall(now, now + 3s), now + 1500ms);
  EXPECT_EQ(SlotWaitBeforeInstall(now, Deadline::max()), Deadline::max());
  EXPECT_EQ(SlotWaitBeforeInstall(now, now), now);
  EXPECT_EQ(SlotWaitBeforeInstall(now, now - 1s), now - 1s);
}

TEST(Coordinate, HaltedReleaseIsNotWaitedForAndIsRecorded) {
  FakeServer server;
  server.halted = "202612.08.0";
  Fixture f(server.url());
  Status st = TakeSlot(f.config, f.node, f.state, "202612.08.0",
                       std::chrono::steady_clock::now() + 30s, f.ev, f.paths);
  EXPECT_ERROR(st, ErrorCode::kRefused);
  EXPECT_EQ(server.calls.size(), 1u);
  ASSERT_OK_AND_ASSIGN(AgentState saved, LoadAgentState(f.paths.state));
  EXPECT_FALSE(saved.fleetlock.held);
  EXPECT_EQ(saved.fleetlock.halted, "202612.08.0");
}

TEST(Coordinate, ServerDownMeansWaitUntilTheDeadlineNeverGranted) {
  Fixture f("http://127.0.0.1:1/");  // nothing listens on port 1
  const auto start = std::chrono::steady_clock::now();
  Status st = TakeSlot(f.config, f.node, f.state, "202612.08.0", start + 2s, f.ev, f.paths);
  EXPECT_ERROR(st, ErrorCode::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(f.state.fleetlock.held);
}

TEST(Coordinate, FreeReportsThenReleases) {
  FakeServer server;
  Fixture f(server.url());
  f.state.fleetlock = {
      .held = true, .version = "202612.08.0", .url = server.url(), .group = "workers"};
  Action a{.kind = ActionKind::kReleaseSlot,
           .version = "202612.08.0",
           .report = SlotReport::kRolledBack};
  ASSERT_OK(FreeSlot(f.config, f.node, f.state, a, std::chrono::steady_clock::now() + 30s, f.ev,
                     f.paths));
  ASSERT_EQ(server.calls.size(), 2u);
  EXPECT_EQ(server.calls[0].first, "report");
  EXPECT_EQ(server.calls[0].second["result"], "rolled-back");
  EXPECT_EQ(server.calls[0].second["client_params"]["hull"]["version"], "202612.08.0");
  EXPECT_EQ(server.calls[1].first, "steady-state");
  ASSERT_OK_AND_ASSIGN(AgentState saved, LoadAgentState(f.paths.state));
  EXPECT_FALSE(saved.fleetlock.held);
}

// Zincati's servers (airlock) know no /v1/report: a 404 is passed over.
TEST(Coordinate, ServerWithoutReportsStillReleases) {
  FakeServer server;
  server.report_status = 404;
  Fixture f(server.url());
  f.state.fleetlock = {.held = true, .version = "202612.08.0"};
  Action a{
      .kind = ActionKind::kReleaseSlot, .version = "202612.08.0", .report = SlotReport::kHealthy};
  ASSERT_OK(FreeSlot(f.config, f.node, f.state, a, std::chrono::steady_clock::now() + 30s, f.ev,
                     f.paths));
  ASSERT_EQ(server.calls.size(), 2u);
  EXPECT_EQ(server.calls[1].first, "steady-state");
  EXPECT_FALSE(f.state.fleetlock.held);
}

// A report the server keeps failing (here a 500, as a full release list
// once answered) is dropped by its own deadline and the slot freed anyway:
// one stuck report must not keep every node's slot.
TEST(Coordinate, AReportThatKeepsFailingIsDroppedAndTheSlotFreed) {
  FakeServer server;
  server.report_status = 500;
  Fixture f(server.url());
  f.state.fleetlock = {
      .held = true, .version = "202612.08.0", .url = server.url(), .group = "workers"};
  Action a{
      .kind = ActionKind::kReleaseSlot, .version = "202612.08.0", .report = SlotReport::kHealthy};
  ASSERT_OK(
      FreeSlot(f.config, f.node, f.state, a, std::chrono::steady_clock::now() + 4s, f.ev, f.paths));
  ASSERT_GE(server.calls.size(), 2u);
  EXPECT_EQ(server.calls.front().first, "report");
  EXPECT_EQ(server.calls.back().first, "steady-state");
  ASSERT_OK_AND_ASSIGN(AgentState saved, LoadAgentState(f.paths.state));
  EXPECT_FALSE(saved.fleetlock.held);
}

// A slot the record holds is asked for again before the reboot it covers
// (the server may have pruned the holder): granted, the record is kept;
// refused until the deadline, no reboot (an error).
TEST(Coordinate, RefreshAsksAgainAndKeepsTheRecord) {
  FakeServer server;
  Fixture f("");
  f.state.fleetlock = {.held = true,
                       .version = "202612.08.0",
                       .url = server.url(),
                       .group = "workers",
                       .since = 1234};
  ASSERT_OK(RefreshSlot(f.config, f.node, f.state, "202612.01.0",
                        std::chrono::steady_clock::now() + 30s, f.ev, f.paths));
  ASSERT_EQ(server.calls.size(), 1u);
  EXPECT_EQ(server.calls[0].first, "pre-reboot");
  EXPECT_EQ(server.calls[0].second["client_params"]["group"], "workers");
  EXPECT_EQ(server.calls[0].second["client_params"]["hull"]["version"], "202612.01.0");
  EXPECT_TRUE(f.state.fleetlock.held);
  EXPECT_EQ(f.state.fleetlock.version, "202612.08.0");
  EXPECT_EQ(f.state.fleetlock.since, 1234);

  server.full_answers = 1000;  // the holder was pruned and the slots taken
  Status st = RefreshSlot(f.config, f.node, f.state, "202612.01.0",
                          std::chrono::steady_clock::now() + 2s, f.ev, f.paths);
  EXPECT_ERROR(st, ErrorCode::kTimeout);
}

// Asked again for the version it holds a slot for: the record keeps its since.
TEST(Coordinate, TakeAgainForTheSameVersionKeepsSince) {
  FakeServer server;
  Fixture f(server.url());
  f.state.fleetlock = {.held = true,
                       .version = "202612.08.0",
                       .url = server.url(),
                       .group = "workers",
                       .since = 1234};
  ASSERT_OK(TakeSlot(f.config, f.node, f.state, "202612.08.0",
                     std::chrono::steady_clock::now() + 30s, f.ev, f.paths));
  ASSERT_EQ(server.calls.size(), 1u);
  EXPECT_EQ(server.calls[0].first, "pre-reboot");
  EXPECT_EQ(f.state.fleetlock.since, 1234);
}

// The node was moved to another server and group since it took the slot:
// the slot is freed where it was taken, the record's url and group.
TEST(Coordinate, FreeGoesToTheServerAndGroupTheSlotWasTakenFrom) {
  FakeServer old_server, new_server;
  Fixture f(new_server.url());
  f.config.fleetlock.group = "gpu";
  f.state.fleetlock = {
      .held = true, .version = "202612.08.0", .url = old_server.url(), .group = "workers"};
  Action a{
      .kind = ActionKind::kReleaseSlot, .version = "202612.08.0", .report = SlotReport::kHealthy};
  ASSERT_OK(FreeSlot(f.config, f.node, f.state, a, std::chrono::steady_clock::now() + 30s, f.ev,
                     f.paths));
  EXPECT_TRUE(new_server.calls.empty());
  ASSERT_EQ(old_server.calls.size(), 2u);
  EXPECT_EQ(old_server.calls[0].first, "report");
  EXPECT_EQ(old_server.calls[1].first, "steady-state");
  const json expected = {{"client_params", {{"id", kNodeId}, {"group", "workers"}}}};
  EXPECT_EQ(old_server.calls[1].second, expected);
  EXPECT_FALSE(f.state.fleetlock.held);
}

// No server configured any more: the old one is still told before the
// record is dropped, so that the slot is not stranded there.
TEST(Coordinate, ForgetTellsTheOldServerFirst) {
  FakeServer server;
  Fixture f("");
  f.config.fleetlock = {};
  f.state.fleetlock = {
      .held = true, .version = "202612.08.0", .url = server.url(), .group = "workers"};
  Action a{.kind = ActionKind::kReleaseSlot, .version = "202612.08.0", .forget = true};
  ASSERT_OK(FreeSlot(f.config, f.node, f.state, a, std::chrono::steady_clock::now() + 30s, f.ev,
                     f.paths));
  ASSERT_EQ(server.calls.size(), 1u);
  EXPECT_EQ(server.calls[0].first, "steady-state");
  EXPECT_EQ(server.calls[0].second["client_params"]["group"], "workers");
  ASSERT_OK_AND_ASSIGN(AgentState saved, LoadAgentState(f.paths.state));
  EXPECT_FALSE(saved.fleetlock.held);
}

// Best effort: an old server that is gone delays the forgetting by a bounded
// wait (10 s), not the run's whole deadline, and the record goes anyway.
TEST(Coordinate, ForgetWithTheOldServerDownIsBounded) {
  Fixture f("");
  f.config.fleetlock = {};
  f.state.fleetlock = {
      .held = true, .version = "202612.08.0", .url = "http://127.0.0.1:1/", .group = "workers"};
  Action a{.kind = ActionKind::kReleaseSlot, .version = "202612.08.0", .forget = true};
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK(FreeSlot(f.config, f.node, f.state, a, start + 120s, f.ev, f.paths));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_FALSE(f.state.fleetlock.held);
}

}  // namespace
}  // namespace hull::agent

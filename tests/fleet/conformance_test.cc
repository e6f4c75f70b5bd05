// Oracle: protocol conformance of the FleetLock server against a real etcd.
// Each row is a raw HTTP request (libcurl, headers exactly as listed) and the
// exact status and error kind expected; etcd's state is then read back with
// etcdctl, independently of Hull's etcd client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "fleet/etcd.h"
#include "fleet/fixture.h"
#include "fleet/lock_service.h"
#include "fleet/node_id.h"
#include "fleet/server.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

using namespace std::chrono_literals;
using testing::Etcd;
using testing::RawRequest;

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("fleet-conformance");
    ASSERT_OK(dir);
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    auto etcd = Etcd::Start(dir_->path());
    ASSERT_OK(etcd);
    etcd_ = std::move(*etcd);
    auto client = EtcdClient::Create({etcd_->url()});
    ASSERT_OK(client);
    client_ = std::move(*client);
  }

  // Starts an in-process server with these groups.
  void Serve(std::map<std::string, uint64_t> groups, ServerOptions o = {}) {
    service_ = std::make_unique<LockService>(*client_, ServiceOptions{std::move(groups), 0s, 64});
    ASSERT_OK(service_->EnsureGroups());
    server_ = std::make_unique<FleetLockServer>(*service_, std::move(o));
    auto port = server_->Bind();
    ASSERT_OK(port);
    server_->Start();
    base_ = "http://127.0.0.1:" + std::to_string(*port);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Etcd> etcd_;
  std::unique_ptr<EtcdClient> client_;
  std::unique_ptr<LockService> service_;
  std::unique_ptr<FleetLockServer> server_;
  std::string base_;
};

const std::string kHeader = "fleet-lock-protocol: true";

std::string Body(const std::string& id, const std::string& group = "default",
                 const char* field = "id") {
  return nlohmann::json{{"client_params", {{field, id}, {"group", group}}}}.dump();
}

struct Row {
  const char* name;
  std::string method, path;
  std::vector<std::string> headers;
  std::string body;
  int status;
  std::string kind;  // "" = success body "{}"
};

TEST_F(Conformance, RequestTable) {
  Serve({{"default", 2}, {"workers", 1}});
  const std::vector<Row> rows = {
      {"lock, current id form", "POST", "/v1/pre-reboot", {kHeader}, Body("n1"), 200, ""},
      {"lock again is recursive", "POST", "/v1/pre-reboot", {kHeader}, Body("n1"), 200, ""},
      {"lock, older node_uuid form",
       "POST",
       "/v1/pre-reboot",
       {kHeader},
       Body("n2", "default", "node_uuid"),
       200,
       ""},
      {"third node finds it full",
       "POST",
       "/v1/pre-reboot",
       {kHeader},
       Body("n3"),
       409,
       "failed_lock_semaphore_full"},
      {"header name is case-insensitive",
       "POST",
       "/v1/pre-reboot",
       {"Fleet-Lock-Protocol: true"},
       Body("n1"),
       200,
       ""},
      {"missing header", "POST", "/v1/pre-reboot", {}, Body("n3"), 400, "missing_protocol_header"},
      {"header not 'true'",
       "POST",
       "/v1/steady-state",
       {"fleet-lock-protocol: false"},
       Body("n1"),
       400,
       "missing_protocol_header"},
      {"malformed JSON",
       "POST",
       "/v1/pre-reboot",
       {kHeader},
       "{\"client_params\":",
       400,
       "malformed_request"},
      {"no client_params", "POST", "/v1/pre-reboot", {kHeader}, "{}", 400, "malformed_request"},
      {"empty id", "POST", "/v1/pre-reboot", {kHeader}, Body(""), 400, "invalid_client_id"},
      {"bad group name",
       "POST",
       "/v1/pre-reboot",
       {kHeader},
       Body("n3", "a/b"),
       400,
       "invalid_group"},
      {"unknown group",
       "POST",
       "/v1/pre-reboot",
       {kHeader},
       Body("n3", "nope"),
       400,
       "unknown_group"},
      {"unknown group on unlock",
       "POST",
       "/v1/steady-state",
       {kHeader},
       Body("n3", "nope"),
       400,
       "unknown_group"},
      {"oversized body",
       "POST",
       "/v1/pre-reboot",
       {kHeader},
       std::string(kMaxRequestBody + 1000, ' '),
       413,
       "request_too_large"},
      {"GET on a POST endpoint", "GET", "/v1/pre-reboot", {kHeader}, "", 404, "not_found"},
      {"unknown path", "POST", "/v1/nothing", {kHeader}, Body("n1"), 404, "not_found"},
      {"unlock of a non-holder is a no-op",
       "POST",
       "/v1/steady-state",
       {kHeader},
       Body("n3"),
       200,
       ""},
      {"unlock of a holder", "POST", "/v1/steady-state", {kHeader}, Body("n1"), 200, ""},
      {"unlock again (idempotent)", "POST", "/v1/steady-state", {kHeader}, Body("n1"), 200, ""},
      {"the freed slot goes to n3", "POST", "/v1/pre-reboot", {kHeader}, Body("n3"), 200, ""},
      {"other group, own slots",
       "POST",
       "/v1/pre-reboot",
       {kHeader},
       Body("n1", "workers"),
       200,
       ""},
      {"other group full",
       "POST",
       "/v1/pre-reboot",
       {kHeader},
       Body("n2", "workers"),
       409,
       "failed_lock_semaphore_full"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto r = RawRequest(row.method, base_ + row.path, row.headers, row.body);
    ASSERT_OK(r);
    EXPECT_EQ(r->status, row.status) << r->body;
    if (row.kind.empty()) {
      EXPECT_EQ(r->body, "{}");
      continue;
    }
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    EXPECT_EQ(j.value("kind", ""), row.kind) << r->body;
    EXPECT_TRUE(j.contains("value") && j["value"].is_string()) << r->body;
  }
  // etcd holds airlock's value, read back by etcdctl.
  auto def = testing::EtcdctlGet(etcd_->url(), "com.coreos.airlock/groups/default/v1/semaphore");
  ASSERT_OK(def);
  EXPECT_EQ(*def, R"({"holders":["n2","n3"],"total_slots":2})");
  auto wk = testing::EtcdctlGet(etcd_->url(), "com.coreos.airlock/groups/workers/v1/semaphore");
  EXPECT_EQ(*wk, R"({"holders":["n1"],"total_slots":1})");
  // Versions: default created (1), +n1 (2), +n2 (3), -n1 (4), +n3 (5).
  auto status = RawRequest("GET", base_ + "/v1/status", {}, "");
  ASSERT_OK(status);
  auto sj = nlohmann::json::parse(status->body);
  nlohmann::json groups = sj["groups"];
  for (auto& g : groups) {
    // When each holder was granted: within this test's run.
    for (auto& [id, secs] : g["held_seconds"].items()) {
      EXPECT_GE(secs.get<int64_t>(), 0) << id;
      EXPECT_LE(secs.get<int64_t>(), 60) << id;
    }
    g.erase("held_since");
    g.erase("held_seconds");
  }
  EXPECT_EQ(groups.dump(),
            R"([{"group":"default","holders":["n2","n3"],"total_slots":2,"version":5},)"
            R"({"group":"workers","holders":["n1"],"total_slots":1,"version":2}])");
  EXPECT_EQ(sj["releases"], nlohmann::json::array());
  auto metrics = RawRequest("GET", base_ + "/metrics", {}, "");
  EXPECT_THAT(metrics->body,
              ::testing::HasSubstr("hull_fleetlock_requests_total{endpoint=\"/v1/"
                                   "pre-reboot\",result=\"failed_lock_semaphore_full\"} 2\n"));
  EXPECT_THAT(metrics->body, ::testing::HasSubstr("hull_fleetlock_holders{group=\"default\"} 2\n"));
}

TEST_F(Conformance, AdoptsSemaphoreWrittenByAirlockFormat) {
  // A value as airlock leaves it (Go nil slice), written with etcdctl.
  ASSERT_OK(hull::Run(Command{.argv = {"etcdctl", "--endpoints", etcd_->url(), "put",
                                       "com.coreos.airlock/groups/default/v1/semaphore",
                                       R"({"total_slots":2,"holders":null})"},
                              .env = {"ETCDCTL_API=3"}}));
  Serve({{"default", 2}});
  auto r = RawRequest("POST", base_ + "/v1/pre-reboot", {kHeader}, Body("x"));
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(*testing::EtcdctlGet(etcd_->url(), "com.coreos.airlock/groups/default/v1/semaphore"),
            R"({"holders":["x"],"total_slots":2})");
}

TEST_F(Conformance, ConfiguredSlotsReplaceStoredTotalButKeepHolders) {
  ASSERT_OK(hull::Run(Command{.argv = {"etcdctl", "--endpoints", etcd_->url(), "put",
                                       "com.coreos.airlock/groups/default/v1/semaphore",
                                       R"({"total_slots":1,"holders":["old"]})"},
                              .env = {"ETCDCTL_API=3"}}));
  Serve({{"default", 3}});
  EXPECT_EQ(*testing::EtcdctlGet(etcd_->url(), "com.coreos.airlock/groups/default/v1/semaphore"),
            R"({"holders":["old"],"total_slots":3})");
}

TEST_F(Conformance, CorruptStoredValueIsAnInternalErrorNotAGrant) {
  Serve({{"default", 1}});
  ASSERT_OK(
      hull::Run(Command{.argv = {"etcdctl", "--endpoints", etcd_->url(), "put",
                                 "com.coreos.airlock/groups/default/v1/semaphore", "not json"},
                        .env = {"ETCDCTL_API=3"}}));
  auto r = RawRequest("POST", base_ + "/v1/pre-reboot", {kHeader}, Body("x"));
  EXPECT_EQ(r->status, 500);
  EXPECT_THAT(r->body, ::testing::HasSubstr(R"("kind":"internal_error")"));
}

TEST_F(Conformance, RateLimitAnswers429) {
  ServerOptions o;
  o.max_requests_per_second = 0.001;
  o.burst = 3;
  Serve({{"default", 1}}, o);
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) {
    statuses.push_back(
        RawRequest("POST", base_ + "/v1/steady-state", {kHeader}, Body("a"))->status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 429, 429}));
  auto r = RawRequest("POST", base_ + "/v1/steady-state", {kHeader}, Body("a"));
  EXPECT_EQ(r->body, R"({"kind":"rate_limited","value":"request rate limit exceeded"})");
}

TEST(NodeIdOracle, MatchesSystemdId128OnThisHost) {
  if (FindProgram("systemd-id128").empty())
    FAIL() << "systemd-id128 missing: apt-get install systemd";
  auto mine = NodeIdFromMachineId("/etc/machine-id");
  ASSERT_OK(mine);
  auto out = hull::Run(Command{
      .argv = {"systemd-id128", "machine-id", "--app-specific", std::string(kHullFleetAppId)}});
  ASSERT_OK(out);
  EXPECT_EQ(*mine + "\n", out->out);
}

}  // namespace
}  // namespace hull::fleet

// Oracle: release halts across two `hull fleetlock serve` replicas on one
// real etcd. Nodes name the release they boot in pre-reboot and report how
// it went; reports race across both replicas. Checked independently: the
// record etcdctl reads back (every distinct failure counted, none lost), the
// replicas' --json-log (exactly one report halted the release), the exact
// refusals, `hull fleetlock status` and `resume`, the usage errors and the
// open-mode warning.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/subprocess.h"
#include "fleet/fixture.h"
#include "fleet/releases.h"
#include "support/status_matchers.h"

namespace hull::fleet {
namespace {

using namespace std::chrono_literals;
using testing::Etcd;
using ::testing::HasSubstr;
using testing::RawRequest;

const std::vector<std::string> kHdr{"fleet-lock-protocol: true"};
const std::string kHull = R"("hull":{"version":"202612.05.0","flavor":"base","arch":"amd64"})";

std::string PreReboot(const std::string& id, bool hull = true) {
  return R"({"client_params":{"id":")" + id + R"(","group":"default")" + (hull ? "," + kHull : "") +
         "}}";
}
std::string ReportBody(const std::string& id, const char* result, const std::string& hull = kHull) {
  return R"({"client_params":{"id":")" + id + R"(",)" + hull + R"(},"result":")" + result + "\"}";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Halts : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("fleet-halts");
    ASSERT_OK(dir);
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    auto etcd = Etcd::Start(dir_->path());
    ASSERT_OK(etcd);
    etcd_ = std::move(*etcd);
  }
  Result<ProcessOutput> Hull(std::vector<std::string> args) {
    args.insert(args.begin(), testing::HullBin());
    return hull::RunAllowFailure(Command{.argv = args, .timeout = 30s});
  }
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Etcd> etcd_;
};

TEST_F(Halts, TwoReplicasAgreeOnTheHaltAndResume) {
  const std::vector<std::string> args{"--group", "default=12", "--halt-after", "4", "--json-log"};
  auto a = testing::StartReplica(etcd_->url(), args, dir_->path() + "/a.log");
  ASSERT_OK(a);
  auto b = testing::StartReplica(etcd_->url(), args, dir_->path() + "/b.log");
  ASSERT_OK(b);
  const std::string urls[2] = {a->base_url, b->base_url};

  // Ten nodes take slots toward the release, alternating replicas.
  for (int i = 0; i < 10; ++i) {
    auto r =
        RawRequest("POST", urls[i % 2] + "v1/pre-reboot", kHdr, PreReboot("n" + std::to_string(i)));
    ASSERT_OK(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // A report for a version nobody named.
  auto unknown = RawRequest(
      "POST", urls[0] + "v1/report", kHdr,
      ReportBody("n0", "healthy", R"("hull":{"version":"1.0.0","flavor":"base","arch":"amd64"})"));
  ASSERT_OK(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(nlohmann::json::parse(unknown->body)["kind"], "hull_unknown_version");
  // A report without the protocol header.
  auto nohdr = RawRequest("POST", urls[0] + "v1/report", {}, ReportBody("n0", "healthy"));
  ASSERT_OK(nohdr);
  EXPECT_EQ(nohdr->status, 400);

  // Nodes 0-7 report rolled back and 8-9 healthy, all at once, on both
  // replicas (each report sent twice, as a retrying agent would).
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 2; ++k) {
        auto r = RawRequest("POST", urls[(i + k) % 2] + "v1/report", kHdr,
                            ReportBody("n" + std::to_string(i), i < 8 ? "rolled-back" : "healthy"));
        EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.error().message());
      }
    });
  }
  for (auto& t : threads) t.join();

  // etcd, read by etcdctl: every distinct report counted once, halted.
  auto value = testing::EtcdctlGet(etcd_->url(), "hull.fleetlock/releases/base/amd64/202612.05.0");
  ASSERT_OK(value);
  auto rec = nlohmann::json::parse(*value);
  EXPECT_EQ(rec["rolled_back"].size(), 8u) << *value;
  EXPECT_EQ(rec["healthy"], nlohmann::json::array({"n8", "n9"}));
  EXPECT_EQ(rec["tried"].size(), 10u);
  EXPECT_EQ(rec["halted"], true);
  // Exactly one report (on one replica or the other) halted it.
  a->child->Stop(SIGTERM);
  b->child->Stop(SIGTERM);
  int halts = 0;
  for (const char* log : {"/a.log", "/b.log"}) {
    std::istringstream in(ReadAll(dir_->path() + log));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("halted", false)) ++halts;
    }
  }
  EXPECT_EQ(halts, 1);

  a = testing::StartReplica(etcd_->url(), args, dir_->path() + "/a2.log");
  ASSERT_OK(a);
  b = testing::StartReplica(etcd_->url(), args, dir_->path() + "/b2.log");
  ASSERT_OK(b);
  // Both replicas refuse a new node toward the halted release; Zincati's
  // request (no release named) is still served.
  for (const auto& url : {a->base_url, b->base_url}) {
    auto r = RawRequest("POST", url + "v1/pre-reboot", kHdr, PreReboot("late"));
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 409);
    EXPECT_EQ(r->body,
              R"({"kind":"hull_release_halted","value":"release 202612.05.0 (base/amd64) is )"
              R"(halted after 8 nodes rolled back; 'hull fleetlock resume 202612.05.0' lifts )"
              R"(the halt"})");
  }
  auto metrics = RawRequest("GET", b->base_url + "metrics", {}, "");
  ASSERT_OK(metrics);
  EXPECT_THAT(metrics->body,
              HasSubstr("hull_fleetlock_release_halted{flavor=\"base\",arch=\"amd64\","
                        "version=\"202612.05.0\"} 1\n"));
  EXPECT_THAT(metrics->body,
              HasSubstr("hull_fleetlock_release_reports{flavor=\"base\",arch=\"amd64\","
                        "version=\"202612.05.0\",result=\"rolled-back\"} 8\n"));
  auto zincati = RawRequest("POST", a->base_url + "v1/pre-reboot", kHdr, PreReboot("z", false));
  ASSERT_OK(zincati);
  EXPECT_EQ(zincati->status, 200);

  // The operator's view, then the resume.
  ASSERT_OK_AND_ASSIGN(auto st, Hull({"fleetlock", "status", "--etcd", etcd_->url()}));
  EXPECT_EQ(st.exit_code, 0) << st.err;
  EXPECT_THAT(st.out, HasSubstr("release 202612.05.0 base/amd64: 10 tried, 2 healthy, 8 rolled "
                                "back HALTED\n  rolled back: n0\n"));
  ASSERT_OK_AND_ASSIGN(auto resume,
                       Hull({"fleetlock", "resume", "202612.05.0", "--etcd", etcd_->url()}));
  EXPECT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(resume.out, "resumed 202612.05.0 base/amd64\n");
  ASSERT_OK_AND_ASSIGN(auto again,
                       Hull({"fleetlock", "resume", "202612.05.0", "--etcd", etcd_->url()}));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("no halted release 202612.05.0 in etcd"));
  auto late = RawRequest("POST", b->base_url + "v1/pre-reboot", kHdr, PreReboot("late"));
  ASSERT_OK(late);
  EXPECT_EQ(late->status, 200) << late->body;
  ASSERT_OK_AND_ASSIGN(auto js, Hull({"fleetlock", "status", "--json", "--etcd", etcd_->url()}));
  auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["releases"][0]["halted"], false);
  EXPECT_EQ(j["releases"][0]["tried"].size(), 11u);
}

// Bounded records on a real etcd: a replica collects at start the records
// RecordLimits says go (written here by etcdctl: old and recent, halted and
// not), and in open mode made-up releases create at most --records-total.
TEST_F(Halts, ReleaseRecordsStayBounded) {
  auto etcdctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"etcdctl", "--endpoints", etcd_->url()});
    auto r = hull::Run(Command{.argv = args, .env = {"ETCDCTL_API=3"}, .timeout = 10s});
    EXPECT_OK(r);
    return r.ok() ? r->out : std::string();
  };
  const int64_t now = std::time(nullptr);
  auto put = [&](const std::string& flavor, const std::string& version, int64_t updated_at,
                 bool halted) {
    etcdctl({"put", "hull.fleetlock/releases/" + flavor + "/amd64/" + version,
             fmt::format(R"({{"version":"{}","flavor":"{}","arch":"amd64","tried":["n1"],)"
                         R"("healthy":[],"rolled_back":["n1"],"halted":{},"halted_at":0,)"
                         R"("resumed_failures":0,"resumed_tried":0,"updated_at":{}}})",
                         version, flavor, halted, updated_at)});
  };
  put("base", "202612.01.0", now - 7200, false);  // old: goes
  put("base", "202612.02.0", now - 7200, true);   // halted, superseded by .03.0: goes
  put("base", "202612.03.0", now - 10, false);    // recent: stays
  put("other", "202612.02.0", now - 7200, true);  // halted, nothing above it: stays
  const std::string log = dir_->path() + "/gc.log";
  auto a = testing::StartReplica(
      etcd_->url(), {"--group", "default=20", "--record-retention", "3600", "--records-total", "5"},
      log);
  ASSERT_OK(a);
  auto keys = [&] {
    return etcdctl({"get", "--prefix", "--keys-only", "hull.fleetlock/releases/"});
  };
  const std::string kept =
      "hull.fleetlock/releases/base/amd64/202612.03.0\n\n"
      "hull.fleetlock/releases/other/amd64/202612.02.0\n\n";
  // The collector deletes a record, then logs it: wait for both.
  auto collected = [&] {
    std::string text = ReadAll(log);
    return keys() == kept &&
           text.find("removed the release record of 202612.01.0 base/amd64") != std::string::npos &&
           text.find("removed the release record of 202612.02.0 base/amd64") != std::string::npos;
  };
  for (int i = 0; i < 300 && !collected(); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(keys(), kept);
  EXPECT_THAT(ReadAll(log), HasSubstr("removed the release record of 202612.01.0 base/amd64"));
  EXPECT_THAT(ReadAll(log), HasSubstr("removed the release record of 202612.02.0 base/amd64"));

  // Open mode: ten made-up releases are granted; three more records (5 in all).
  for (int i = 0; i < 10; ++i) {
    const std::string id = "forged" + std::to_string(i);
    auto r = RawRequest(
        "POST", a->base_url + "v1/pre-reboot", kHdr,
        R"({"client_params":{"id":")" + id +
            fmt::format(R"(","hull":{{"version":"203001.01.{}","flavor":"x","arch":"amd64"}}}}}})",
                        i));
    ASSERT_OK(r);
    EXPECT_EQ(r->status, 200) << r->body;
    auto s = RawRequest("POST", a->base_url + "v1/steady-state", kHdr,
                        R"({"client_params":{"id":")" + id + R"("}})");
    ASSERT_OK(s);
  }
  const std::string all = keys();
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 10) << all;  // 5 keys, a blank line each
  EXPECT_THAT(all, HasSubstr("x/amd64/203001.01.0\n"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("x/amd64/203001.01.3\n")));
}

TEST_F(Halts, UsageErrorsAndTheOpenModeWarning) {
  for (auto flag : {std::pair{"--halt-after", "0"}, std::pair{"--halt-after-fraction", "0"},
                    std::pair{"--halt-after-fraction", "1.5"}}) {
    ASSERT_OK_AND_ASSIGN(
        auto r, Hull({"fleetlock", "serve", "--etcd", etcd_->url(), flag.first, flag.second}));
    EXPECT_EQ(r.exit_code, 2) << flag.first << " " << flag.second;
    EXPECT_THAT(r.err, HasSubstr(flag.first)) << r.err;
  }
  ASSERT_OK_AND_ASSIGN(auto r, Hull({"fleetlock", "serve", "--etcd", etcd_->url(), "--client-ca",
                                     dir_->path() + "/none.pem"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--client-ca needs --tls-cert and --tls-key"));

  // Beyond loopback without client authentication: a loud warning.
  int port = testing::FreePort();
  std::string log = dir_->path() + "/open.log";
  auto child = testing::Child::Spawn({testing::HullBin(), "fleetlock", "serve", "--listen",
                                      "0.0.0.0:" + std::to_string(port), "--etcd", etcd_->url()},
                                     log);
  ASSERT_OK(child);
  for (int i = 0; i < 100 && ReadAll(log).find("listening on") == std::string::npos; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_THAT(ReadAll(log), HasSubstr("hull: WARNING: listening on 0.0.0.0 beyond loopback "
                                      "WITHOUT client authentication"));
  (*child)->Stop(SIGTERM);
  // On loopback: no warning.
  std::string quiet = dir_->path() + "/quiet.log";
  auto q = testing::StartReplica(etcd_->url(), {}, quiet);
  ASSERT_OK(q);
  EXPECT_THAT(ReadAll(quiet), ::testing::Not(HasSubstr("WARNING")));
}

}  // namespace
}  // namespace hull::fleet

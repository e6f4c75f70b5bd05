// The simulated fleet (docs/fleetlock.md "The simulated fleet"): N real
// hull-agent processes on their own disks, releases published with
// `hull release add` and served by nginx, two `hull fleetlock serve`
// replicas on one etcd allowing 5 reboots at once. Oracles: etcd's own
// history of the semaphore key replayed by etcdctl (never more than 5
// holders), nginx's access log (bytes per node), the disks' ESPs read back
// (what each node boots), python3's hashlib (each node's rollout bucket).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "base/file.h"
#include "base/subprocess.h"
#include "fleet/fixture.h"
#include "fleet/node_id.h"
#include "fleet/semaphore.h"
#include "sim/fleet.h"
#include "slot/fixture.h"
#include "support/status_matchers.h"
#include "tuf/repository.h"

namespace hull::sim {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kV0 = "202612.01.0";
constexpr const char* kV1 = "202612.08.0";
constexpr const char* kV2 = "202612.15.0";  // fails its gate
constexpr const char* kV3 = "202612.15.1";  // the fix
constexpr const char* kV4 = "202612.22.0";  // staged: 10% -> 50% -> 100%
constexpr uint64_t kSlots = 5;
constexpr int kHaltAfter = 3;

// HULL_SIM_NODES, 200 when unset; 0 (the suite refuses to start) when it
// is not a positive number.
int Nodes() {
  const char* n = std::getenv("HULL_SIM_NODES");
  if (!n) return 200;
  char* end = nullptr;
  const long v = std::strtol(n, &end, 10);
  return end != n && *end == '\0' && v > 0 && v <= 100000 ? int(v) : 0;
}

// The interval between a node's checks: about N/10 update runs a second
// across the fleet, whatever N.
std::chrono::milliseconds PollMin() { return std::chrono::milliseconds(2000); }
std::chrono::milliseconds PollMax() { return std::chrono::milliseconds(2000 + 100 * Nodes()); }

// The whole program's time, from its start: 870 s, below the ctest TIMEOUT
// of 900 s (tests/sim/CMakeLists.txt), up to 435 nodes; 2 s a node for
// larger fleets (bench/rollout-sim.sh, which runs outside ctest).
const Clock::time_point suite_start = Clock::now();
std::chrono::seconds Budget() { return std::chrono::seconds(std::max(870, 2 * Nodes())); }

// What each RunUntil may take: what is left of the suite's budget.
std::chrono::seconds Limit() {
  const auto left =
      std::chrono::duration_cast<std::chrono::seconds>(suite_start + Budget() - Clock::now());
  return std::max(left, std::chrono::seconds(1));
}

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// `hull release add REPO DIR --keys KEYS --deltas 2 extra...`.
Status Publish(const std::string& repo, const std::string& keys, const std::string& release_dir,
               const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {fleet::testing::HullBin(),
                                   "release",
                                   "add",
                                   repo,
                                   release_dir,
                                   "--keys",
                                   keys,
                                   "--deltas",
                                   "2"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  HULL_TRY(hull::Run(Command{.argv = argv}));
  return Ok();
}

// nginx serves the repository at /n/<node>/ for every node, so its access
// log (dir/access.log: URI, status, bytes) tells the bytes each node
// fetched. While the file dir/unavailable exists it answers every request
// 503 (nginx tests for it on each request); while dir/targets-unavailable
// exists, every request for a target file (the metadata stays served).
Result<std::unique_ptr<fleet::testing::Child>> StartNginx(const std::string& d,
                                                          const std::string& repo, int* port) {
  fs::create_directories(d);
  *port = fleet::testing::FreePort();
  std::string conf = fmt::format(
      "user root;\nworker_processes 1;\npid {0}/nginx.pid;\nerror_log {0}/error.log;\n"
      "events {{ worker_connections 1024; }}\n"
      "http {{ log_format sim '$request_uri $status $body_bytes_sent';\n"
      "  access_log {0}/access.log sim;\n"
      "  client_body_temp_path {0}; proxy_temp_path {0};\n"
      "  fastcgi_temp_path {0}; uwsgi_temp_path {0}; scgi_temp_path {0};\n"
      "  types {{ application/json json; }} default_type application/octet-stream;\n"
      "  server {{ listen 127.0.0.1:{1}; root {2};\n"
      "    if (-f {0}/unavailable) {{ return 503; }}\n"
      "    location /n/ {{ rewrite ^/n/[0-9]+/(.*)$ /$1 break; }}\n"
      "    location ~ ^/n/[0-9]+/targets/ {{ if (-f {0}/targets-unavailable) {{ return 503; }}\n"
      "      rewrite ^/n/[0-9]+/(.*)$ /$1 break; }} }} }}\n",
      d, *port, repo);
  HULL_TRY(WriteFileAtomic(d + "/nginx.conf", conf));
  // In the foreground, a child of this test: it dies with it.
  HULL_ASSIGN_OR_RETURN(
      auto nginx,
      fleet::testing::Child::Spawn({"nginx", "-p", d, "-c", d + "/nginx.conf", "-g", "daemon off;"},
                                   d + "/stdout.log"));
  for (int i = 0; i < 100; ++i) {
    auto r = fleet::testing::RawRequest(
        "GET", fmt::format("http://127.0.0.1:{}/n/0/1.root.json", *port), {}, "");
    if (r.ok() && r->status == 200) return nginx;
    std::this_thread::sleep_for(50ms);
  }
  return Errorf(ErrorCode::kTimeout, "nginx did not answer on port {}; see {}/error.log", *port, d);
}

// Per node (of n), the requests nginx answered with `status` (0: any) and
// the bytes it sent them, from byte offset `from` of its access log.
struct Served {
  std::vector<uint64_t> bytes, requests;
};
Served ServedPerNode(const std::string& access_log, int n, uint64_t from, int status_of = 0) {
  Served out{std::vector<uint64_t>(size_t(n), 0), std::vector<uint64_t>(size_t(n), 0)};
  std::ifstream in(access_log);
  in.seekg(std::streamoff(from));
  std::string uri;
  int status = 0;
  uint64_t bytes = 0;
  while (in >> uri >> status >> bytes) {
    int node = -1;
    if (std::sscanf(uri.c_str(), "/n/%d/", &node) == 1 && node >= 0 && node < n &&
        (status_of == 0 || status == status_of)) {
      out.bytes[size_t(node)] += bytes;
      ++out.requests[size_t(node)];
    }
  }
  return out;
}

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  auto s = fs::file_size(path, ec);
  return ec ? 0 : s;
}

// The most holders the semaphore key ever had, from etcd's history.
size_t MaxHolders(const std::string& etcd_urls, const std::string& work_dir) {
  auto history = fleet::testing::HistoryOfKey(etcd_urls, fleet::SemaphoreKey("default"), work_dir);
  EXPECT_OK(history);
  size_t max_seen = 0;
  if (!history.ok()) return 0;
  for (const auto& v : *history) {
    auto sem = fleet::ParseSemaphore(v);
    EXPECT_OK(sem) << v;
    if (sem.ok()) max_seen = std::max(max_seen, sem->holders.size());
  }
  std::printf("etcd history: %zu values of the semaphore, at most %zu holders\n", history->size(),
              max_seen);
  return max_seen;
}

// The fleet's agents ($HULL_AGENT, else hull-agent on PATH), checking the
// repository nginx serves on `port` and asking `replicas` for slots.
FleetOptions AgentOptions(int port, const std::vector<fleet::testing::Replica>& replicas) {
  FleetOptions o;
  const char* agent = std::getenv("HULL_AGENT");
  o.agent = agent ? agent : "hull-agent";
  o.repository = fmt::format("http://127.0.0.1:{}/", port);
  for (const auto& r : replicas) o.fleetlock_urls.push_back(r.base_url);
  return o;
}

bool AllOn(const std::vector<NodeStats>& s, const std::string& v) {
  for (const auto& n : s)
    if (n.booted != v || n.slot_held) return false;
  return true;
}

class RolloutSim : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_GT(Nodes(), 0) << "HULL_SIM_NODES: not a positive number of nodes";
    const auto t0 = Clock::now();
    auto in = slot::testing::Inputs::Create();
    ASSERT_OK(in);
    inputs_ = std::move(*in).release();
    const std::string dir = inputs_->dir();
    for (const char* v : {kV0, kV1, kV2, kV3, kV4}) {
      // Small releases of one content seed: consecutive ones differ in a
      // file, as real ones do, so deltas are small.
      auto r = inputs_->MakeRelease(v, 256, /*real_kernel=*/false, "sim content");
      ASSERT_OK(r);
      releases_[v] = *r;
    }
    auto disk = inputs_->MakeDisk(releases_[kV0], "base", 1 << 20);
    ASSERT_OK(disk);
    repo_ = dir + "/repo";
    keys_ = dir + "/keys";
    auto keys = tuf::RoleKeySet::Load(keys_, true);
    ASSERT_OK(keys);
    ASSERT_OK(tuf::Repository::Init(repo_, *keys));
    Publish(kV0, {});
    fs::create_directories(dir + "/trust/verity");
    fs::copy_file(inputs_->cert_path(), dir + "/trust/verity/verity.crt");
    StartNginx();
    auto etcd = fleet::testing::Etcd::Start(dir);
    ASSERT_OK(etcd);
    etcd_ = std::move(*etcd).release();
    const std::vector<std::string> args{"--group",      fmt::format("default={}", kSlots),
                                        "--halt-after", std::to_string(kHaltAfter),
                                        "--max-rps",    "100000"};
    for (const char* name : {"a", "b"}) {
      auto r = fleet::testing::StartReplica(etcd_->url(), args, dir + "/replica-" + name + ".log");
      ASSERT_OK(r);
      replicas_.push_back(std::move(*r));
    }
    FleetOptions o = AgentOptions(port_, replicas_);
    o.poll_min = PollMin();
    o.poll_max = PollMax();
    auto f =
        Fleet::Create(dir + "/nodes", Nodes(), *disk, repo_ + "/1.root.json", dir + "/trust", o);
    ASSERT_OK(f);
    fleet_ = std::move(*f).release();
    std::printf("fixture: %d nodes, 5 releases, nginx, etcd, 2 replicas in %.1f s\n", Nodes(),
                Seconds(t0));
    // Every node boots kV0 and settles (nothing newer yet).
    ASSERT_TRUE(fleet_->RunUntil(
        [](const std::vector<NodeStats>& s) {
          for (const auto& n : s)
            if (n.booted != kV0 || n.runs == 0) return false;
          return true;
        },
        Limit()));
    std::printf("first boot of the fleet: %.1f s\n", Seconds(t0));
  }

  static void TearDownTestSuite() {
    delete fleet_;
    replicas_.clear();
    delete etcd_;
    if (nginx_) nginx_->Stop(SIGTERM);
    delete nginx_;
    delete inputs_;
  }

  static void Publish(const std::string& version, const std::vector<std::string>& extra) {
    ASSERT_OK(sim::Publish(repo_, keys_, releases_[version].dir, extra));
  }

  static void StartNginx() {
    auto nginx = sim::StartNginx(inputs_->dir() + "/nginx", repo_, &port_);
    ASSERT_OK(nginx);
    nginx_ = std::move(*nginx).release();
  }
  static std::string AccessLog() { return inputs_->dir() + "/nginx/access.log"; }
  static size_t MaxHolders() { return sim::MaxHolders(etcd_->url(), inputs_->dir()); }

  // `hull release rollout` of a published release.
  static void Rollout(const std::string& version, int percent) {
    auto out = hull::Run(Command{.argv = {fleet::testing::HullBin(), "release", "rollout", repo_,
                                          version, std::to_string(percent), "--keys", keys_}});
    ASSERT_OK(out);
  }

  // Each node's rollout bucket for `version`, computed by python3's hashlib
  // from the rule as docs/update.md states it and the machine id the fleet
  // gives node i (tests/sim/fleet.cc): not by the node's own code.
  static std::vector<int> Buckets(const std::string& version) {
    const std::string script =
        "import hashlib,sys\n"
        "v=sys.argv[1]\n"
        "for i in range(int(sys.argv[2])):\n"
        "  m='%032x' % (0xa11ce000+i)\n"
        "  d=hashlib.sha256(b'hull-rollout\\0'+v.encode()+b'\\0'+m.encode()).digest()\n"
        "  print(int.from_bytes(d[:8],'big')%100)\n";
    auto out =
        hull::Run(Command{.argv = {"python3", "-c", script, version, std::to_string(Nodes())}});
    EXPECT_OK(out);
    std::vector<int> b;
    std::istringstream in(out.ok() ? out->out : "");
    for (int x; in >> x;) b.push_back(x);
    return b;
  }

  static slot::testing::Inputs* inputs_;
  static std::map<std::string, slot::testing::Release> releases_;
  static std::string repo_, keys_;
  static int port_;
  static fleet::testing::Child* nginx_;
  static fleet::testing::Etcd* etcd_;
  static std::vector<fleet::testing::Replica> replicas_;
  static Fleet* fleet_;
};
slot::testing::Inputs* RolloutSim::inputs_ = nullptr;
std::map<std::string, slot::testing::Release> RolloutSim::releases_;
std::string RolloutSim::repo_, RolloutSim::keys_;
int RolloutSim::port_ = 0;
fleet::testing::Child* RolloutSim::nginx_ = nullptr;
fleet::testing::Etcd* RolloutSim::etcd_ = nullptr;
std::vector<fleet::testing::Replica> RolloutSim::replicas_;
Fleet* RolloutSim::fleet_ = nullptr;

// Scenario 1: a release reaches every node, never more than 5 rebooting.
TEST_F(RolloutSim, A_EveryNodeReachesTheNewReleaseFiveAtATime) {
  const uint64_t log_from = FileSize(AccessLog());
  Publish(kV1, {});
  // Every node checks within two seconds of the publication, so more nodes
  // want a slot than there are and the bound is tested on any machine (with
  // checks spread over the fixture's 2 + N/10 s, a fast machine reboots
  // fewer than five nodes at a time).
  fleet_->SetPoll(std::chrono::milliseconds(200), std::chrono::milliseconds(2000));
  struct Restore {
    ~Restore() { fleet_->SetPoll(PollMin(), PollMax()); }
  } restore;
  const auto t0 = Clock::now();
  const bool converged =
      fleet_->RunUntil([](const std::vector<NodeStats>& s) { return AllOn(s, kV1); }, Limit());
  const double seconds = Seconds(t0);
  EXPECT_TRUE(converged) << "not every node reached " << kV1;
  auto bytes = ServedPerNode(AccessLog(), Nodes(), log_from).bytes;
  uint64_t total = 0, most = 0;
  for (uint64_t b : bytes) {
    total += b;
    most = std::max(most, b);
  }
  std::printf(
      "scenario 1: %d nodes reached %s in %.1f s (%.2f nodes/s); nginx bytes per node: mean "
      "%llu, max %llu; the agent's peak RssAnon %ld KiB\n",
      Nodes(), kV1, seconds, Nodes() / seconds, (unsigned long long)(total / bytes.size()),
      (unsigned long long)most, fleet_->peak_rss_anon_kib());
  const size_t max_holders = MaxHolders();
  EXPECT_LE(max_holders, kSlots);
  EXPECT_EQ(max_holders, kSlots) << "the rollout never filled the slots: it proves little";
  // The delta, not the whole release: far below the usr image.
  EXPECT_LT(most, fs::file_size(releases_[kV1].dir + "/usr.erofs"));
}

// Scenario 2: a release that fails its gate halts after kHaltAfter failures;
// at most kHaltAfter + kSlots nodes ever boot it, all of them back on the
// previous release; a fixed release finishes the rollout.
TEST_F(RolloutSim, B_AFailingReleaseHaltsItselfAndAFixFinishes) {
  // It starts where scenario A ends: every node on kV1.
  ASSERT_TRUE(AllOn(fleet_->Stats(), kV1))
      << "scenario B needs every node on " << kV1 << " (scenario A's end); run A first";
  fleet_->SetVerdict([](int, const std::string& v) {
    return v == kV2 ? std::string("the scenario fails this release's gate") : std::string();
  });
  Publish(kV2, {});
  const auto t0 = Clock::now();
  // Once the release is halted: the fleet stands still while headless
  // Chromium reads the status page, which shows the halt and the holders as
  // /v1/status says them. Whether nodes still hold slots at that moment
  // depends on timing (the trial nodes' rollbacks may all be done); when
  // none does, an observer takes a slot with a plain FleetLock pre-reboot
  // for the screenshot and frees it after, so the page always shows one.
  bool shot = false;
  std::string page_text;
  std::set<std::string> holders;
  auto status_now = [&] {
    auto st = fleet::testing::RawRequest("GET", replicas_[0].base_url + "v1/status", {}, "");
    return st.ok() ? nlohmann::json::parse(st->body, nullptr, false) : nlohmann::json();
  };
  auto holders_of = [](const nlohmann::json& j) {
    std::set<std::string> now;
    if (j.is_object())
      for (const auto& g : j["groups"])
        for (const auto& h : g["holders"]) now.insert(h.get<std::string>());
    return now;
  };
  auto observer = [&](const std::string& op) {
    auto r = fleet::testing::RawRequest(
        "POST", replicas_[0].base_url + "v1/" + op, {"fleet-lock-protocol: true"},
        R"({"client_params":{"id":"sim-observer","group":"default"}})");
    EXPECT_TRUE(r.ok() && r->status == 200) << op;
  };
  auto screenshot = [&] {
    if (status_now().dump().find("\"halted\":true") == std::string::npos) return;
    fleet_->Pause();
    holders = holders_of(status_now());
    const bool observing = holders.empty();
    if (observing) {
      observer("pre-reboot");
      holders = holders_of(status_now());
    }
    if (!holders.empty()) {
      shot = true;
      const std::string home = inputs_->dir() + "/chromium";
      fs::create_directories(home);
      auto dom = fleet::testing::Chromium(home, {"--dump-dom", replicas_[0].base_url});
      EXPECT_OK(dom);
      if (dom.ok()) page_text = fleet::testing::TextOf(dom->out);
      const std::string png = fs::current_path().string() + "/rollout_sim_status_page.png";
      EXPECT_OK(fleet::testing::Chromium(home, {"--screenshot=" + png, replicas_[0].base_url}));
    }
    if (observing) observer("steady-state");
    fleet_->Resume();
  };
  // Until the halt has stopped it: the release failed on kHaltAfter nodes
  // and every node is back on kV1, its slot freed.
  auto settled = [&](const std::vector<NodeStats>& s) {
    if (!shot) screenshot();
    int tried = 0;
    for (const auto& n : s) tried += n.ever.count(kV2) ? 1 : 0;
    return tried >= kHaltAfter && AllOn(s, kV1);
  };
  ASSERT_TRUE(fleet_->RunUntil(settled, Limit()));
  // Some more polls of every node: the halt keeps the release off them.
  fleet_->RunUntil([](const std::vector<NodeStats>&) { return false; }, 15s);
  auto stats = fleet_->Stats();
  int tried = 0;
  for (const auto& n : stats) {
    if (!n.ever.count(kV2)) continue;
    ++tried;
    EXPECT_EQ(n.booted, kV1);
  }
  std::printf(
      "scenario 2: %d nodes booted the failing %s before the halt (K=%d, slots=%llu), %.1f s\n",
      tried, kV2, kHaltAfter, (unsigned long long)kSlots, Seconds(t0));
  EXPECT_GE(tried, kHaltAfter);
  EXPECT_LE(tried, kHaltAfter + int(kSlots));
  EXPECT_TRUE(AllOn(stats, kV1));
  auto status = fleet::testing::RawRequest("GET", replicas_[0].base_url + "v1/status", {}, "");
  ASSERT_OK(status);
  EXPECT_NE(status->body.find(kV2), std::string::npos) << status->body;
  EXPECT_NE(status->body.find("\"halted\":true"), std::string::npos) << status->body;
  // The page seen during the halt: the halted release and its holders.
  ASSERT_TRUE(shot) << "never saw the release halted";
  EXPECT_NE(page_text.find(std::string("Halted releases ") + kV2), std::string::npos) << page_text;
  const std::string held =
      fmt::format("group default: {} of {} slots held", holders.size(), kSlots);
  EXPECT_NE(page_text.find(held), std::string::npos) << held << ": " << page_text;
  for (const auto& h : holders) EXPECT_NE(page_text.find(h), std::string::npos) << h;
  EXPECT_NE(page_text.find(std::string("release ") + kV2 + " (immutable/amd64) HALTED"),
            std::string::npos)
      << page_text;
  const size_t holders_on_page = holders.size();
  std::printf(
      "scenario 2: status page during the halt: %zu holders, screenshot "
      "rollout_sim_status_page.png\n",
      holders_on_page);

  fleet_->SetVerdict({});
  Publish(kV3, {});
  const auto t1 = Clock::now();
  EXPECT_TRUE(
      fleet_->RunUntil([](const std::vector<NodeStats>& s) { return AllOn(s, kV3); }, Limit()));
  std::printf("scenario 2: the fix %s reached every node in %.1f s\n", kV3, Seconds(t1));
  EXPECT_LE(MaxHolders(), kSlots);
}

// Scenario 3: a staged rollout, raised with `hull release rollout` from 10%
// to 50% to 100%. At each stage, until every node has checked at least once
// at that percentage, no node outside the stage's buckets (bucket < P,
// computed by python3) ever boots the release, and then exactly the nodes
// inside run it; at 100% every node does.
TEST_F(RolloutSim, C_AStagedRolloutReachesItsBucketsOnly) {
  // It starts where scenario B ends: every node on kV3.
  ASSERT_TRUE(AllOn(fleet_->Stats(), kV3))
      << "scenario C needs every node on " << kV3 << " (scenario B's end); run A and B first";
  const std::vector<int> bucket = Buckets(kV4);
  ASSERT_EQ(bucket.size(), size_t(Nodes()));
  const auto t0 = Clock::now();
  Publish(kV4, {"--rollout", "10"});
  for (int percent : {10, 50, 100}) {
    if (percent > 10) Rollout(kV4, percent);
    const auto ts = Clock::now();
    std::vector<int> runs_before;
    for (const auto& n : fleet_->Stats()) runs_before.push_back(n.runs);
    int expected = 0;
    for (int b : bucket) expected += b < percent ? 1 : 0;
    int outside = 0;  // nodes outside the buckets that ever booted kV4
    auto staged = [&](const std::vector<NodeStats>& s) {
      bool done = true;
      for (size_t i = 0; i < s.size(); ++i) {
        const bool in = bucket[i] < percent;
        if (!in && s[i].ever.count(kV4)) {
          ++outside;
          return true;  // a bound broken: stop and report
        }
        done =
            done && s[i].runs > runs_before[i] && (!in || (s[i].booted == kV4 && !s[i].slot_held));
      }
      return done;
    };
    ASSERT_TRUE(fleet_->RunUntil(staged, Limit())) << "stage " << percent << "% did not settle";
    EXPECT_EQ(outside, 0) << "a node outside the " << percent << "% buckets booted " << kV4;
    const auto stats = fleet_->Stats();
    int on = 0;
    for (size_t i = 0; i < stats.size(); ++i) {
      const bool in = bucket[i] < percent;
      EXPECT_EQ(stats[i].booted == kV4, in) << "node " << i << ", bucket " << bucket[i];
      on += stats[i].booted == kV4 ? 1 : 0;
    }
    std::printf("scenario 3: at %d%%, %d of %d nodes on %s (%d in the buckets), %.1f s\n", percent,
                on, Nodes(), kV4, expected, Seconds(ts));
  }
  EXPECT_TRUE(AllOn(fleet_->Stats(), kV4));
  std::printf("scenario 3: the staged rollout 10%% -> 50%% -> 100%% took %.1f s\n", Seconds(t0));
  EXPECT_LE(MaxHolders(), kSlots);
}

// Scenario 4, its own fleet: faults during a rollout. etcd is a real
// 3-member cluster on loopback and both replicas name all three members.
// Once a fifth of the nodes boot the release: replica a is killed (SIGKILL),
// etcd member 0 killed, nginx answers 503 for HULL_SIM_503_SECONDS (20 s;
// the bench's run 60 s), member 1 restarted meanwhile (so for a while no
// quorum); then nginx serves again and replica a and member 0 start again.
// Every reboot is checked against etcd as it happens: the node must be a
// holder (it frees its slot only itself, after the boot), and while replica
// a is down, its nodes reboot only under slots granted before it died.
// After: every node on the release, no slot left held, and etcd's history
// never shows more than 5 holders.
int FaultNodes() {
  const char* n = std::getenv("HULL_SIM_FAULT_NODES");
  return n ? std::max(1, std::atoi(n)) : 50;
}
int UnavailableSeconds() {
  const char* n = std::getenv("HULL_SIM_503_SECONDS");
  return n ? std::max(1, std::atoi(n)) : 20;
}

// Node i's FleetLock id, computed by python3's hmac as systemd derives an
// application-specific id (src/fleet/node_id.h: HMAC-SHA256 keyed by the
// machine id, UUID v4 bits) from the machine id the fleet gives node i.
std::vector<std::string> NodeIds(int n) {
  const std::string script =
      "import hmac,hashlib,sys\n"
      "app=bytes.fromhex(sys.argv[1])\n"
      "for i in range(int(sys.argv[2])):\n"
      "  d=bytearray(hmac.new(bytes.fromhex('%032x' % (0xa11ce000+i)),app,hashlib.sha256)"
      ".digest()[:16])\n"
      "  d[6]=(d[6]&0x0f)|0x40; d[8]=(d[8]&0x3f)|0x80\n"
      "  print(d.hex())\n";
  auto out = hull::Run(Command{
      .argv = {"python3", "-c", script, std::string(fleet::kHullFleetAppId), std::to_string(n)}});
  EXPECT_OK(out);
  std::vector<std::string> ids;
  std::istringstream in(out.ok() ? out->out : "");
  for (std::string id; in >> id;) ids.push_back(id);
  return ids;
}

// A free port below Linux's ephemeral range (32768 and up by default), so
// that no outgoing connection (the agents make thousands) takes it while
// the replica listening on it is down and it must be bound again.
int PortBelowEphemeral() {
  for (int port = 20000 + int(::getpid() % 5000);; port = port + 7 < 32000 ? port + 7 : 20000) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(uint16_t(port));
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    ::close(fd);
    if (free) return port;
  }
}

// The semaphore's holders as etcdctl reads them from any member, retried
// for up to 60 s (a quorum may be forming).
std::set<std::string> HoldersNow(const std::string& etcd_urls) {
  const auto end = Clock::now() + 60s;
  for (;;) {
    auto v = fleet::testing::EtcdctlGet(etcd_urls, fleet::SemaphoreKey("default"));
    if (v.ok()) {
      auto j = nlohmann::json::parse(*v, nullptr, false);
      std::set<std::string> out;
      if (j.is_object() && j["holders"].is_array())
        for (const auto& h : j["holders"]) out.insert(h.get<std::string>());
      else
        ADD_FAILURE() << "the semaphore in etcd: " << *v;
      return out;
    }
    if (Clock::now() > end) {
      ADD_FAILURE() << "etcdctl get: " << v.error().ToString();
      return {};
    }
    std::this_thread::sleep_for(200ms);
  }
}

// The scenarios of their own (4, 5): kV0 and kV1, small, of one content
// seed; a repository with kV0 published; the verity trust directory; nginx
// serving the repository; a node disk running kV0.
struct SmallWorld {
  std::unique_ptr<slot::testing::Inputs> inputs;
  std::string dir, repo, keys_dir, disk;
  std::map<std::string, slot::testing::Release> releases;
  int port = 0;
  std::unique_ptr<fleet::testing::Child> nginx;

  static Result<SmallWorld> Make() {
    SmallWorld w;
    HULL_ASSIGN_OR_RETURN(w.inputs, slot::testing::Inputs::Create());
    w.dir = w.inputs->dir();
    for (const char* v : {kV0, kV1}) {
      HULL_ASSIGN_OR_RETURN(w.releases[v],
                            w.inputs->MakeRelease(v, 256, /*real_kernel=*/false, "sim content"));
    }
    HULL_ASSIGN_OR_RETURN(w.disk, w.inputs->MakeDisk(w.releases[kV0], "base", 1 << 20));
    w.repo = w.dir + "/repo";
    w.keys_dir = w.dir + "/keys";
    HULL_ASSIGN_OR_RETURN(auto keys, tuf::RoleKeySet::Load(w.keys_dir, true));
    HULL_TRY(tuf::Repository::Init(w.repo, keys));
    HULL_TRY(Publish(w.repo, w.keys_dir, w.releases[kV0].dir, {}));
    fs::create_directories(w.dir + "/trust/verity");
    fs::copy_file(w.inputs->cert_path(), w.dir + "/trust/verity/verity.crt");
    HULL_ASSIGN_OR_RETURN(w.nginx, StartNginx(w.dir + "/nginx", w.repo, &w.port));
    return w;
  }
};

TEST(RolloutSimFaults, D_FaultsDuringTheRolloutNeverExceedTheSlotsAndEveryNodeConverges) {
  const int n = FaultNodes();
  const auto unavailable = std::chrono::seconds(UnavailableSeconds());
  const auto t_setup = Clock::now();
  ASSERT_OK_AND_ASSIGN(auto world, SmallWorld::Make());
  const std::string &dir = world.dir, &repo = world.repo, &keys_dir = world.keys_dir,
                    &disk = world.disk;
  auto& rel = world.releases;
  const int port = world.port;
  auto& nginx = world.nginx;
  const std::string access_log = dir + "/nginx/access.log", flag = dir + "/nginx/unavailable";
  ASSERT_OK_AND_ASSIGN(auto etcd, fleet::testing::EtcdCluster::Start(dir, 3));
  const std::string urls = etcd->urls();
  const std::vector<std::string> args{"--group", fmt::format("default={}", kSlots), "--max-rps",
                                      "100000"};
  std::vector<fleet::testing::Replica> replicas;
  for (const char* name : {"a", "b"}) {
    ASSERT_OK_AND_ASSIGN(auto r,
                         fleet::testing::StartReplica(urls, args, dir + "/replica-" + name + ".log",
                                                      replicas.empty() ? PortBelowEphemeral() : 0));
    replicas.push_back(std::move(r));
  }
  const std::vector<std::string> ids = NodeIds(n);
  ASSERT_EQ(ids.size(), size_t(n));

  // The reboots, checked against etcd as each happens.
  std::mutex mu;
  std::set<std::string> held_when_a_died;  // etcd's holders right after replica a died
  std::atomic<bool> a_down{false};
  int reboots = 0, reboots_a_down = 0;
  FleetOptions o = AgentOptions(port, replicas);
  o.poll_min = PollMin();
  o.poll_max = std::chrono::milliseconds(2000 + 100 * n);
  o.on_reboot = [&](int i) {
    const bool on_a = i % 2 == 0;  // node i asks fleetlock_urls[i % 2]
    const bool down = on_a && a_down;
    const std::set<std::string> holders = HoldersNow(urls);
    EXPECT_TRUE(holders.count(ids[size_t(i)]))
        << "node " << i << " rebooted without holding a slot in etcd";
    std::lock_guard<std::mutex> l(mu);
    ++reboots;
    if (!down) return;
    ++reboots_a_down;
    EXPECT_TRUE(held_when_a_died.count(ids[size_t(i)]))
        << "node " << i << " rebooted while its FleetLock server was down, under no slot "
        << "granted before";
  };
  ASSERT_OK_AND_ASSIGN(
      auto fleet, Fleet::Create(dir + "/nodes", n, disk, repo + "/1.root.json", dir + "/trust", o));
  ASSERT_TRUE(fleet->RunUntil(
      [](const std::vector<NodeStats>& s) {
        for (const auto& x : s)
          if (x.booted != kV0 || x.runs == 0) return false;
        return true;
      },
      Limit()));
  std::printf("scenario 4: %d nodes on a 3-member etcd booted in %.1f s\n", n, Seconds(t_setup));

  const uint64_t log_from = FileSize(access_log);
  // Every node checks within two seconds (as in scenario 1): the slots are
  // full when the faults come, some held by nodes of replica a.
  fleet->SetPoll(std::chrono::milliseconds(200), std::chrono::milliseconds(2000));
  ASSERT_OK(Publish(repo, keys_dir, rel[kV1].dir, {}));
  const auto t0 = Clock::now();
  // The faults, in order, once a fifth of the fleet has booted the release.
  // The requests of nodes nginx answered 503 since the publication.
  auto answered_503 = [&] {
    uint64_t r = 0;
    for (uint64_t x : ServedPerNode(access_log, n, log_from, 503).requests) r += x;
    return r;
  };
  enum Step { kWaitFirst, kKillReplica, kKillMember, k503, kRestartMember, kEnd, kDone };
  int step = kWaitFirst;
  Clock::time_point t1{}, t_end{};
  auto faults = [&](const std::vector<NodeStats>& s) {
    const auto since = Clock::now() - t1;
    switch (step) {
      case kWaitFirst: {
        int on = 0;
        for (const auto& x : s) on += x.booted == kV1 ? 1 : 0;
        if (on * 5 >= int(s.size())) {
          t1 = Clock::now();
          step = kKillReplica;
        }
        return;
      }
      case kKillReplica: {
        replicas[0].child->Stop(SIGKILL);
        // Replica a is dead: no grant of it can reach etcd from now on.
        std::set<std::string> held = HoldersNow(urls);
        {
          std::lock_guard<std::mutex> l(mu);
          held_when_a_died = std::move(held);
        }
        a_down = true;
        int of_a = 0;
        for (int i = 0; i < n; i += 2) of_a += held_when_a_died.count(ids[size_t(i)]) ? 1 : 0;
        std::printf("scenario 4: +%.1f s replica a killed; %zu slots held, %d by its nodes\n",
                    Seconds(t1), held_when_a_died.size(), of_a);
        step = kKillMember;
        return;
      }
      case kKillMember:
        if (since < 1s) return;
        etcd->Kill(0);
        std::printf("scenario 4: +%.1f s etcd member 0 killed\n", Seconds(t1));
        step = k503;
        return;
      case k503:
        if (since < 2s) return;
        EXPECT_OK(WriteFileAtomic(flag, "503\n"));
        std::printf("scenario 4: +%.1f s nginx answers 503\n", Seconds(t1));
        step = kRestartMember;
        return;
      case kRestartMember:
        if (since < 4s) return;
        // With member 0 dead, killing member 1 leaves no quorum until it is back.
        etcd->Kill(1);
        std::this_thread::sleep_for(2s);
        EXPECT_OK(etcd->Restart(1));
        std::printf("scenario 4: +%.1f s etcd member 1 restarted\n", Seconds(t1));
        step = kEnd;
        return;
      case kEnd: {
        // Not before nginx has answered a node 503: the fault took effect.
        if (since < 2s + unavailable || answered_503() == 0) return;
        std::error_code ec;
        fs::remove(flag, ec);
        a_down = false;
        auto r = fleet::testing::StartReplica(urls, args, dir + "/replica-a.log", replicas[0].port);
        EXPECT_OK(r);
        if (r.ok()) replicas[0] = std::move(*r);
        EXPECT_OK(etcd->Restart(0));
        t_end = Clock::now();
        std::printf("scenario 4: +%.1f s faults over: nginx serves, replica a and member 0 back\n",
                    Seconds(t1));
        step = kDone;
        return;
      }
      default:
        return;
    }
  };
  const bool converged = fleet->RunUntil(
      [&](const std::vector<NodeStats>& s) {
        faults(s);
        return step == kDone && AllOn(s, kV1);
      },
      Limit());
  EXPECT_TRUE(converged) << "not every node reached " << kV1 << " after the faults";
  ASSERT_EQ(step, kDone) << "the faults did not all happen";
  std::printf(
      "scenario 4: %d nodes on %s %.1f s after the publication, %.1f s after the faults ended; "
      "%d reboots checked in etcd, %d of them by nodes of the dead replica\n",
      n, kV1, Seconds(t0), Seconds(t_end), reboots, reboots_a_down);
  EXPECT_GE(reboots, n);
  // The fault was real: nodes were answered 503.
  const uint64_t unavailable_requests = answered_503();
  EXPECT_GT(unavailable_requests, 0u) << "nginx never answered 503 to a node";
  std::printf("scenario 4: nginx answered %llu requests 503\n",
              (unsigned long long)unavailable_requests);
  // The fleet stands still now: every slot freed, in etcd too.
  EXPECT_TRUE(HoldersNow(urls).empty());
  EXPECT_LE(MaxHolders(urls, dir), kSlots);
  nginx->Stop(SIGTERM);
}

// A node granted a slot whose download then fails (nginx answers 503 for
// the release's files, the TUF metadata still served) gives the slot back
// in the same run: in etcd, no holder is left and the node's record is
// cleared, so its group does not wait for the node's next run (on a real
// node, a check interval later). Once the files are served again, the
// node installs the release.
TEST(RolloutSimFaults, E_ASlotTakenForAFailedDownloadGoesBackAtOnce) {
  ASSERT_OK_AND_ASSIGN(auto world, SmallWorld::Make());
  const std::string &dir = world.dir, &repo = world.repo, &keys_dir = world.keys_dir,
                    &disk = world.disk;
  auto& rel = world.releases;
  const int port = world.port;
  auto& nginx = world.nginx;
  ASSERT_OK_AND_ASSIGN(auto etcd, fleet::testing::Etcd::Start(dir));
  ASSERT_OK_AND_ASSIGN(
      auto replica,
      fleet::testing::StartReplica(etcd->url(), {"--group", "default=1"}, dir + "/replica.log"));
  FleetOptions o = AgentOptions(port, {});
  o.fleetlock_urls = {replica.base_url};
  o.poll_min = 200ms;
  o.poll_max = 500ms;
  ASSERT_OK_AND_ASSIGN(
      auto fleet, Fleet::Create(dir + "/nodes", 1, disk, repo + "/1.root.json", dir + "/trust", o));
  ASSERT_TRUE(fleet->RunUntil(
      [](const std::vector<NodeStats>& s) { return s[0].booted == kV0 && s[0].runs > 0; },
      Limit()));
  const std::string access_log = dir + "/nginx/access.log";
  const uint64_t log_from = FileSize(access_log);
  ASSERT_OK(WriteFileAtomic(dir + "/nginx/targets-unavailable", "503\n"));
  ASSERT_OK(Publish(repo, keys_dir, rel[kV1].dir, {}));
  const int runs = fleet->Stats()[0].runs;
  ASSERT_TRUE(fleet->RunUntil(
      [runs](const std::vector<NodeStats>& s) { return s[0].runs >= runs + 2; }, Limit()));
  // The fleet stands still: what etcd and the node say now is final.
  auto log = ReadFileText(dir + "/nodes/node0000/agent.log");
  ASSERT_OK(log);
  EXPECT_NE(log->find(R"("event":"slot-taken")"), std::string::npos)
      << "the node never took the slot: the test proves nothing\n"
      << *log;
  EXPECT_GT(ServedPerNode(access_log, 1, log_from, 503).requests[0], 0u);
  EXPECT_EQ(fleet->Stats()[0].booted, kV0);
  EXPECT_FALSE(fleet->Stats()[0].slot_held) << *log;
  ASSERT_OK_AND_ASSIGN(std::string sem,
                       fleet::testing::EtcdctlGet(etcd->url(), fleet::SemaphoreKey("default")));
  const auto j = nlohmann::json::parse(sem, nullptr, false);
  ASSERT_TRUE(j.is_object()) << sem;
  EXPECT_TRUE(j["holders"].is_null() || j["holders"].empty()) << sem;
  // Served again: the node installs the release and frees its slot after.
  fs::remove(dir + "/nginx/targets-unavailable");
  EXPECT_TRUE(
      fleet->RunUntil([](const std::vector<NodeStats>& s) { return AllOn(s, kV1); }, Limit()));
  nginx->Stop(SIGTERM);
}

}  // namespace
}  // namespace hull::sim

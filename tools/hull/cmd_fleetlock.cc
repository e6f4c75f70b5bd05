// hull fleetlock serve|status|release|lock|unlock|node-id
#include <csignal>
#include <cstdio>
#include <random>
#include <thread>

#include "base/log.h"
#include "cli.h"
#include "fleet/client.h"
#include "fleet/etcd.h"
#include "fleet/lock_service.h"
#include "fleet/node_id.h"
#include "fleet/server.h"

namespace hull::cli {
namespace {

struct FleetArgs {
  std::string listen = "127.0.0.1:9090";
  std::string etcd = "http://127.0.0.1:2379";
  std::vector<std::string> groups;
  bool json_log = false;
  int64_t holder_ttl = 0;
  double max_rps = 500;
  int threads = 16;
  bool json = false;
  std::string url, id, group = "default", machine_id = "/etc/machine-id";
  std::string app_id = std::string(fleet::kHullFleetAppId);
  double wait = 0;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Result<fleet::ServiceOptions> ServiceOptionsFromArgs(const FleetArgs& a) {
  fleet::ServiceOptions o;
  if (!a.groups.empty()) o.groups.clear();
  for (const auto& g : a.groups) {
    auto eq = g.find('=');
    if (eq == std::string::npos) {
      return Errorf(ErrorCode::kInvalidArgument, "--group '{}': expected NAME=SLOTS", g);
    }
    std::string name = g.substr(0, eq);
    if (Status st = fleet::ValidateGroup(name); !st) return std::move(st).error().Wrap("--group");
    uint64_t slots = 0;
    try {
      slots = std::stoull(g.substr(eq + 1));
    } catch (const std::exception&) {
      return Errorf(ErrorCode::kInvalidArgument, "--group '{}': SLOTS is not a number", g);
    }
    if (slots == 0 || slots > fleet::kMaxSlots) {
      return Errorf(ErrorCode::kInvalidArgument, "--group '{}': SLOTS must be 1..{}", g,
                    fleet::kMaxSlots);
    }
    o.groups[name] = slots;
  }
  if (a.holder_ttl < 0) return Error(ErrorCode::kInvalidArgument, "--holder-ttl is negative");
  o.holder_ttl = std::chrono::seconds(a.holder_ttl);
  return o;
}

void LogRequest(bool json, const fleet::RequestLog& r) {
  if (json) {
    nlohmann::json j{{"endpoint", r.endpoint}, {"id", r.id},     {"group", r.group},
                     {"status", r.status},     {"kind", r.kind}, {"changed", r.changed},
                     {"seconds", r.seconds}};
    std::fprintf(stderr, "%s\n",
                 j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    HULL_LOG_INFO("{} id={} group={} -> {} {}{}", r.endpoint, r.id, r.group, r.status, r.kind,
                  r.changed ? " (changed)" : "");
  }
}

int RunServe(const FleetArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(fleet::ServiceOptions so, ServiceOptionsFromArgs(a));
    auto colon = a.listen.rfind(':');
    if (colon == std::string::npos) {
      return Error(ErrorCode::kInvalidArgument, "--listen: expected HOST:PORT");
    }
    fleet::ServerOptions o;
    o.host = a.listen.substr(0, colon);
    o.port = std::atoi(a.listen.c_str() + colon + 1);
    o.max_requests_per_second = a.max_rps;
    o.burst = 2 * a.max_rps;
    o.threads = a.threads;
    bool json = a.json_log;
    o.on_request = [json](const fleet::RequestLog& r) { LogRequest(json, r); };
    HULL_ASSIGN_OR_RETURN(auto etcd, fleet::EtcdClient::Create(SplitComma(a.etcd)));
    fleet::LockService service(*etcd, so);
    if (Status st = service.EnsureGroups(); !st) {
      return std::move(st).error().Wrap("initializing semaphores in etcd");
    }
    fleet::FleetLockServer server(service, o);
    // Block the stop signals before threads start so only sigwait sees them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    HULL_ASSIGN_OR_RETURN(int port, server.Bind());
    std::printf("listening on %s:%d\n", o.host.c_str(), port);
    std::fflush(stdout);
    std::thread stopper([&] {
      int sig = 0;
      sigwait(&set, &sig);
      server.Stop();
    });
    server.Run();
    pthread_kill(stopper.native_handle(), SIGTERM);  // wakes sigwait if Run ended by itself
    stopper.join();
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("fleetlock serve"));
}

int RunStatus(const FleetArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(auto etcd, fleet::EtcdClient::Create(SplitComma(a.etcd)));
    fleet::LockService service(*etcd, fleet::ServiceOptions{{}, {}, 64});
    HULL_ASSIGN_OR_RETURN(auto groups, service.Snapshot());
    if (a.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& g : groups) {
        j.push_back({{"group", g.group},
                     {"total_slots", g.semaphore.total_slots},
                     {"holders", g.semaphore.holders},
                     {"version", g.version},
                     {"holder_keys", g.live_holder_keys}});
      }
      PrintJson({{"groups", j}});
      return Ok();
    }
    for (const auto& g : groups) {
      std::printf("%s: %zu/%llu slots held\n", g.group.c_str(), g.semaphore.holders.size(),
                  (unsigned long long)g.semaphore.total_slots);
      for (const auto& h : g.semaphore.holders) std::printf("  %s\n", h.c_str());
    }
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("fleetlock status"));
}

int RunRelease(const FleetArgs& a) {
  auto run = [&]() -> Result<bool> {
    HULL_ASSIGN_OR_RETURN(auto etcd, fleet::EtcdClient::Create(SplitComma(a.etcd)));
    fleet::LockService service(*etcd, fleet::ServiceOptions{{}, {}, 64});
    return service.Release(a.group, a.id);
  };
  auto r = run();
  if (!r) return ReportError(std::move(r).error().Wrap("fleetlock release"));
  std::printf("%s\n", *r ? "released" : "not a holder (nothing to release)");
  return kExitOk;
}

Result<std::string> ResolveId(const FleetArgs& a) {
  if (!a.id.empty()) return a.id;
  return fleet::NodeIdFromMachineId(a.machine_id, a.app_id);
}

int RunClient(const FleetArgs& a, bool lock) {
  const char* what = lock ? "fleetlock lock" : "fleetlock unlock";
  auto id = ResolveId(a);
  if (!id) return ReportError(std::move(id).error().Wrap(what));
  fleet::NetworkPoster http;
  fleet::FleetLockClient client(http, a.url, {*id, a.group});
  fleet::SystemClock clock;
  fleet::Backoff backoff(std::chrono::milliseconds(500), std::chrono::seconds(30),
                         std::random_device{}());
  auto deadline = clock.Now() + std::chrono::milliseconds(int64_t(a.wait * 1000));
  Status st = fleet::RetryUntil(
      client, clock, backoff,
      lock ? &fleet::FleetLockClient::PreReboot : &fleet::FleetLockClient::SteadyState, deadline,
      lock ? "pre-reboot" : "steady-state");
  if (st) {
    std::printf("%s\n", lock ? "granted" : "released");
    return kExitOk;
  }
  Error e = std::move(st).error().Wrap(what);
  std::fprintf(stderr, "hull: %s\n", e.ToString().c_str());
  return kExitFailed;  // refused, or not granted before --wait ended
}

int RunNodeId(const FleetArgs& a) {
  auto id = fleet::NodeIdFromMachineId(a.machine_id, a.app_id);
  if (!id) return ReportError(std::move(id).error().Wrap("fleetlock node-id"));
  std::printf("%s\n", id->c_str());
  return kExitOk;
}

void AddClientOptions(CLI::App* c, FleetArgs& a) {
  c->add_option("--url", a.url, "Base URL of the FleetLock server")->required();
  c->add_option("--id", a.id, "Client id (default: derived from --machine-id, see node-id)");
  c->add_option("--group", a.group, "Reboot group (default: default)");
  c->add_option("--machine-id", a.machine_id, "Machine id file (default: /etc/machine-id)");
  c->add_option("--wait", a.wait, "Retry with jittered backoff for up to SECONDS (default 0)");
}

}  // namespace

void RegisterFleetlock(CLI::App& app, Context& ctx) {
  auto* fl = app.add_subcommand("fleetlock", "Fleet reboot coordination (FleetLock on etcd)");
  fl->require_subcommand(1);
  auto a = std::make_shared<FleetArgs>();

  auto* serve = fl->add_subcommand("serve", "Run a FleetLock server backed by etcd");
  serve->add_option("--listen", a->listen, "HOST:PORT to listen on (default 127.0.0.1:9090)");
  serve->add_option("--etcd", a->etcd,
                    "etcd endpoints, comma-separated (default "
                    "http://127.0.0.1:2379)");
  serve->add_option("--group", a->groups,
                    "A group and its slots, NAME=SLOTS (repeatable; "
                    "default: default=1)");
  serve->add_flag("--json-log", a->json_log, "Log one JSON object per request to stderr");
  serve->add_option("--holder-ttl", a->holder_ttl,
                    "Free a holder's slot SECONDS after its last pre-reboot call (0 = never)");
  serve->add_option("--max-rps", a->max_rps, "Request rate cap per server (default 500/s)");
  serve->add_option("--threads", a->threads, "HTTP worker threads (default 16)");
  serve->footer(
      "Example: hull fleetlock serve --listen 0.0.0.0:9090 --etcd http://10.0.0.5:2379 \\\n"
      "           --group workers=3 --group controllers=1 --holder-ttl 3600\n"
      "Run any number of replicas against one etcd cluster. Stop with SIGTERM.");
  serve->callback([&ctx, a] { ctx.action = [a] { return RunServe(*a); }; });

  auto* status = fl->add_subcommand("status", "Print every group's slots and holders from etcd");
  status->add_option("--etcd", a->etcd, "etcd endpoints, comma-separated");
  status->add_flag("--json", a->json, "Print as JSON");
  status->callback([&ctx, a] { ctx.action = [a] { return RunStatus(*a); }; });

  auto* release = fl->add_subcommand("release", "Free the slot a (dead) node holds");
  release->add_option("--etcd", a->etcd, "etcd endpoints, comma-separated");
  release->add_option("--group", a->group, "Group (default: default)");
  release->add_option("--id", a->id, "The holder's id, as 'status' lists it")->required();
  release->footer(
      "Example: hull fleetlock release --etcd http://10.0.0.5:2379 --group workers "
      "--id 0f6d...\nIdempotent: releasing a non-holder changes nothing.");
  release->callback([&ctx, a] { ctx.action = [a] { return RunRelease(*a); }; });

  auto* lock = fl->add_subcommand("lock", "Take a reboot slot (POST /v1/pre-reboot)");
  AddClientOptions(lock, *a);
  lock->footer(
      "Example: hull fleetlock lock --url http://fleetlock.example/ --wait 600\n"
      "Exit status: 0 granted, 1 refused or not granted before --wait ended.");
  lock->callback([&ctx, a] { ctx.action = [a] { return RunClient(*a, true); }; });

  auto* unlock = fl->add_subcommand("unlock", "Release this node's slot (POST /v1/steady-state)");
  AddClientOptions(unlock, *a);
  unlock->footer("Example: hull fleetlock unlock --url http://fleetlock.example/ --wait 60");
  unlock->callback([&ctx, a] { ctx.action = [a] { return RunClient(*a, false); }; });

  auto* nid = fl->add_subcommand("node-id", "Print this node's FleetLock id");
  nid->add_option("--machine-id", a->machine_id, "Machine id file (default: /etc/machine-id)");
  nid->add_option("--app-id", a->app_id, "Application id (32 hex digits; default: Hull's)");
  nid->footer(
      "The id is HMAC-SHA256(machine id, app id) as systemd's app-specific ids;\n"
      "compare: systemd-id128 machine-id --app-specific=<app id>");
  nid->callback([&ctx, a] { ctx.action = [a] { return RunNodeId(*a); }; });
}

}  // namespace hull::cli

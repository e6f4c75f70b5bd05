// hull fleetlock serve|status|release|resume|lock|unlock|node-id
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <tuple>

#include "base/log.h"
#include "cli.h"
#include "fleet/client.h"
#include "fleet/etcd.h"
#include "fleet/lock_service.h"
#include "fleet/node_id.h"
#include "fleet/releases.h"
#include "fleet/server.h"
#include "fleet/status.h"

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
  // Release halts.
  uint64_t halt_after = 0;
  double halt_after_fraction = 0;
  bool halt_after_set = false, halt_fraction_set = false;
  std::string version, flavor, arch;
  // TLS of the server, and etcd's TLS and auth.
  fleet::TlsOptions tls;
  fleet::EtcdAuth etcd_auth;
  std::string etcd_password_file;
  // `resume --server`: the server's operator endpoint, and the operator's TLS.
  std::string server, server_ca, server_cert, server_key;
  // Bounds on the release records (fleet::RecordLimits) and how often they
  // are collected.
  fleet::RecordLimits limits;
  int64_t collect_every = 3600;
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

Result<fleet::HaltPolicy> HaltPolicyFromArgs(const FleetArgs& a) {
  fleet::HaltPolicy p;
  if (a.halt_after_set) {
    if (a.halt_after == 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "--halt-after 0 would halt every release before any report; give K >= 1 "
                   "(or leave it out to never halt)");
    }
    p.after = a.halt_after;
  }
  if (a.halt_fraction_set) {
    if (!(a.halt_after_fraction > 0 && a.halt_after_fraction <= 1)) {
      return Error(ErrorCode::kInvalidArgument,
                   "--halt-after-fraction must be in (0, 1], e.g. 0.2 for 20% of the nodes that "
                   "tried a release");
    }
    p.fraction = a.halt_after_fraction;
  }
  return p;
}

// Builds the etcd client from --etcd and the etcd TLS/auth flags.
Result<std::unique_ptr<fleet::EtcdClient>> MakeEtcd(const FleetArgs& a) {
  fleet::EtcdAuth auth = a.etcd_auth;
  if (!a.etcd_password_file.empty()) {
    std::ifstream in(a.etcd_password_file);
    if (!in) {
      return Errorf(ErrorCode::kInvalidArgument, "--etcd-password-file {}: cannot be read",
                    a.etcd_password_file);
    }
    std::getline(in, auth.password);
  }
  return fleet::EtcdClient::Create(SplitComma(a.etcd), std::chrono::seconds(3), std::move(auth));
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

void LogRequest(bool json, const fleet::RequestLog& r) {
  if (json) {
    nlohmann::json j{{"endpoint", r.endpoint}, {"id", r.id},          {"group", r.group},
                     {"status", r.status},     {"kind", r.kind},      {"changed", r.changed},
                     {"halted", r.halted},     {"seconds", r.seconds}};
    std::fprintf(stderr, "%s\n",
                 j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    HULL_LOG_INFO("{} id={} group={} -> {} {}{}{}", r.endpoint, r.id, r.group, r.status, r.kind,
                  r.changed ? " (changed)" : "", r.halted ? " (release halted)" : "");
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
    HULL_ASSIGN_OR_RETURN(fleet::HaltPolicy policy, HaltPolicyFromArgs(a));
    o.tls = a.tls;
    if (o.tls.cert.empty() != o.tls.key.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--tls-cert and --tls-key go together");
    }
    if (!o.tls.client_ca.empty() && o.tls.cert.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--client-ca needs --tls-cert and --tls-key");
    }
    if (!o.tls.operator_ca.empty() && o.tls.client_ca.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--operator-ca needs --client-ca");
    }
    HULL_ASSIGN_OR_RETURN(auto etcd, MakeEtcd(a));
    fleet::LockService service(*etcd, so);
    if (Status st = service.EnsureGroups(); !st) {
      return std::move(st).error().Wrap("initializing semaphores in etcd");
    }
    if (a.limits.retention < 0 || a.collect_every < 1)
      return Error(ErrorCode::kInvalidArgument,
                   "--record-retention must be >= 0 and --collect-every >= 1 (seconds)");
    fleet::ReleaseTracker releases(*etcd, policy);
    releases.set_limits(a.limits);
    o.releases = &releases;
    fleet::FleetLockServer server(service, o);
    // Block the stop signals before threads start so only sigwait sees them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    HULL_ASSIGN_OR_RETURN(int port, server.Bind());
    if (o.tls.client_ca.empty() && !IsLoopback(o.host)) {
      std::fprintf(stderr,
                   "hull: WARNING: listening on %s beyond loopback WITHOUT client authentication: "
                   "anyone who reaches this port can take or free any node's slot and forge "
                   "release reports (halts). Give --tls-cert/--tls-key/--client-ca/--operator-ca "
                   "(docs/fleetlock.md, \"Who may lock\").\n",
                   o.host.c_str());
    }
    std::printf("listening on %s:%d (%s)\n", o.host.c_str(), port,
                o.tls.cert.empty()        ? "http, open"
                : o.tls.client_ca.empty() ? "https, open"
                                          : "https, client certificates required");
    std::fflush(stdout);
    std::thread stopper([&] {
      int sig = 0;
      sigwait(&set, &sig);
      server.Stop();
    });
    // Release records are collected at start and every --collect-every
    // seconds (by every replica: each removal is a compare-and-delete).
    std::mutex m;
    std::condition_variable cv;
    bool stopping = false;
    std::thread collector([&] {
      std::unique_lock lock(m);
      do {
        lock.unlock();
        auto removed = releases.Collect();
        if (!removed.ok())
          std::fprintf(stderr, "hull: collecting release records: %s\n",
                       removed.error().ToString().c_str());
        for (const auto& r : removed.ok() ? *removed : std::vector<fleet::HullParams>{})
          std::fprintf(stderr, "hull: removed the release record of %s %s/%s\n", r.version.c_str(),
                       r.flavor.c_str(), r.arch.c_str());
        lock.lock();
      } while (!cv.wait_for(lock, std::chrono::seconds(a.collect_every), [&] { return stopping; }));
    });
    server.Run();
    {
      std::lock_guard guard(m);
      stopping = true;
    }
    cv.notify_all();
    collector.join();
    pthread_kill(stopper.native_handle(), SIGTERM);  // wakes sigwait if Run ended by itself
    stopper.join();
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("fleetlock serve"));
}

int RunStatus(const FleetArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(auto etcd, MakeEtcd(a));
    fleet::LockService service(*etcd, fleet::ServiceOptions{{}, {}, 64});
    fleet::ReleaseTracker releases(*etcd, {});
    fleet::FleetStatus st;
    st.now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    HULL_ASSIGN_OR_RETURN(st.groups, service.Snapshot());
    HULL_ASSIGN_OR_RETURN(st.releases, releases.Snapshot());
    if (a.json) {
      nlohmann::json j = fleet::StatusJson(st);
      for (size_t i = 0; i < st.groups.size(); ++i) {
        j["groups"][i]["holder_keys"] = st.groups[i].live_holder_keys;
      }
      PrintJson(j);
      return Ok();
    }
    for (const auto& g : st.groups) {
      std::printf("%s: %zu/%llu slots held\n", g.group.c_str(), g.semaphore.holders.size(),
                  (unsigned long long)g.semaphore.total_slots);
      for (const auto& h : g.semaphore.holders) {
        auto it = g.held_since.find(h);
        std::printf(
            "  %s (held %s)\n", h.c_str(),
            it == g.held_since.end() ? "?" : fleet::FormatDuration(st.now - it->second).c_str());
      }
    }
    for (const auto& r : st.releases) {
      std::printf("release %s %s/%s: %zu tried, %zu healthy, %zu rolled back%s\n",
                  r.release.version.c_str(), r.release.flavor.c_str(), r.release.arch.c_str(),
                  r.tried.size(), r.healthy.size(), r.rolled_back.size(),
                  r.halted ? " HALTED" : "");
      for (const auto& id : r.rolled_back) std::printf("  rolled back: %s\n", id.c_str());
    }
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("fleetlock status"));
}

// POST <server>/v1/resume with the operator's certificate: the server's
// 404 not_found is kNotFound (exit 2, as in etcd), any other refusal kRefused.
Result<std::vector<fleet::HullParams>> ResumeOverHttp(const FleetArgs& a) {
  if (a.server_cert.empty() != a.server_key.empty())
    return Error(ErrorCode::kInvalidArgument,
                 "--cert and --key go together (the operator's certificate and its key)");
  fleet::NetworkPoster http(std::chrono::seconds(30), a.server_ca, a.server_cert, a.server_key);
  HULL_ASSIGN_OR_RETURN(fleet::HttpResponse resp,
                        http.Post(fleet::JoinUrl(a.server, fleet::kResumePath),
                                  fleet::EncodeResumeBody(
                                      {.version = a.version, .flavor = a.flavor, .arch = a.arch})));
  if (resp.status == 200) return fleet::DecodeResumeReply(resp.body);
  std::string kind;
  fleet::ProtocolError e = fleet::DecodeErrorBody(resp.status, resp.body, &kind);
  const bool none = resp.status == 404 && kind == fleet::ErrorKindName(fleet::ErrorKind::kNotFound);
  return Errorf(none ? ErrorCode::kNotFound : ErrorCode::kRefused, "{}: {} (HTTP {}): {}", a.server,
                kind, resp.status, e.value);
}

int RunResume(const FleetArgs& a) {
  auto run = [&]() -> Result<std::vector<fleet::HullParams>> {
    if (!a.server.empty()) return ResumeOverHttp(a);
    HULL_ASSIGN_OR_RETURN(auto etcd, MakeEtcd(a));
    fleet::ReleaseTracker releases(*etcd, {});
    return releases.Resume(a.version, a.flavor, a.arch);
  };
  auto r = run();
  if (!r) return ReportError(std::move(r).error().Wrap("fleetlock resume"));
  for (const auto& h : *r) {
    std::printf("resumed %s %s/%s\n", h.version.c_str(), h.flavor.c_str(), h.arch.c_str());
  }
  return kExitOk;
}

int RunRelease(const FleetArgs& a) {
  auto run = [&]() -> Result<bool> {
    HULL_ASSIGN_OR_RETURN(auto etcd, MakeEtcd(a));
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

void AddEtcdOptions(CLI::App* c, FleetArgs& a) {
  c->add_option("--etcd", a.etcd,
                "etcd endpoints, comma-separated (default http://127.0.0.1:2379)");
  c->add_option("--etcd-cacert", a.etcd_auth.cacert, "PEM CA that signed etcd's certificate");
  c->add_option("--etcd-cert", a.etcd_auth.cert, "PEM client certificate for etcd");
  c->add_option("--etcd-key", a.etcd_auth.key, "PEM key of --etcd-cert");
  c->add_option("--etcd-user", a.etcd_auth.user, "etcd user (etcd auth enabled)");
  c->add_option("--etcd-password-file", a.etcd_password_file,
                "File whose first line is --etcd-user's password");
}

}  // namespace

void RegisterFleetlock(CLI::App& app, Context& ctx) {
  auto* fl = app.add_subcommand("fleetlock", "Fleet reboot coordination (FleetLock on etcd)");
  fl->require_subcommand(1);
  auto a = std::make_shared<FleetArgs>();

  auto* serve = fl->add_subcommand("serve", "Run a FleetLock server backed by etcd");
  serve->add_option("--listen", a->listen, "HOST:PORT to listen on (default 127.0.0.1:9090)");
  AddEtcdOptions(serve, *a);
  serve->add_option("--group", a->groups,
                    "A group and its slots, NAME=SLOTS (repeatable; "
                    "default: default=1)");
  serve->add_flag("--json-log", a->json_log, "Log one JSON object per request to stderr");
  serve->add_option("--holder-ttl", a->holder_ttl,
                    "Free a holder's slot SECONDS after its last pre-reboot call (0 = never)");
  serve->add_option("--max-rps", a->max_rps, "Request rate cap per server (default 500/s)");
  serve->add_option("--threads", a->threads, "HTTP worker threads (default 16)");
  serve
      ->add_option("--halt-after", a->halt_after,
                   "Halt a release once K distinct nodes reported it rolled back")
      ->each([a](const std::string&) { a->halt_after_set = true; });
  serve
      ->add_option("--halt-after-fraction", a->halt_after_fraction,
                   "Halt a release once this fraction (0-1] of the nodes that tried it rolled back")
      ->each([a](const std::string&) { a->halt_fraction_set = true; });
  serve->add_option("--record-retention", a->limits.retention,
                    "Remove a release record nobody wrote to for SECONDS (default 30 days; 0: "
                    "never by age; a halted one stays until resumed or superseded)");
  serve->add_option("--records-per-platform", a->limits.per_platform,
                    "Keep at most N release records per flavor/arch, the lowest versions going "
                    "first (default 32; 0: no cap)");
  serve->add_option("--records-total", a->limits.total,
                    "Create no release record while N exist (default 256; 0: no cap)");
  serve->add_option("--collect-every", a->collect_every,
                    "Collect release records every SECONDS (default 3600)");
  serve->add_option("--tls-cert", a->tls.cert, "PEM certificate (chain) to serve HTTPS with");
  serve->add_option("--tls-key", a->tls.key, "PEM key of --tls-cert");
  serve->add_option("--client-ca", a->tls.client_ca,
                    "Require client certificates from this PEM CA; a node's id must be its "
                    "certificate's CN or a SAN");
  serve->add_option("--operator-ca", a->tls.operator_ca,
                    "PEM CA of operator certificates (status, metrics, page, resume)");
  serve->footer(
      "Example: hull fleetlock serve --listen 0.0.0.0:9090 --etcd http://10.0.0.5:2379 \\\n"
      "           --group workers=3 --group controllers=1 --holder-ttl 3600 --halt-after 3 \\\n"
      "           --tls-cert srv.pem --tls-key srv.key --client-ca nodes-ca.pem \\\n"
      "           --operator-ca operators-ca.pem\n"
      "Run any number of replicas against one etcd cluster. Stop with SIGTERM.");
  serve->callback([&ctx, a] { ctx.action = [a] { return RunServe(*a); }; });

  auto* status = fl->add_subcommand(
      "status", "Print every group's slots and holders and every release's reports from etcd");
  AddEtcdOptions(status, *a);
  status->add_flag("--json", a->json, "Print as JSON");
  status->callback([&ctx, a] { ctx.action = [a] { return RunStatus(*a); }; });

  auto* release = fl->add_subcommand("release", "Free the slot a (dead) node holds");
  AddEtcdOptions(release, *a);
  release->add_option("--group", a->group, "Group (default: default)");
  release->add_option("--id", a->id, "The holder's id, as 'status' lists it")->required();
  release->footer(
      "Example: hull fleetlock release --etcd http://10.0.0.5:2379 --group workers "
      "--id 0f6d...\nIdempotent: releasing a non-holder changes nothing.");
  release->callback([&ctx, a] { ctx.action = [a] { return RunRelease(*a); }; });

  auto* resume = fl->add_subcommand(
      "resume", "Lift the halt of a release (in etcd, or through a server's operator endpoint)");
  resume->add_option("VERSION", a->version, "The halted release, e.g. 202612.05.0")->required();
  resume->add_option("--flavor", a->flavor, "Only this flavor (default: every halted one)");
  resume->add_option("--arch", a->arch, "Only this arch (default: every halted one)");
  AddEtcdOptions(resume, *a);
  auto* server = resume->add_option(
      "--server", a->server, "A FleetLock server's base URL: POST /v1/resume there, not in etcd");
  for (auto [flag, field, help] :
       {std::tuple{"--ca", &a->server_ca, "PEM CA of the server's certificate (https)"},
        {"--cert", &a->server_cert, "PEM operator certificate (a server with --client-ca)"},
        {"--key", &a->server_key, "PEM key of --cert"}})
    resume->add_option(flag, *field, help)->needs(server);
  resume->footer(
      "Example: hull fleetlock resume 202612.05.0 --etcd https://10.0.0.5:2379 \\\n"
      "           --etcd-cacert ca.pem --etcd-cert op.pem --etcd-key op.key\n"
      "         hull fleetlock resume 202612.05.0 --server https://fleetlock.example:9443/ \\\n"
      "           --ca ca.pem --cert operator.pem --key operator.key\n"
      "The release halts again only on failures reported after the resume.\n"
      "Exit status: 0 resumed, 1 refused by the server (e.g. no operator certificate),\n"
      "2 no such halted release, server or etcd unreachable.");
  resume->callback([&ctx, a] { ctx.action = [a] { return RunResume(*a); }; });

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

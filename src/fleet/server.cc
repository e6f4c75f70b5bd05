#include "fleet/server.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace hull::fleet {
namespace {

HttpReply Refuse(ErrorKind kind, std::string value, RequestLog* log) {
  if (log) {
    log->kind = ErrorKindName(kind);
    log->status = ErrorKindStatus(kind);
  }
  return {ErrorKindStatus(kind), EncodeErrorBody({kind, std::move(value)})};
}

ErrorKind KindOf(const Error& e) {
  switch (e.code()) {
    case ErrorCode::kNotFound:
      return ErrorKind::kUnknownGroup;
    case ErrorCode::kRefused:
      return ErrorKind::kSemaphoreFull;
    case ErrorCode::kUnavailable:
    case ErrorCode::kTimeout:
    case ErrorCode::kConflict:
      return ErrorKind::kBackendUnavailable;
    default:
      return ErrorKind::kInternal;
  }
}

}  // namespace

HttpReply HandleProtocolRequest(LockService& service, std::string_view endpoint,
                                const std::string* header, std::string_view body, RequestLog* log) {
  if (log) log->endpoint = std::string(endpoint);
  if (!header || *header != "true") {
    return Refuse(ErrorKind::kMissingHeader, "wrong 'fleet-lock-protocol' header", log);
  }
  ParsedRequest req = ParseRequestBody(body);
  if (!req.ok) return Refuse(req.error.kind, req.error.value, log);
  if (log) {
    log->id = req.params.id;
    log->group = req.params.group;
  }
  Result<bool> r =
      endpoint == kPreRebootPath ? service.PreReboot(req.params) : service.SteadyState(req.params);
  if (!r) return Refuse(KindOf(r.error()), r.error().message(), log);
  if (log) {
    log->status = 200;
    log->changed = *r;
  }
  return {200, "{}"};
}

FleetLockServer::FleetLockServer(LockService& service, ServerOptions options)
    : service_(service),
      options_(std::move(options)),
      http_(std::make_unique<httplib::Server>()),
      tokens_(options_.burst),
      last_refill_(std::chrono::steady_clock::now()) {
  Routes();
}

FleetLockServer::~FleetLockServer() { Stop(); }

bool FleetLockServer::AllowRequest() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  double dt = std::chrono::duration<double>(now - last_refill_).count();
  last_refill_ = now;
  tokens_ = std::min(options_.burst, tokens_ + dt * options_.max_requests_per_second);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void FleetLockServer::Count(const std::string& endpoint, const std::string& result) {
  std::lock_guard lock(mu_);
  ++requests_[{endpoint, result}];
}

void FleetLockServer::Routes() {
  int threads = std::max(1, options_.threads);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  http_->set_payload_max_length(kMaxRequestBody);
  http_->set_keep_alive_max_count(20);
  http_->set_read_timeout(5, 0);
  // Statuses httplib sets itself (413 over the body cap, 404, 400 on a bad
  // request line) get a protocol error body too; ours already have one.
  http_->set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        ErrorKind kind = res.status == 413   ? ErrorKind::kBodyTooLarge
                         : res.status == 404 ? ErrorKind::kNotFound
                         : res.status >= 500 ? ErrorKind::kInternal
                                             : ErrorKind::kMalformedBody;
        res.set_content(EncodeErrorBody({kind, "HTTP " + std::to_string(res.status)}),
                        "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_->set_pre_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    if (AllowRequest()) return httplib::Server::HandlerResponse::Unhandled;
    Count("any", ErrorKindName(ErrorKind::kRateLimited));
    res.status = ErrorKindStatus(ErrorKind::kRateLimited);
    res.set_content(EncodeErrorBody({ErrorKind::kRateLimited, "request rate limit exceeded"}),
                    "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  for (std::string_view ep : {kPreRebootPath, kSteadyStatePath}) {
    std::string path(ep);
    http_->Post(path, [this, path](const httplib::Request& req, httplib::Response& res) {
      auto t0 = std::chrono::steady_clock::now();
      RequestLog log;
      auto it = req.headers.find(std::string(kProtocolHeader));
      const std::string* header = it == req.headers.end() ? nullptr : &it->second;
      HttpReply reply = HandleProtocolRequest(service_, path, header, req.body, &log);
      log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      Count(path, reply.status == 200 ? "ok" : log.kind);
      res.status = reply.status;
      res.set_content(reply.body, "application/json");
      if (options_.on_request) options_.on_request(log);
    });
  }
  http_->Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    auto snap = service_.Snapshot();
    if (!snap) {
      res.status = 503;
      res.set_content(EncodeErrorBody({ErrorKind::kBackendUnavailable, snap.error().message()}),
                      "application/json");
      return;
    }
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& g : *snap) {
      groups.push_back({{"group", g.group},
                        {"total_slots", g.semaphore.total_slots},
                        {"holders", g.semaphore.holders},
                        {"version", g.version}});
    }
    res.set_content(nlohmann::json{{"groups", groups}}.dump(), "application/json");
  });
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(Metrics(), "text/plain; version=0.0.4");
  });
}

std::string FleetLockServer::Metrics() {
  std::string out =
      "# HELP hull_fleetlock_requests_total FleetLock requests by endpoint and result.\n"
      "# TYPE hull_fleetlock_requests_total counter\n";
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, n] : requests_) {
      out += "hull_fleetlock_requests_total{endpoint=\"" + k.first + "\",result=\"" + k.second +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP hull_fleetlock_cas_conflicts_total etcd compare-and-swap races lost.\n"
      "# TYPE hull_fleetlock_cas_conflicts_total counter\n"
      "hull_fleetlock_cas_conflicts_total " +
      std::to_string(service_.counters().cas_conflicts.load()) + "\n";
  out +=
      "# HELP hull_fleetlock_pruned_holders_total Holders freed by lease expiry.\n"
      "# TYPE hull_fleetlock_pruned_holders_total counter\n"
      "hull_fleetlock_pruned_holders_total " +
      std::to_string(service_.counters().pruned_holders.load()) + "\n";
  auto snap = service_.Snapshot();
  out +=
      "# HELP hull_fleetlock_etcd_up Whether etcd answered this scrape.\n"
      "# TYPE hull_fleetlock_etcd_up gauge\n"
      "hull_fleetlock_etcd_up " +
      std::string(snap ? "1" : "0") + "\n";
  if (snap) {
    out += "# HELP hull_fleetlock_slots Slots per group.\n# TYPE hull_fleetlock_slots gauge\n";
    for (const auto& g : *snap) {
      out += "hull_fleetlock_slots{group=\"" + g.group + "\"} " +
             std::to_string(g.semaphore.total_slots) + "\n";
    }
    out +=
        "# HELP hull_fleetlock_holders Current holders per group.\n"
        "# TYPE hull_fleetlock_holders gauge\n";
    for (const auto& g : *snap) {
      out += "hull_fleetlock_holders{group=\"" + g.group + "\"} " +
             std::to_string(g.semaphore.holders.size()) + "\n";
    }
  }
  return out;
}

Result<int> FleetLockServer::Bind() {
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
  } else {
    port_ = http_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    return Errorf(ErrorCode::kUnavailable, "cannot listen on {}:{}", options_.host, options_.port);
  }
  return port_;
}

void FleetLockServer::Start() {
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // Bound already, so clients queue in the backlog; wait for the loop so a
  // quick Stop() does not race with its start.
  for (int i = 0; i < 2000 && !http_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void FleetLockServer::Run() { http_->listen_after_bind(); }

void FleetLockServer::Stop() {
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace hull::fleet

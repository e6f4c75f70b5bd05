#include "fleet/server.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

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

// With client certificates, a node speaks only for itself.
bool Certified(const ProtocolContext& ctx, const std::string& id) {
  if (!ctx.cert_ids) return true;
  return std::find(ctx.cert_ids->begin(), ctx.cert_ids->end(), id) != ctx.cert_ids->end();
}

HttpReply NotCertified(const std::string& id, RequestLog* log) {
  return Refuse(ErrorKind::kIdNotCertified,
                "client id '" + id + "' is not an identity of the client certificate", log);
}

HttpReply HandleReport(const ProtocolContext& ctx, std::string_view body, RequestLog* log) {
  ParsedReport rep = ParseReportBody(body);
  if (!rep.ok) return Refuse(rep.error.kind, rep.error.value, log);
  const ClientParams& p = rep.report.params;
  if (log) {
    log->id = p.id;
    log->group = p.group;
  }
  if (!Certified(ctx, p.id)) return NotCertified(p.id, log);
  Result<bool> r = ctx.releases->Record(rep.report);
  if (!r) {
    ErrorKind kind = r.error().code() == ErrorCode::kNotFound  ? ErrorKind::kUnknownVersion
                     : r.error().code() == ErrorCode::kRefused ? ErrorKind::kInternal
                                                               : KindOf(r.error());
    return Refuse(kind, r.error().message(), log);
  }
  if (log) {
    log->status = 200;
    log->halted = *r;
  }
  return {200, "{}"};
}

}  // namespace

HttpReply HandleProtocolRequest(const ProtocolContext& ctx, std::string_view endpoint,
                                const std::string* header, std::string_view body, RequestLog* log) {
  if (log) log->endpoint = std::string(endpoint);
  if (!header || *header != "true") {
    return Refuse(ErrorKind::kMissingHeader, "wrong 'fleet-lock-protocol' header", log);
  }
  if (endpoint == kReportPath) return HandleReport(ctx, body, log);
  ParsedRequest req = ParseRequestBody(body);
  if (!req.ok) return Refuse(req.error.kind, req.error.value, log);
  if (log) {
    log->id = req.params.id;
    log->group = req.params.group;
  }
  if (!Certified(ctx, req.params.id)) return NotCertified(req.params.id, log);
  bool halted = false;
  PreRebootGuard guard;
  if (ctx.releases && req.params.hull) {
    guard = [&]() -> Result<TxnExtra> {
      auto extra = ctx.releases->GuardPreReboot(req.params);
      if (!extra && extra.error().code() == ErrorCode::kRefused) halted = true;
      return extra;
    };
  }
  Result<bool> r = endpoint == kPreRebootPath ? ctx.service.PreReboot(req.params, guard)
                                              : ctx.service.SteadyState(req.params);
  if (!r) {
    return Refuse(halted ? ErrorKind::kReleaseHalted : KindOf(r.error()), r.error().message(), log);
  }
  if (log) {
    log->status = 200;
    log->changed = *r;
  }
  return {200, "{}"};
}

namespace {

// The TLS server: certificate chain and key from PEM files; with a client CA,
// peers must present a certificate that verifies against the client CA or
// the operator CA (checked by OpenSSL during the handshake).
std::unique_ptr<httplib::Server> MakeTlsServer(const TlsOptions& tls, std::string* error) {
  std::optional<CaStore> trust;
  if (!tls.client_ca.empty()) {
    std::vector<std::string> files{tls.client_ca};
    if (!tls.operator_ca.empty()) files.push_back(tls.operator_ca);
    auto store = CaStore::Load(files);
    if (!store) {
      *error = store.error().message();
      return std::make_unique<httplib::Server>();
    }
    trust.emplace(std::move(*store));
  }
  return std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(&ctx, tls.cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(&ctx, tls.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(&ctx) != 1) {
      *error = "TLS certificate " + tls.cert + " or key " + tls.key +
               " does not load (PEM, matching pair)";
      return false;
    }
    if (trust) {
      SSL_CTX_set_cert_store(&ctx, trust->NewRef());
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    return true;
  });
}

}  // namespace

FleetLockServer::FleetLockServer(LockService& service, ServerOptions options)
    : service_(service),
      options_(std::move(options)),
      tokens_(options_.burst),
      last_refill_(std::chrono::steady_clock::now()) {
  const TlsOptions& tls = options_.tls;
  if (tls.cert.empty()) {
    http_ = std::make_unique<httplib::Server>();
  } else {
    http_ = MakeTlsServer(tls, &setup_error_);
    if (setup_error_.empty() && !http_->is_valid()) setup_error_ = "TLS setup failed";
  }
  if (client_auth() && !tls.operator_ca.empty()) {
    auto store = CaStore::Load({tls.operator_ca});
    if (store) {
      operator_ca_.emplace(std::move(*store));
    } else {
      setup_error_ = store.error().message();
    }
  }
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
  for (std::string_view ep : {kPreRebootPath, kSteadyStatePath, kReportPath}) {
    if (ep == kReportPath && !options_.releases) continue;
    ProtocolRoute(std::string(ep));
  }
  OperatorRoutes();
}

void FleetLockServer::ProtocolRoute(std::string path) {
  http_->Post(path, [this, path](const httplib::Request& req, httplib::Response& res) {
    auto t0 = std::chrono::steady_clock::now();
    RequestLog log;
    auto it = req.headers.find(std::string(kProtocolHeader));
    const std::string* header = it == req.headers.end() ? nullptr : &it->second;
    std::vector<std::string> ids;
    if (client_auth()) ids = PeerIdentities(req.ssl);
    ProtocolContext ctx{service_, options_.releases, client_auth() ? &ids : nullptr};
    HttpReply reply = HandleProtocolRequest(ctx, path, header, req.body, &log);
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Count(path, reply.status == 200 ? "ok" : log.kind);
    res.status = reply.status;
    res.set_content(reply.body, "application/json");
    if (options_.on_request) options_.on_request(log);
  });
}

bool FleetLockServer::OperatorAllowed(const httplib::Request& req, httplib::Response& res) {
  if (!client_auth()) return true;  // open mode: as before, for loopback deployments
  if (operator_ca_ && operator_ca_->VerifiesPeer(req.ssl)) return true;
  res.status = ErrorKindStatus(ErrorKind::kOperatorOnly);
  res.set_content(EncodeErrorBody({ErrorKind::kOperatorOnly,
                                   "this endpoint needs a certificate of the operator CA"}),
                  "application/json");
  return false;
}

Result<FleetStatus> FleetLockServer::ReadStatus() {
  FleetStatus st;
  st.now = options_.now ? options_.now()
                        : std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  HULL_ASSIGN_OR_RETURN(st.groups, service_.Snapshot());
  if (options_.releases) {
    HULL_ASSIGN_OR_RETURN(st.releases, options_.releases->Snapshot());
  }
  return st;
}

void FleetLockServer::OperatorRoutes() {
  auto status = [this](bool html) {
    return [this, html](const httplib::Request& req, httplib::Response& res) {
      if (!OperatorAllowed(req, res)) return;
      auto st = ReadStatus();
      if (!st) {
        res.status = 503;
        res.set_content(EncodeErrorBody({ErrorKind::kBackendUnavailable, st.error().message()}),
                        "application/json");
        return;
      }
      if (html) {
        res.set_content(StatusPage(*st), "text/html; charset=utf-8");
      } else {
        res.set_content(
            StatusJson(*st).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
            "application/json");
      }
    };
  };
  http_->Get("/v1/status", status(false));
  http_->Get("/", status(true));
  http_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!OperatorAllowed(req, res)) return;
    res.set_content(Metrics(), "text/plain; version=0.0.4");
  });
  if (!options_.releases) return;
  http_->Post("/v1/resume", [this](const httplib::Request& req, httplib::Response& res) {
    if (!OperatorAllowed(req, res)) return;
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    auto field = [&](const char* name) -> std::string {
      return j.is_object() && j.contains(name) && j[name].is_string() ? j[name].get<std::string>()
                                                                      : "";
    };
    auto reply = [&](ErrorKind kind, std::string value) {
      res.status = ErrorKindStatus(kind);
      res.set_content(EncodeErrorBody({kind, std::move(value)}), "application/json");
    };
    if (field("version").empty()) {
      return reply(ErrorKind::kMalformedBody,
                   R"(body must be {"version":V[,"flavor":F,"arch":A]})");
    }
    auto r = options_.releases->Resume(field("version"), field("flavor"), field("arch"));
    if (!r) {
      ErrorCode c = r.error().code();
      return reply(c == ErrorCode::kNotFound          ? ErrorKind::kNotFound
                   : c == ErrorCode::kInvalidArgument ? ErrorKind::kMalformedBody
                                                      : KindOf(r.error()),
                   r.error().message());
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : *r) {
      out.push_back({{"version", h.version}, {"flavor", h.flavor}, {"arch", h.arch}});
    }
    res.set_content(nlohmann::json{{"resumed", out}}.dump(), "application/json");
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
  if (options_.releases) {
    if (auto releases = options_.releases->Snapshot(); releases) {
      out +=
          "# HELP hull_fleetlock_release_halted Whether a release is halted.\n"
          "# TYPE hull_fleetlock_release_halted gauge\n";
      for (const auto& r : *releases) {
        // Label values are validated ([A-Za-z0-9._+-]) when the record is read.
        out += "hull_fleetlock_release_halted{flavor=\"" + r.release.flavor + "\",arch=\"" +
               r.release.arch + "\",version=\"" + r.release.version + "\"} " +
               (r.halted ? "1" : "0") + "\n";
      }
      out +=
          "# HELP hull_fleetlock_release_reports Distinct nodes per release and result.\n"
          "# TYPE hull_fleetlock_release_reports gauge\n";
      for (const auto& r : *releases) {
        std::string labels = "flavor=\"" + r.release.flavor + "\",arch=\"" + r.release.arch +
                             "\",version=\"" + r.release.version + "\"";
        out += "hull_fleetlock_release_reports{" + labels + ",result=\"healthy\"} " +
               std::to_string(r.healthy.size()) + "\n";
        out += "hull_fleetlock_release_reports{" + labels + ",result=\"rolled-back\"} " +
               std::to_string(r.rolled_back.size()) + "\n";
      }
    }
  }
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
  if (!setup_error_.empty()) return Error(ErrorCode::kInvalidArgument, setup_error_);
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

// The FleetLock HTTP server (REFERENCE.md §2.1) on cpp-httplib:
//   POST /v1/pre-reboot, POST /v1/steady-state   the protocol
//   POST /v1/report                              Hull extension: release reports
//   GET  /v1/status                              groups and releases (JSON)
//   GET  /metrics                                Prometheus text format
//   GET  /                                       the status page (HTML)
//   POST /v1/resume                              lift a release halt
// The last four are operator endpoints. With TLS and --client-ca every
// connection needs a certificate from the client CA or the operator CA; a
// protocol request's id must be one of its certificate's identities and an
// operator endpoint needs a certificate of the operator CA
// (docs/fleetlock.md "Who may lock").
// Untrusted requests are capped (body size kMaxRequestBody, a token-bucket
// rate limit) and every refusal is {"kind":...,"value":...} with a kind from
// the closed set in protocol.h.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/result.h"
#include "fleet/lock_service.h"
#include "fleet/protocol.h"
#include "fleet/releases.h"
#include "fleet/status.h"
#include "fleet/tls_identity.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace hull::fleet {

struct HttpReply {
  int status = 200;
  std::string body;
};

// One handled protocol request, for the program's request log.
struct RequestLog {
  std::string endpoint, id, group, kind;  // kind "" on success
  int status = 0;
  bool changed = false;  // a slot was taken or released
  bool halted = false;   // a report halted its release
  double seconds = 0;
};

struct TlsOptions {
  std::string cert, key;    // PEM files; empty = plain HTTP
  std::string client_ca;    // PEM CA of node certificates; empty = no client auth
  std::string operator_ca;  // PEM CA of operator certificates (with client_ca)
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = any free port
  double max_requests_per_second = 500;
  double burst = 1000;
  int threads = 16;
  std::function<void(const RequestLog&)> on_request;  // called from worker threads
  ReleaseTracker* releases = nullptr;  // null: "hull" fields ignored, /v1/report not served
  TlsOptions tls;
  std::function<int64_t()> now = nullptr;  // unix seconds for the status; null = system
};

// The protocol logic without HTTP: what the server answers to a request on
// `endpoint` (kPreRebootPath, kSteadyStatePath or kReportPath) with the given
// value of the fleet-lock-protocol header (nullptr when absent) and body.
// `cert_ids`: the client certificate's identities, or nullptr in open mode.
struct ProtocolContext {
  LockService& service;
  ReleaseTracker* releases = nullptr;
  const std::vector<std::string>* cert_ids = nullptr;
};
HttpReply HandleProtocolRequest(const ProtocolContext& ctx, std::string_view endpoint,
                                const std::string* header, std::string_view body, RequestLog* log);

class FleetLockServer {
 public:
  // `service` must outlive the server.
  FleetLockServer(LockService& service, ServerOptions options);
  ~FleetLockServer();

  // Binds host:port. Returns the bound port. Errors: kUnavailable;
  // kInvalidArgument when the TLS files do not load.
  Result<int> Bind();
  // Serves on a background thread until Stop(). Bind() first.
  void Start();
  // Serves on the calling thread until Stop() (from another thread or a
  // signal handler's helper). Bind() first.
  void Run();
  void Stop();
  int port() const { return port_; }

  // The Prometheus exposition text (also served on /metrics).
  std::string Metrics();
  // Groups and releases from etcd.
  Result<FleetStatus> ReadStatus();
  bool client_auth() const { return !options_.tls.client_ca.empty(); }

 private:
  bool AllowRequest();
  // Operator endpoints: true when allowed, else res holds the refusal.
  bool OperatorAllowed(const httplib::Request& req, httplib::Response& res);
  void ProtocolRoute(std::string path);
  void OperatorRoutes();
  void Count(const std::string& endpoint, const std::string& result);
  void Routes();

  LockService& service_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::optional<CaStore> operator_ca_;
  std::string setup_error_;  // TLS setup failure, reported by Bind()
  std::thread thread_;
  int port_ = 0;

  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point last_refill_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;
};

}  // namespace hull::fleet

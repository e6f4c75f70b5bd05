// The FleetLock HTTP server (REFERENCE.md §2.1) on cpp-httplib:
//   POST /v1/pre-reboot, POST /v1/steady-state   the protocol
//   GET  /v1/status                              holders per group (JSON)
//   GET  /metrics                                Prometheus text format
// Untrusted requests are capped (body size kMaxRequestBody, a token-bucket
// rate limit) and every refusal is {"kind":...,"value":...} with a kind from
// the closed set in protocol.h.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "fleet/lock_service.h"
#include "fleet/protocol.h"

namespace httplib {
class Server;
}

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
  double seconds = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = any free port
  double max_requests_per_second = 500;
  double burst = 1000;
  int threads = 16;
  std::function<void(const RequestLog&)> on_request;  // called from worker threads
};

// The protocol logic without HTTP: what the server answers to a request on
// `endpoint` (kPreRebootPath or kSteadyStatePath) with the given value of the
// fleet-lock-protocol header (nullptr when absent) and body.
HttpReply HandleProtocolRequest(LockService& service, std::string_view endpoint,
                                const std::string* header, std::string_view body, RequestLog* log);

class FleetLockServer {
 public:
  // `service` must outlive the server.
  FleetLockServer(LockService& service, ServerOptions options);
  ~FleetLockServer();

  // Binds host:port. Returns the bound port. Errors: kUnavailable.
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

 private:
  bool AllowRequest();
  void Count(const std::string& endpoint, const std::string& result);
  void Routes();

  LockService& service_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;

  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point last_refill_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;
};

}  // namespace hull::fleet

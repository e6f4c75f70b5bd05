// FleetLock client (REFERENCE.md §2.1; Zincati src/fleet_lock/mod.rs) and the
// node agent's reboot coordination state machine built on it.
//
// The HTTP transport sits behind HttpPoster so the state machine is tested
// with a fake; NetworkPoster is the real one (http/post.h, so the static
// node agent links it).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "fleet/backoff.h"
#include "fleet/protocol.h"

namespace hull::fleet {

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  // POSTs a JSON body with "fleet-lock-protocol: true". Errors: kUnavailable
  // when the server cannot be reached, kTimeout past the request timeout.
  virtual Result<HttpResponse> Post(const std::string& url, const std::string& body) = 0;
};

class NetworkPoster : public HttpPoster {
 public:
  // `timeout`: the whole exchange; `ca_file`: the trust for https;
  // `cert_file`, `key_file`: the client certificate it presents, for a
  // server with --client-ca (see http/connection.h).
  explicit NetworkPoster(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                         std::string ca_file = "", std::string cert_file = "",
                         std::string key_file = "");
  Result<HttpResponse> Post(const std::string& url, const std::string& body) override;

 private:
  std::chrono::milliseconds timeout_;
  std::string ca_file_, cert_file_, key_file_;
};

// Joins base and "v1/pre-reboot". Unlike Zincati's Url::join, a base without
// a trailing slash is treated as a directory (a slash is added), so
// "http://h/fleet" and "http://h/fleet/" mean the same.
std::string JoinUrl(std::string_view base, std::string_view path);

class FleetLockClient {
 public:
  FleetLockClient(HttpPoster& http, std::string base_url, ClientParams params)
      : http_(http), base_url_(std::move(base_url)), params_(std::move(params)) {}

  // One request each. Ok on 200. Errors: kRefused for any other status, the
  // message "<kind>: <value>" (kind as the server sent it, or
  // generic_http_<status>); the transport's kUnavailable/kTimeout.
  Status PreReboot();
  Status SteadyState();
  // The Hull extension (fleet/protocol.h): with `hull` set, pre-reboot
  // names the release about to boot, and Report may be called.
  void set_hull(HullParams hull) { hull_ = std::move(hull); }
  const std::optional<HullParams>& hull() const { return hull_; }
  // POST /v1/report. Ok on 200; errors as PreReboot (a 404 is kRefused with
  // status 404: a server without the extension).
  Status Report(ReportResult result);

  // The kind of the last refusal ("" after a success or a transport error).
  const std::string& last_kind() const { return last_kind_; }
  int last_status() const { return last_status_; }
  const ClientParams& params() const { return params_; }

 private:
  Status Call(std::string_view path, const std::string& body);

  HttpPoster& http_;
  std::string base_url_;
  ClientParams params_;
  std::optional<HullParams> hull_;
  std::string last_kind_;
  int last_status_ = 0;
};

// True for refusals that retrying cannot fix (a 400: bad id, bad or unknown
// group, malformed request), and a halted release (kind hull_release_halted:
// not before the next run). Full semaphores, 429, 5xx and transport errors
// are transient.
bool IsPermanentRefusal(const FleetLockClient& client, const Error& error);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  virtual void SleepFor(std::chrono::milliseconds d) = 0;
};

class SystemClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override;
  void SleepFor(std::chrono::milliseconds d) override;
};

// Calls `call` until it succeeds, sleeping backoff delays between attempts.
// Errors: kTimeout once the deadline has passed (the message names the last
// failure); a permanent refusal at once. `attempts` counts the calls.
Status RetryUntil(FleetLockClient& client, Clock& clock, Backoff& backoff,
                  Status (FleetLockClient::*call)(), std::chrono::steady_clock::time_point deadline,
                  const char* what, unsigned* attempts = nullptr);

// Zincati's reboot coordination, in the agent:
//   kInitialization --Initialize()--> kSteady --AcquireRebootSlot()--> kRebootGranted
// Initialize() calls steady-state until it succeeds (releasing a slot held
// from before the reboot); AcquireRebootSlot() calls pre-reboot until it is
// granted. Both retry with jittered backoff until the deadline.
class RebootCoordinator {
 public:
  enum class State { kInitialization, kSteady, kRebootGranted };

  RebootCoordinator(FleetLockClient& client, Clock& clock, Backoff backoff)
      : client_(client), clock_(clock), backoff_(std::move(backoff)) {}

  // Errors: kTimeout when the deadline passes (message names the last
  // failure); a permanent refusal (see IsPermanentRefusal) at once.
  Status Initialize(std::chrono::steady_clock::time_point deadline);
  // Needs kSteady (kInternal otherwise). Errors as Initialize().
  Status AcquireRebootSlot(std::chrono::steady_clock::time_point deadline);

  State state() const { return state_; }
  unsigned attempts() const { return attempts_; }

 private:
  FleetLockClient& client_;
  Clock& clock_;
  Backoff backoff_;
  State state_ = State::kInitialization;
  unsigned attempts_ = 0;
};

const char* StateName(RebootCoordinator::State state);

}  // namespace hull::fleet

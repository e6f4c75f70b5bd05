#include "fleet/client.h"

#include <thread>

#include "http/post.h"

namespace hull::fleet {
namespace {

// Caps a response body read from the server.
constexpr size_t kMaxResponseBody = 64 * 1024;

}  // namespace

NetworkPoster::NetworkPoster(std::chrono::milliseconds timeout, std::string ca_file,
                             std::string cert_file, std::string key_file)
    : timeout_(timeout),
      ca_file_(std::move(ca_file)),
      cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)) {}

Result<HttpResponse> NetworkPoster::Post(const std::string& url, const std::string& body) {
  http::PostOptions o;
  o.headers = {{std::string(kProtocolHeader), "true"}};
  o.max_response_bytes = kMaxResponseBody;
  o.connect_timeout = std::min(timeout_, o.connect_timeout);
  o.read_timeout = timeout_;
  o.timeout = timeout_;
  o.ca_file = ca_file_;
  o.cert_file = cert_file_;
  o.key_file = key_file_;
  HULL_ASSIGN_OR_RETURN(http::PostResponse r, http::Post(url, body, o));
  return HttpResponse{r.status, std::move(r.body)};
}

std::string JoinUrl(std::string_view base, std::string_view path) {
  std::string url(base);
  if (url.empty() || url.back() != '/') url.push_back('/');
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  url.append(path);
  return url;
}

Status FleetLockClient::Call(std::string_view path, const std::string& body) {
  last_kind_.clear();
  last_status_ = 0;
  auto resp = http_.Post(JoinUrl(base_url_, path), body);
  if (!resp) return std::move(resp).error();
  last_status_ = resp->status;
  if (resp->status == 200) return Ok();
  ProtocolError e = DecodeErrorBody(resp->status, resp->body, &last_kind_);
  return Errorf(ErrorCode::kRefused, "{} (HTTP {}): {}", last_kind_, resp->status, e.value);
}

Status FleetLockClient::PreReboot() {
  ClientParams params = params_;
  params.hull = hull_;
  return Call(kPreRebootPath, EncodeRequestBody(params));
}
Status FleetLockClient::SteadyState() { return Call(kSteadyStatePath, EncodeRequestBody(params_)); }
Status FleetLockClient::Report(ReportResult result) {
  if (!hull_)
    return Errorf(ErrorCode::kInvalidArgument, "a report names a release: set_hull first");
  ClientParams params = params_;
  params.hull = hull_;
  return Call(kReportPath, EncodeReportBody(fleet::Report{std::move(params), result}));
}

bool IsPermanentRefusal(const FleetLockClient& client, const Error& error) {
  return error.code() == ErrorCode::kRefused &&
         (client.last_status() == 400 ||
          client.last_kind() == ErrorKindName(ErrorKind::kReleaseHalted));
}

std::chrono::steady_clock::time_point SystemClock::Now() {
  return std::chrono::steady_clock::now();
}

void SystemClock::SleepFor(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

Status RetryUntil(FleetLockClient& client, Clock& clock, Backoff& backoff,
                  Status (FleetLockClient::*call)(), std::chrono::steady_clock::time_point deadline,
                  const char* what, unsigned* attempts) {
  backoff.Reset();
  for (;;) {
    if (attempts) ++*attempts;
    Status st = (client.*call)();
    if (st) return Ok();
    if (IsPermanentRefusal(client, st.error())) return std::move(st).Context(what);
    auto now = clock.Now();
    if (now >= deadline) {
      return Errorf(ErrorCode::kTimeout, "{}: not granted before the deadline; last: {}", what,
                    st.error().ToString());
    }
    auto delay = backoff.Next();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    clock.SleepFor(std::min(delay, std::max(left, std::chrono::milliseconds(1))));
  }
}

Status RebootCoordinator::Initialize(std::chrono::steady_clock::time_point deadline) {
  HULL_TRY(RetryUntil(client_, clock_, backoff_, &FleetLockClient::SteadyState, deadline,
                      "steady-state", &attempts_));
  state_ = State::kSteady;
  return Ok();
}

Status RebootCoordinator::AcquireRebootSlot(std::chrono::steady_clock::time_point deadline) {
  if (state_ != State::kSteady) {
    return Errorf(ErrorCode::kInternal, "pre-reboot requested in state {}", StateName(state_));
  }
  HULL_TRY(RetryUntil(client_, clock_, backoff_, &FleetLockClient::PreReboot, deadline,
                      "pre-reboot", &attempts_));
  state_ = State::kRebootGranted;
  return Ok();
}

const char* StateName(RebootCoordinator::State state) {
  switch (state) {
    case RebootCoordinator::State::kInitialization:
      return "initialization";
    case RebootCoordinator::State::kSteady:
      return "steady";
    case RebootCoordinator::State::kRebootGranted:
      return "reboot-granted";
  }
  return "?";
}

}  // namespace hull::fleet

#include "fleet/client.h"

#include <curl/curl.h>

#include <thread>

namespace hull::fleet {
namespace {

// Caps a response body read from the server.
constexpr size_t kMaxResponseBody = 64 * 1024;

size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t len = size * n;
  if (out->size() + len > kMaxResponseBody) return 0;  // aborts the transfer
  out->append(data, len);
  return len;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

CurlPoster::CurlPoster(std::chrono::milliseconds timeout) : timeout_(timeout) {
  static CurlGlobal global;
}

Result<HttpResponse> CurlPoster::Post(const std::string& url, const std::string& body) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Error(ErrorCode::kInternal, "curl_easy_init failed");
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "fleet-lock-protocol: true");
  headers = curl_slist_append(headers, "Content-Type: application/json");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> hold(headers, curl_slist_free_all);
  HttpResponse resp;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, long(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(timeout_.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Errorf(ErrorCode::kTimeout, "POST {}: {}", url, curl_easy_strerror(rc));
  }
  if (rc != CURLE_OK) {
    return Errorf(ErrorCode::kUnavailable, "POST {}: {}", url, curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  resp.status = int(status);
  return resp;
}

std::string JoinUrl(std::string_view base, std::string_view path) {
  std::string url(base);
  if (url.empty() || url.back() != '/') url.push_back('/');
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  url.append(path);
  return url;
}

Status FleetLockClient::Call(std::string_view path) {
  last_kind_.clear();
  last_status_ = 0;
  auto resp = http_.Post(JoinUrl(base_url_, path), EncodeRequestBody(params_));
  if (!resp) return std::move(resp).error();
  last_status_ = resp->status;
  if (resp->status == 200) return Ok();
  ProtocolError e = DecodeErrorBody(resp->status, resp->body, &last_kind_);
  return Errorf(ErrorCode::kRefused, "{} (HTTP {}): {}", last_kind_, resp->status, e.value);
}

Status FleetLockClient::PreReboot() { return Call(kPreRebootPath); }
Status FleetLockClient::SteadyState() { return Call(kSteadyStatePath); }

bool IsPermanentRefusal(const FleetLockClient& client, const Error& error) {
  return error.code() == ErrorCode::kRefused && client.last_status() == 400;
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

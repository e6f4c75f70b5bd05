#include "fleet/etcd.h"

#include <curl/curl.h>
#include <unistd.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "crypto/base64.h"

namespace hull::fleet {
namespace {

using json = nlohmann::json;

size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t len = size * n;
  if (out->size() + len > kMaxEtcdResponse) return 0;
  out->append(data, len);
  return len;
}

// The gateway prints int64 as strings; accept numbers too.
Result<int64_t> Int64Field(const json& obj, const char* name) {
  if (!obj.contains(name)) return int64_t{0};  // proto3 JSON omits zero values
  const json& v = obj[name];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    try {
      size_t used = 0;
      int64_t x = std::stoll(s, &used);
      if (used == s.size()) return x;
    } catch (const std::exception&) {
    }
  }
  return Errorf(ErrorCode::kCorrupt, "etcd response field '{}' is not an int64", name);
}

Result<KeyValue> ParseKv(const json& j) {
  if (!j.is_object()) return Error(ErrorCode::kCorrupt, "etcd kv is not an object");
  KeyValue kv;
  if (j.contains("key") && j["key"].is_string()) {
    HULL_ASSIGN_OR_RETURN(Bytes key, crypto::Base64Decode(j["key"].get<std::string>()));
    kv.key.assign(AsChars(key));
  }
  if (j.contains("value") && j["value"].is_string()) {
    HULL_ASSIGN_OR_RETURN(Bytes value, crypto::Base64Decode(j["value"].get<std::string>()));
    kv.value.assign(AsChars(value));
  }
  HULL_ASSIGN_OR_RETURN(kv.version, Int64Field(j, "version"));
  HULL_ASSIGN_OR_RETURN(kv.mod_revision, Int64Field(j, "mod_revision"));
  HULL_ASSIGN_OR_RETURN(kv.lease, Int64Field(j, "lease"));
  return kv;
}

Result<json> ParseJson(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kCorrupt, "etcd gateway response is not a JSON object");
  }
  return j;
}

std::string PrefixEnd(std::string prefix) {
  // The smallest key greater than every key with this prefix.
  while (!prefix.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(prefix.back());
    if (c < 0xff) {
      ++c;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // whole keyspace
}

}  // namespace

Result<std::unique_ptr<EtcdClient>> EtcdClient::Create(std::vector<std::string> endpoints,
                                                       std::chrono::milliseconds timeout,
                                                       EtcdAuth auth) {
  if (endpoints.empty()) return Error(ErrorCode::kInvalidArgument, "no etcd endpoint given");
  for (auto& e : endpoints) {
    if (e.rfind("http://", 0) != 0 && e.rfind("https://", 0) != 0) {
      return Errorf(ErrorCode::kInvalidArgument, "etcd endpoint '{}' is not an http(s) URL", e);
    }
    while (!e.empty() && e.back() == '/') e.pop_back();
  }
  for (const auto& [flag, path] :
       {std::pair{"--etcd-cacert", &auth.cacert}, std::pair{"--etcd-cert", &auth.cert},
        std::pair{"--etcd-key", &auth.key}}) {
    if (!path->empty() && ::access(path->c_str(), R_OK) != 0) {
      return Errorf(ErrorCode::kInvalidArgument, "{} {}: cannot be read", flag, *path);
    }
  }
  if (auth.cert.empty() != auth.key.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--etcd-cert and --etcd-key go together");
  }
  if (!auth.password.empty() && auth.user.empty()) {
    return Error(ErrorCode::kInvalidArgument, "an etcd password needs --etcd-user");
  }
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)init;
  return std::unique_ptr<EtcdClient>(
      new EtcdClient(std::move(endpoints), timeout, std::move(auth)));
}

EtcdClient::EtcdClient(std::vector<std::string> endpoints, std::chrono::milliseconds timeout,
                       EtcdAuth auth)
    : endpoints_(std::move(endpoints)), timeout_(timeout), auth_(std::move(auth)) {}

EtcdClient::~EtcdClient() {
  for (void* h : pool_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* EtcdClient::AcquireHandle() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      void* h = pool_.back();
      pool_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void EtcdClient::ReleaseHandle(void* handle) {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(handle);
}

Result<std::string> EtcdClient::CallOne(const std::string& endpoint, const std::string& path,
                                        const std::string& body, const std::string& token) {
  CURL* c = static_cast<CURL*>(AcquireHandle());
  if (!c) return Error(ErrorCode::kInternal, "curl_easy_init failed");
  curl_easy_reset(c);
  std::string url = endpoint + path;
  std::string resp;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, long(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(timeout_.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(std::min<int64_t>(timeout_.count(), 1000)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!auth_.cacert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, auth_.cacert.c_str());
  if (!auth_.cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, auth_.cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, auth_.key.c_str());
  }
  curl_slist* headers = nullptr;
  std::string auth_header = "Authorization: " + token;
  if (!token.empty()) headers = curl_slist_append(headers, auth_header.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  ReleaseHandle(c);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Errorf(ErrorCode::kTimeout, "etcd {}: {}", url, curl_easy_strerror(rc));
  }
  if (rc != CURLE_OK) {
    return Errorf(ErrorCode::kUnavailable, "etcd {}: {}", url, curl_easy_strerror(rc));
  }
  if (status == 401) {
    return Errorf(ErrorCode::kRefused, "etcd {}: HTTP 401: {}", url, resp.substr(0, 300));
  }
  if (status != 200) {
    return Errorf(status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument,
                  "etcd {}: HTTP {}: {}", url, status, resp.substr(0, 300));
  }
  return resp;
}

Result<std::string> EtcdClient::Authenticate() {
  json req{{"name", auth_.user}, {"password", auth_.password}};
  auto body = CallAny("/v3/auth/authenticate", req.dump(), "");
  if (!body) {
    // etcd answers bad credentials with a 4xx.
    Error e = std::move(body).error();
    if (e.code() == ErrorCode::kInvalidArgument) {
      return Errorf(ErrorCode::kRefused, "etcd authentication as '{}' refused: {}", auth_.user,
                    e.message());
    }
    return e;
  }
  HULL_ASSIGN_OR_RETURN(json j, ParseJson(*body));
  if (!j.contains("token") || !j["token"].is_string() || j["token"].get<std::string>().empty()) {
    return Errorf(ErrorCode::kRefused,
                  "etcd gave no token for user '{}' (is auth enabled on the cluster?)", auth_.user);
  }
  return j["token"].get<std::string>();
}

Result<std::string> EtcdClient::Call(const std::string& path, const std::string& body) {
  if (auth_.user.empty()) return CallAny(path, body, "");
  std::string token;
  {
    std::lock_guard lock(token_mu_);
    token = token_;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (token.empty()) {
      HULL_ASSIGN_OR_RETURN(token, Authenticate());
      std::lock_guard lock(token_mu_);
      token_ = token;
    }
    auto r = CallAny(path, body, token);
    // 401: the simple token expired or was revoked; get a new one once.
    if (r || r.error().code() != ErrorCode::kRefused || attempt == 1) return r;
    token.clear();
  }
  return Error(ErrorCode::kInternal, "unreachable");
}

Result<std::string> EtcdClient::CallAny(const std::string& path, const std::string& body,
                                        const std::string& token) {
  size_t start = preferred_.load();
  std::optional<Error> last;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    size_t idx = (start + i) % endpoints_.size();
    auto r = CallOne(endpoints_[idx], path, body, token);
    if (r) {
      if (i != 0) preferred_.store(idx);
      return r;
    }
    // A 4xx is the request's fault: another member would say the same.
    if (r.error().code() == ErrorCode::kInvalidArgument ||
        r.error().code() == ErrorCode::kRefused) {
      return r;
    }
    last = std::move(r).error();
  }
  return std::move(*last);
}

Result<std::optional<KeyValue>> EtcdClient::Get(const std::string& key) {
  HULL_ASSIGN_OR_RETURN(std::string body,
                        Call("/v3/kv/range", json{{"key", crypto::Base64Encode(key)}}.dump()));
  HULL_ASSIGN_OR_RETURN(json j, ParseJson(body));
  if (!j.contains("kvs") || !j["kvs"].is_array() || j["kvs"].empty()) {
    return std::optional<KeyValue>();
  }
  HULL_ASSIGN_OR_RETURN(KeyValue kv, ParseKv(j["kvs"][0]));
  return std::optional<KeyValue>(std::move(kv));
}

Result<std::vector<KeyValue>> EtcdClient::GetPrefix(const std::string& prefix) {
  json req{{"key", crypto::Base64Encode(prefix)},
           {"range_end", crypto::Base64Encode(PrefixEnd(prefix))}};
  HULL_ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/range", req.dump()));
  HULL_ASSIGN_OR_RETURN(json j, ParseJson(body));
  std::vector<KeyValue> out;
  if (j.contains("kvs") && j["kvs"].is_array()) {
    for (const auto& e : j["kvs"]) {
      HULL_ASSIGN_OR_RETURN(KeyValue kv, ParseKv(e));
      out.push_back(std::move(kv));
    }
  }
  return out;
}

Result<size_t> EtcdClient::CountPrefix(const std::string& prefix) {
  json req{{"key", crypto::Base64Encode(prefix)},
           {"range_end", crypto::Base64Encode(PrefixEnd(prefix))},
           {"count_only", true}};
  HULL_ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/range", req.dump()));
  HULL_ASSIGN_OR_RETURN(json j, ParseJson(body));
  // The gateway writes int64 as a JSON string; absent means 0.
  if (!j.contains("count")) return size_t{0};
  const json& c = j["count"];
  if (c.is_number_unsigned()) return c.get<size_t>();
  if (c.is_string()) {
    const std::string s = c.get<std::string>();
    size_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && p == s.data() + s.size()) return n;
  }
  return Errorf(ErrorCode::kCorrupt, "etcd range: 'count' is not a count");
}

Result<bool> EtcdClient::Txn(const std::vector<VersionEquals>& compare,
                             const std::vector<TxnOp>& ops) {
  json cmp = json::array(), success = json::array();
  for (const auto& c : compare) {
    cmp.push_back({{"key", crypto::Base64Encode(c.key)},
                   {"target", "VERSION"},
                   {"result", "EQUAL"},
                   {"version", std::to_string(c.version)}});
  }
  for (const auto& op : ops) {
    if (op.type == TxnOp::Type::kPut) {
      json put{{"key", crypto::Base64Encode(op.key)}, {"value", crypto::Base64Encode(op.value)}};
      if (op.lease) put["lease"] = std::to_string(op.lease);
      success.push_back({{"request_put", put}});
    } else {
      success.push_back({{"request_delete_range", {{"key", crypto::Base64Encode(op.key)}}}});
    }
  }
  json req{{"compare", cmp}, {"success", success}};
  HULL_ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/txn", req.dump()));
  HULL_ASSIGN_OR_RETURN(json j, ParseJson(body));
  return j.contains("succeeded") && j["succeeded"].is_boolean() && j["succeeded"].get<bool>();
}

Status EtcdClient::Put(const std::string& key, const std::string& value, int64_t lease) {
  json req{{"key", crypto::Base64Encode(key)}, {"value", crypto::Base64Encode(value)}};
  if (lease) req["lease"] = std::to_string(lease);
  HULL_ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/put", req.dump()));
  return ParseJson(body).ok() ? Ok() : Error(ErrorCode::kCorrupt, "etcd put: bad response");
}

Status EtcdClient::Delete(const std::string& key) {
  HULL_ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/deleterange",
                                               json{{"key", crypto::Base64Encode(key)}}.dump()));
  return ParseJson(body).ok() ? Ok() : Error(ErrorCode::kCorrupt, "etcd delete: bad response");
}

Result<int64_t> EtcdClient::LeaseGrant(int64_t ttl_seconds) {
  json req{{"TTL", std::to_string(ttl_seconds)}, {"ID", "0"}};
  HULL_ASSIGN_OR_RETURN(std::string body, Call("/v3/lease/grant", req.dump()));
  HULL_ASSIGN_OR_RETURN(json j, ParseJson(body));
  HULL_ASSIGN_OR_RETURN(int64_t id, Int64Field(j, "ID"));
  if (id == 0) {
    return Errorf(ErrorCode::kUnavailable, "etcd lease grant refused: {}", body.substr(0, 200));
  }
  return id;
}

}  // namespace hull::fleet

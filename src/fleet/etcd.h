// A small etcd v3 client over the gRPC-gateway's HTTP/JSON API (etcd 3.4:
// POST /v3/kv/range, /v3/kv/txn, /v3/kv/put, /v3/kv/deleterange,
// /v3/lease/grant; keys and values base64, int64 fields as JSON strings),
// using libcurl. Only what the FleetLock server needs: reads, compare-and-
// swap transactions on key versions, and leases.
//
// Several endpoints may be given (members of one cluster); a request that
// cannot reach one is retried on the next. Thread-safe: curl handles are
// pooled so keep-alive connections are reused.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::fleet {

// Caps on what etcd's gateway may send back.
inline constexpr size_t kMaxEtcdResponse = 8 << 20;

struct KeyValue {
  std::string key, value;
  int64_t version = 0;  // 1 on creation, +1 per modification
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

// One comparison of a transaction: Version(key) == version (0 = absent).
struct VersionEquals {
  std::string key;
  int64_t version = 0;
};

// One operation of a transaction's success branch.
struct TxnOp {
  enum class Type { kPut, kDelete } type = Type::kPut;
  std::string key, value;
  int64_t lease = 0;
};

// Comparisons and operations one component adds to another's transaction.
struct TxnExtra {
  std::vector<VersionEquals> compare;
  std::vector<TxnOp> ops;
};

// The key-value operations the lock service needs: the seam between the
// service's logic and etcd (EtcdClient below; an in-memory fake in tests).
class KvStore {
 public:
  virtual ~KvStore() = default;
  virtual Result<std::optional<KeyValue>> Get(const std::string& key) = 0;
  virtual Result<std::vector<KeyValue>> GetPrefix(const std::string& prefix) = 0;
  // How many keys start with `prefix` (values not read).
  virtual Result<size_t> CountPrefix(const std::string& prefix) = 0;
  // Runs `ops` iff every comparison holds; returns whether it did.
  virtual Result<bool> Txn(const std::vector<VersionEquals>& compare,
                           const std::vector<TxnOp>& ops) = 0;
  virtual Status Delete(const std::string& key) = 0;
  // Grants a lease of ttl seconds; returns its id.
  virtual Result<int64_t> LeaseGrant(int64_t ttl_seconds) = 0;
};

// How to reach a secured etcd (etcd's own TLS and auth; docs/fleetlock.md).
struct EtcdAuth {
  std::string cacert;          // PEM CA for https endpoints; empty = system store
  std::string cert, key;       // PEM client certificate and key (--client-cert-auth)
  std::string user, password;  // etcd user (auth enable); empty = none
};

class EtcdClient : public KvStore {
 public:
  // endpoints: "http://127.0.0.1:2379" (http or https). With auth.user the
  // client authenticates (/v3/auth/authenticate) on first use and again when
  // etcd says the token is invalid or expired. Errors: kInvalidArgument when
  // empty or not a URL, or a TLS file is missing, or cert without key.
  static Result<std::unique_ptr<EtcdClient>> Create(
      std::vector<std::string> endpoints,
      std::chrono::milliseconds timeout = std::chrono::seconds(3), EtcdAuth auth = {});
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // Errors for every call: kUnavailable (no endpoint reachable, or etcd
  // answered 5xx), kTimeout, kCorrupt (the response did not parse).
  Result<std::optional<KeyValue>> Get(const std::string& key) override;
  Result<std::vector<KeyValue>> GetPrefix(const std::string& prefix) override;
  Result<size_t> CountPrefix(const std::string& prefix) override;
  Result<bool> Txn(const std::vector<VersionEquals>& compare,
                   const std::vector<TxnOp>& ops) override;
  Status Put(const std::string& key, const std::string& value, int64_t lease = 0);
  Status Delete(const std::string& key) override;
  Result<int64_t> LeaseGrant(int64_t ttl_seconds) override;

  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  EtcdClient(std::vector<std::string> endpoints, std::chrono::milliseconds timeout, EtcdAuth auth);
  // POSTs JSON to path on the first reachable endpoint; returns the body.
  // Authenticates first when a user is set, and once more on a 401.
  Result<std::string> Call(const std::string& path, const std::string& body);
  Result<std::string> CallAny(const std::string& path, const std::string& body,
                              const std::string& token);
  Result<std::string> CallOne(const std::string& endpoint, const std::string& path,
                              const std::string& body, const std::string& token);
  // A token from /v3/auth/authenticate. Errors: kRefused on bad credentials.
  Result<std::string> Authenticate();
  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  std::vector<std::string> endpoints_;
  std::chrono::milliseconds timeout_;
  EtcdAuth auth_;
  std::mutex token_mu_;
  std::string token_;
  std::atomic<size_t> preferred_{0};
  std::mutex pool_mu_;
  std::vector<void*> pool_;
};

}  // namespace hull::fleet

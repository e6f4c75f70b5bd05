// An in-memory KvStore with etcd's version semantics, where a test can slip
// a competing write in just before a transaction (a lost race).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleet/etcd.h"

namespace hull::fleet {

class FakeKv : public KvStore {
 public:
  std::map<std::string, KeyValue> kv;
  int64_t revision = 0, next_lease = 100;
  int txns = 0;
  // Runs before each Txn (then cleared when it returns false).
  std::function<bool()> before_txn;

  void Set(const std::string& key, const std::string& value) {
    auto& e = kv[key];
    e.key = key;
    e.value = value;
    ++e.version;
    e.mod_revision = ++revision;
  }
  Result<std::optional<KeyValue>> Get(const std::string& key) override {
    auto it = kv.find(key);
    if (it == kv.end()) return std::optional<KeyValue>();
    return std::optional<KeyValue>(it->second);
  }
  Result<std::vector<KeyValue>> GetPrefix(const std::string& prefix) override {
    std::vector<KeyValue> out;
    for (const auto& [k, v] : kv) {
      if (k.rfind(prefix, 0) == 0) out.push_back(v);
    }
    return out;
  }
  Result<size_t> CountPrefix(const std::string& prefix) override {
    size_t n = 0;
    for (const auto& [k, v] : kv) n += k.rfind(prefix, 0) == 0;
    return n;
  }
  Result<bool> Txn(const std::vector<VersionEquals>& compare,
                   const std::vector<TxnOp>& ops) override {
    ++txns;
    if (before_txn && !before_txn()) before_txn = nullptr;
    for (const auto& c : compare) {
      auto it = kv.find(c.key);
      if ((it == kv.end() ? 0 : it->second.version) != c.version) return false;
    }
    for (const auto& op : ops) {
      if (op.type == TxnOp::Type::kPut) {
        Set(op.key, op.value);
        kv[op.key].lease = op.lease;
      } else {
        kv.erase(op.key);
      }
    }
    return true;
  }
  Status Delete(const std::string& key) override {
    kv.erase(key);
    return Ok();
  }
  Result<int64_t> LeaseGrant(int64_t) override { return next_lease++; }
};

}  // namespace hull::fleet

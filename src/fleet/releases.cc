#include "fleet/releases.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "node/boot_count.h"

namespace hull::fleet {
namespace {

using json = nlohmann::json;

Error Corrupt(std::string_view why) {
  return Errorf(ErrorCode::kCorrupt, "release record: {}", why);
}

Result<std::vector<std::string>> IdList(const json& j, const char* name) {
  std::vector<std::string> out;
  if (!j.contains(name) || j[name].is_null()) return out;
  if (!j[name].is_array())
    return Errorf(ErrorCode::kCorrupt, "release record: '{}' is not a list", name);
  if (j[name].size() > kMaxReleaseNodes) {
    return Errorf(ErrorCode::kCorrupt, "release record: '{}' has more than {} ids", name,
                  kMaxReleaseNodes);
  }
  for (const auto& e : j[name]) {
    if (!e.is_string())
      return Errorf(ErrorCode::kCorrupt, "release record: '{}' holds a non-string", name);
    std::string id = e.get<std::string>();
    if (Status st = ValidateId(id); !st) {
      return Errorf(ErrorCode::kCorrupt, "release record: '{}': {}", name, st.error().message());
    }
    out.push_back(std::move(id));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<uint64_t> Count(const json& j, const char* name) {
  if (!j.contains(name)) return uint64_t{0};
  if (!j[name].is_number_unsigned()) {
    return Errorf(ErrorCode::kCorrupt, "release record: '{}' is not a count", name);
  }
  return j[name].get<uint64_t>();
}

// Inserts id into a sorted list; false when present or the list is full.
bool Insert(std::vector<std::string>& list, const std::string& id) {
  auto it = std::lower_bound(list.begin(), list.end(), id);
  if (it != list.end() && *it == id) return false;
  if (list.size() >= kMaxReleaseNodes) return false;
  list.insert(it, id);
  return true;
}

// Insert into one of `record`'s lists, undone when the encoded record would
// pass kMaxReleaseWrite; false when present or full.
bool InsertCapped(ReleaseRecord& record, std::vector<std::string>& list, const std::string& id) {
  if (!Insert(list, id)) return false;
  if (EncodeReleaseRecord(record).size() <= kMaxReleaseWrite) return true;
  list.erase(std::lower_bound(list.begin(), list.end(), id));
  return false;
}

bool Contains(const std::vector<std::string>& list, const std::string& id) {
  return std::binary_search(list.begin(), list.end(), id);
}

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string ReleaseKey(const HullParams& r) {
  return std::string(kReleasePrefix) + r.flavor + "/" + r.arch + "/" + r.version;
}

Result<ReleaseRecord> ParseReleaseRecord(std::string_view value) {
  if (value.size() > kMaxReleaseValue) return Corrupt("value too large");
  json j = json::parse(value.begin(), value.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("not a JSON object");
  ReleaseRecord r;
  const std::pair<const char*, std::string*> fields[] = {
      {"version", &r.release.version}, {"flavor", &r.release.flavor}, {"arch", &r.release.arch}};
  for (const auto& [name, out] : fields) {
    if (!j.contains(name) || !j[name].is_string()) {
      return Errorf(ErrorCode::kCorrupt, "release record: missing string '{}'", name);
    }
    *out = j[name].get<std::string>();
    if (Status st = ValidateHullField(name, *out); !st) {
      return Errorf(ErrorCode::kCorrupt, "release record: {}", st.error().message());
    }
  }
  HULL_ASSIGN_OR_RETURN(r.tried, IdList(j, "tried"));
  HULL_ASSIGN_OR_RETURN(r.healthy, IdList(j, "healthy"));
  HULL_ASSIGN_OR_RETURN(r.rolled_back, IdList(j, "rolled_back"));
  if (j.contains("halted")) {
    if (!j["halted"].is_boolean()) return Corrupt("'halted' is not a boolean");
    r.halted = j["halted"].get<bool>();
  }
  if (j.contains("halted_at")) {
    if (!j["halted_at"].is_number_integer()) return Corrupt("'halted_at' is not an integer");
    r.halted_at = j["halted_at"].get<int64_t>();
  }
  HULL_ASSIGN_OR_RETURN(r.resumed_failures, Count(j, "resumed_failures"));
  HULL_ASSIGN_OR_RETURN(r.resumed_tried, Count(j, "resumed_tried"));
  if (j.contains("updated_at")) {
    if (!j["updated_at"].is_number_integer()) return Corrupt("'updated_at' is not an integer");
    r.updated_at = j["updated_at"].get<int64_t>();
  }
  return r;
}

std::string EncodeReleaseRecord(const ReleaseRecord& r) {
  json j{{"version", r.release.version},
         {"flavor", r.release.flavor},
         {"arch", r.release.arch},
         {"tried", r.tried},
         {"healthy", r.healthy},
         {"rolled_back", r.rolled_back},
         {"halted", r.halted},
         {"halted_at", r.halted_at},
         {"resumed_failures", r.resumed_failures},
         {"resumed_tried", r.resumed_tried},
         {"updated_at", r.updated_at}};
  return j.dump();
}

bool ShouldHalt(const HaltPolicy& p, const ReleaseRecord& r) {
  if (p.after == 0 && p.fraction <= 0) return false;
  uint64_t failures =
      r.rolled_back.size() - std::min<uint64_t>(r.rolled_back.size(), r.resumed_failures);
  uint64_t tried = r.tried.size() - std::min<uint64_t>(r.tried.size(), r.resumed_tried);
  if (failures == 0) return false;
  if (p.after > 0 && failures < p.after) return false;
  // A node may report without having been counted as tried (granted by
  // another deployment): it tried all the same.
  tried = std::max(tried, failures);
  return p.fraction <= 0 || double(failures) >= p.fraction * double(tried);
}

ReleaseTracker::ReleaseTracker(KvStore& etcd, HaltPolicy policy, int max_cas_attempts,
                               std::function<int64_t()> now)
    : etcd_(etcd),
      policy_(policy),
      max_cas_attempts_(max_cas_attempts),
      now_(now ? std::move(now) : SystemNow) {}

Result<ReleaseTracker::Current> ReleaseTracker::Read(const HullParams& release) {
  HULL_ASSIGN_OR_RETURN(auto kv, etcd_.Get(ReleaseKey(release)));
  Current cur;
  cur.record.release = release;
  if (!kv) return cur;
  cur.exists = true;
  cur.version = kv->version;
  HULL_ASSIGN_OR_RETURN(cur.record, ParseReleaseRecord(kv->value).Context(kv->key));
  if (!(cur.record.release == release)) {
    return Errorf(ErrorCode::kCorrupt, "{}: names another release", kv->key);
  }
  return cur;
}

Result<TxnExtra> ReleaseTracker::GuardPreReboot(const ClientParams& params) {
  const HullParams& release = *params.hull;
  HULL_ASSIGN_OR_RETURN(Current cur, Read(release));
  // A halt keeps further nodes out; a node that named the release before
  // and has not reported a rollback is still inside it: its pre-reboot is
  // the next try of its trial or the reboot of its rollback, which must
  // never wait. A node that reported its rollback is out, like a new one.
  const bool inside =
      Contains(cur.record.tried, params.id) && !Contains(cur.record.rolled_back, params.id);
  if (cur.record.halted && !inside) {
    return Errorf(ErrorCode::kRefused,
                  "release {} ({}/{}) is halted after {} nodes rolled back; "
                  "'hull fleetlock resume {}' lifts the halt",
                  release.version, release.flavor, release.arch, cur.record.rolled_back.size(),
                  release.version);
  }
  TxnExtra extra;
  const std::string key = ReleaseKey(release);
  extra.compare.push_back({key, cur.version});
  if (!cur.exists && limits_.total > 0) {
    // A new record while `total` exist: granted, nothing recorded (the
    // comparison still makes a record created meanwhile retry the grant).
    HULL_ASSIGN_OR_RETURN(size_t n, etcd_.CountPrefix(std::string(kReleasePrefix)));
    if (n >= limits_.total) return extra;
  }
  ReleaseRecord next = cur.record;
  if (InsertCapped(next, next.tried, params.id)) {
    next.updated_at = now_();
    extra.ops.push_back({TxnOp::Type::kPut, key, EncodeReleaseRecord(next)});
  }
  return extra;
}

Result<bool> ReleaseTracker::Record(const Report& report) {
  const HullParams& release = *report.params.hull;
  const std::string key = ReleaseKey(release);
  for (int i = 0; i < max_cas_attempts_; ++i) {
    HULL_ASSIGN_OR_RETURN(Current cur, Read(release));
    if (!cur.exists) {
      return Errorf(ErrorCode::kNotFound,
                    "no node named release {} ({}/{}) in a pre-reboot; nothing to report on",
                    release.version, release.flavor, release.arch);
    }
    ReleaseRecord next = cur.record;
    auto& list = report.result == ReportResult::kHealthy ? next.healthy : next.rolled_back;
    if (Contains(list, report.params.id)) return false;  // retried report: no change
    // A full list (kMaxReleaseNodes ids, or a record at kMaxReleaseWrite)
    // takes no more: the report is answered as recorded, nothing changes
    // (an error would keep the reporting node's slot).
    if (!InsertCapped(next, list, report.params.id)) return false;
    next.updated_at = now_();
    bool halts = !next.halted && ShouldHalt(policy_, next);
    if (halts) {
      next.halted = true;
      next.halted_at = now_();
    }
    HULL_ASSIGN_OR_RETURN(
        bool done,
        etcd_.Txn({{key, cur.version}}, {{TxnOp::Type::kPut, key, EncodeReleaseRecord(next)}}));
    if (done) return halts;
  }
  return Errorf(ErrorCode::kConflict, "release {}: lost the compare-and-swap {} times",
                release.version, max_cas_attempts_);
}

Result<std::vector<HullParams>> ReleaseTracker::Resume(const std::string& version,
                                                       const std::string& flavor,
                                                       const std::string& arch) {
  HULL_TRY(ValidateHullField("version", version));
  HULL_ASSIGN_OR_RETURN(auto records, Snapshot());
  std::vector<HullParams> resumed;
  for (const auto& rec : records) {
    const HullParams& r = rec.release;
    if (r.version != version || (!flavor.empty() && r.flavor != flavor) ||
        (!arch.empty() && r.arch != arch)) {
      continue;
    }
    for (int i = 0;; ++i) {
      if (i == max_cas_attempts_) {
        return Errorf(ErrorCode::kConflict, "release {}: lost the compare-and-swap {} times",
                      version, max_cas_attempts_);
      }
      HULL_ASSIGN_OR_RETURN(Current cur, Read(r));
      if (!cur.record.halted) break;
      ReleaseRecord next = cur.record;
      next.halted = false;
      next.halted_at = 0;
      next.resumed_failures = next.rolled_back.size();
      next.resumed_tried = next.tried.size();
      next.updated_at = now_();
      const std::string key = ReleaseKey(r);
      HULL_ASSIGN_OR_RETURN(
          bool done,
          etcd_.Txn({{key, cur.version}}, {{TxnOp::Type::kPut, key, EncodeReleaseRecord(next)}}));
      if (done) {
        resumed.push_back(r);
        break;
      }
    }
  }
  if (resumed.empty()) {
    return Errorf(ErrorCode::kNotFound, "no halted release {}{}{} in etcd", version,
                  flavor.empty() ? "" : " of flavor " + flavor, arch.empty() ? "" : " for " + arch);
  }
  return resumed;
}

Result<std::vector<HullParams>> ReleaseTracker::Collect() {
  HULL_ASSIGN_OR_RETURN(auto kvs, etcd_.GetPrefix(std::string(kReleasePrefix)));
  struct Item {
    KeyValue kv;
    ReleaseRecord record;
    bool keep_halted = false, remove = false;
  };
  std::vector<Item> items;
  for (auto& kv : kvs) {
    auto r = ParseReleaseRecord(kv.value);
    if (!r.ok() || kv.key != ReleaseKey(r->release)) continue;
    items.push_back({std::move(kv), std::move(*r)});
  }
  auto same_platform = [](const ReleaseRecord& a, const ReleaseRecord& b) {
    return a.release.flavor == b.release.flavor && a.release.arch == b.release.arch;
  };
  // Per platform, highest version first (the order systemd-boot boots in).
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    const HullParams &x = a.record.release, &y = b.record.release;
    if (x.flavor != y.flavor) return x.flavor < y.flavor;
    if (x.arch != y.arch) return x.arch < y.arch;
    return node::CompareVersions(x.version, y.version) > 0;
  });
  const int64_t now = now_();
  for (size_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    if (it.record.halted) {
      // Superseded: a higher version of its platform (sorted before it) that is not halted.
      bool superseded = false;
      for (size_t k = i; k-- > 0 && same_platform(items[k].record, it.record);)
        superseded = superseded || !items[k].record.halted;
      it.keep_halted = !superseded;
    }
    if (!it.keep_halted && limits_.retention > 0 && it.record.updated_at + limits_.retention <= now)
      it.remove = true;
  }
  if (limits_.per_platform > 0) {
    size_t kept = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0 && !same_platform(items[i - 1].record, items[i].record)) kept = 0;
      if (items[i].remove) continue;
      if (kept >= limits_.per_platform && !items[i].keep_halted)
        items[i].remove = true;
      else
        ++kept;
    }
  }
  std::vector<HullParams> removed;
  for (const Item& it : items) {
    if (!it.remove) continue;
    HULL_ASSIGN_OR_RETURN(
        bool done, etcd_.Txn({{it.kv.key, it.kv.version}}, {{TxnOp::Type::kDelete, it.kv.key}}));
    if (done) removed.push_back(it.record.release);
  }
  return removed;
}

Result<std::vector<ReleaseRecord>> ReleaseTracker::Snapshot() {
  HULL_ASSIGN_OR_RETURN(auto kvs, etcd_.GetPrefix(std::string(kReleasePrefix)));
  std::vector<ReleaseRecord> out;
  for (const auto& kv : kvs) {
    HULL_ASSIGN_OR_RETURN(ReleaseRecord r, ParseReleaseRecord(kv.value).Context(kv.key));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hull::fleet

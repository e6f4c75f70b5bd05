#include "tuf/client.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <type_traits>

#include "base/file.h"
#include "base/hex.h"
#include "base/seconds.h"
#include "crypto/digest.h"
#include "tuf/target_name.h"

namespace hull::tuf {
namespace {

template <typename T>
using Parser = Result<T> (*)(const nlohmann::json&);

// Verifies an envelope against `root` for `role` and parses it.
template <typename T>
Result<T> Trusted(ByteSpan bytes, Role role, const Root& root, Parser<T> parse) {
  HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(bytes, role));
  HULL_TRY(VerifyRole(env, root, role));
  return parse(env.signed_json);
}

// A file the signed metadata makes us fetch is absent: a freeze or a broken
// repository, which must not read as "no update" (callers treat kNotFound as
// "nothing matches").
Error Missing(Error e) {
  if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kRefused) return e;
  return Error(ErrorCode::kUnavailable, e.ToString());
}

// State file holding the latest time (Unix seconds, decimal) at which this
// client accepted metadata; tough keeps the same as latest_known_time.json.
constexpr const char* kLatestKnownTime = "latest_known_time";

bool SameKeys(const Root& a, const Root& b, Role role) {
  return a.roles.at(role).keyids == b.roles.at(role).keyids &&
         a.roles.at(role).threshold == b.roles.at(role).threshold;
}

}  // namespace

Status CheckHashes(ByteSpan data, std::optional<uint64_t> length,
                   const std::map<std::string, std::string>& hashes, const std::string& what) {
  if (length && data.size() != *length) {
    return Errorf(ErrorCode::kVerifyFailed, "{} is {} bytes, expected {}", what, data.size(),
                  *length);
  }
  bool checked = false;
  for (const auto& [alg, hex] : hashes) {
    auto a = crypto::ParseDigestAlgorithm(alg);
    if (!a.ok()) continue;
    auto want = HexDecode(hex);
    if (!want || !ConstantTimeEqual(crypto::Digest(*a, data), *want)) {
      return Errorf(ErrorCode::kVerifyFailed, "{} does not match its {} hash", what, alg);
    }
    checked = true;
  }
  if (!hashes.empty() && !checked) {
    return Errorf(ErrorCode::kUnsupported, "{} has no hash algorithm we know", what);
  }
  return Ok();
}

Result<Client> Client::Create(std::unique_ptr<Fetcher> fetcher, ByteSpan trusted_root,
                              std::string state_dir, Clock clock, ClientLimits limits) {
  ClientOptions o;
  o.state_dir = std::move(state_dir);
  o.clock = std::move(clock);
  o.limits = limits;
  return Create(std::move(fetcher), trusted_root, std::move(o));
}

Result<Client> Client::Create(std::unique_ptr<Fetcher> fetcher, ByteSpan trusted_root,
                              ClientOptions o) {
  Client c;
  c.fetcher_ = std::move(fetcher);
  c.state_dir_ = std::move(o.state_dir);
  c.clock_ = o.clock ? std::move(o.clock) : [] { return int64_t(std::time(nullptr)); };
  c.limits_ = o.limits;
  c.floor_ = std::max<int64_t>(o.clock_floor, 0);
  if (auto t = c.LoadState(kLatestKnownTime); t.ok()) {
    // A damaged floor is not taken as 0: that would silently drop the
    // protection it exists for.
    HULL_ASSIGN_OR_RETURN(int64_t known,
                          ParseUnixSeconds(AsChars(*t))
                              .Context(c.state_dir_ + "/" + kLatestKnownTime +
                                       " (remove it to fall back to the clock floor)"));
    c.floor_ = std::max(c.floor_, known);
  }
  Bytes root_bytes(trusted_root.begin(), trusted_root.end());
  if (auto saved = c.LoadState("root.json"); saved.ok()) root_bytes = std::move(*saved);
  // The trusted root is trusted by fiat, but must be signed by its own keys.
  HULL_ASSIGN_OR_RETURN(Envelope env,
                        ParseEnvelope(root_bytes, Role::kRoot).Context("trusted root"));
  HULL_ASSIGN_OR_RETURN(c.root_, ParseRoot(env.signed_json).Context("trusted root"));
  HULL_TRY(VerifyRole(env, c.root_, Role::kRoot).Context("trusted root"));
  if (auto ts = c.LoadState("timestamp.json"); ts.ok()) {
    auto t = Trusted<Timestamp>(*ts, Role::kTimestamp, c.root_, ParseTimestamp);
    if (t.ok()) c.timestamp_ = std::move(*t);
  }
  if (auto sn = c.LoadState("snapshot.json"); sn.ok()) {
    auto s = Trusted<Snapshot>(*sn, Role::kSnapshot, c.root_, ParseSnapshot);
    if (s.ok()) {
      c.snapshot_ = std::move(*s);
      c.local_snapshot_ = std::move(*sn);
    }
  }
  if (auto tg = c.LoadState("targets.json"); tg.ok()) {
    auto t = Trusted<Targets>(*tg, Role::kTargets, c.root_, ParseTargets);
    if (t.ok()) {
      c.targets_ = std::move(*t);
      c.local_targets_ = std::move(*tg);
    }
  }
  return c;
}

Result<Bytes> Client::LoadState(const std::string& name) {
  if (state_dir_.empty()) return Error(ErrorCode::kNotFound, "no state directory");
  return ReadFileBytes(state_dir_ + "/" + name, limits_.targets_bytes);
}

Status Client::Persist(const std::string& name, ByteSpan bytes) {
  if (state_dir_.empty()) return Ok();
  std::error_code ec;
  std::filesystem::create_directories(state_dir_, ec);
  return WriteFileAtomic(state_dir_ + "/" + name, bytes);
}

int64_t Client::Now() const { return std::max(clock_(), floor_); }

Status Client::CheckExpiry(const Common& c, Role role) const {
  if (c.expires <= Now()) {
    return Errorf(ErrorCode::kExpired, "{} metadata version {} expired at {}", RoleName(role),
                  c.version, FormatExpires(c.expires));
  }
  return Ok();
}

Status Client::Refresh() {
  delegated_.clear();
  HULL_TRY(UpdateRoot().Context("root"));
  HULL_TRY(UpdateTimestamp().Context("timestamp"));
  HULL_TRY(UpdateSnapshot().Context("snapshot"));
  HULL_TRY(UpdateTargets().Context("targets"));
  // Everything verified at Now(): no later run may believe an earlier time.
  int64_t now = Now();
  if (now > floor_) {
    HULL_TRY(Persist(kLatestKnownTime, AsBytes(std::to_string(now) + "\n")));
    floor_ = now;
  }
  return Ok();
}

// 5.3: fetch N+1.root.json until absent; each signed by the old and the new
// root's thresholds, with exactly the next version.
Status Client::UpdateRoot() {
  for (uint64_t i = 0; i < limits_.max_root_rotations; ++i) {
    uint64_t next = root_.version + 1;
    std::string name = fmt::format("{}.root.json", next);
    auto bytes = fetcher_->Fetch(name, limits_.root_bytes);
    if (!bytes.ok()) {
      // 5.3.3: the next root is absent. Private buckets say so with 403.
      ErrorCode code = bytes.error().code();
      if (code == ErrorCode::kNotFound || code == ErrorCode::kRefused) break;
      return std::move(bytes).error();
    }
    HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(*bytes, Role::kRoot).Context(name));
    HULL_TRY(VerifyRole(env, root_, Role::kRoot).Context(name + " (by the trusted root's keys)"));
    HULL_ASSIGN_OR_RETURN(Root fresh, ParseRoot(env.signed_json).Context(name));
    HULL_TRY(VerifyRole(env, fresh, Role::kRoot).Context(name + " (by its own keys)"));
    if (fresh.version != next) {
      return Errorf(ErrorCode::kRollback, "{} carries version {}", name, fresh.version);
    }
    // Rotated timestamp or snapshot keys void what they signed (5.3.11).
    if (!SameKeys(root_, fresh, Role::kTimestamp) || !SameKeys(root_, fresh, Role::kSnapshot)) {
      timestamp_.reset();
      snapshot_.reset();
      local_snapshot_.clear();
    }
    if (!SameKeys(root_, fresh, Role::kTargets)) local_targets_.clear();
    root_ = std::move(fresh);
    HULL_TRY(Persist("root.json", *bytes));
  }
  return CheckExpiry(root_, Role::kRoot);
}

// Whether trusted metadata on disk (`local`, empty when none) is what `want`
// names: same version and, when `want` carries them, same length and hashes.
bool Client::IsCurrent(const Bytes& local, const MetaFile& want) {
  if (local.empty()) return false;
  uint64_t version = 0;
  if (auto parsed = nlohmann::json::parse(local.begin(), local.end(), nullptr, false);
      parsed.is_object() && parsed.contains("signed") && parsed["signed"].is_object() &&
      parsed["signed"].contains("version") && parsed["signed"]["version"].is_number_unsigned()) {
    version = parsed["signed"]["version"].get<uint64_t>();
  }
  return version == want.version && CheckHashes(local, want.length, want.hashes, "local").ok();
}

// 5.4
Status Client::UpdateTimestamp() {
  auto fetched = fetcher_->Fetch("timestamp.json", limits_.timestamp_bytes);
  if (!fetched.ok()) return Missing(std::move(fetched).error());
  Bytes bytes = std::move(*fetched);
  HULL_ASSIGN_OR_RETURN(Timestamp t,
                        Trusted<Timestamp>(bytes, Role::kTimestamp, root_, ParseTimestamp));
  if (timestamp_ && t.version == timestamp_->version) {
    // 5.4.3: the same version again. What is trusted stays (a changed body
    // under an old version number is not news), and the rest of the update
    // goes on from it, if it has not expired.
    return CheckExpiry(*timestamp_, Role::kTimestamp);
  }
  if (timestamp_) {
    if (t.version < timestamp_->version) {
      return Errorf(ErrorCode::kRollback, "version {} is older than the trusted version {}",
                    t.version, timestamp_->version);
    }
    if (t.snapshot.version < timestamp_->snapshot.version) {
      return Errorf(ErrorCode::kRollback,
                    "names snapshot version {}, older than the trusted version {}",
                    t.snapshot.version, timestamp_->snapshot.version);
    }
  }
  HULL_TRY(CheckExpiry(t, Role::kTimestamp));
  timestamp_ = std::move(t);
  return Persist("timestamp.json", bytes);
}

// 5.5.1-5.5.3 and 5.6.1-5.6.3: fetches `file` as `want` names it (by version
// under consistent snapshots), capped at its length, checks its hashes and the
// role's signatures, and that it has the version `want` names.
template <typename T>
Result<T> Client::FetchMeta(Role role, const std::string& file, const MetaFile& want,
                            uint64_t max_bytes, Bytes& bytes) {
  std::string name = root_.consistent_snapshot ? fmt::format("{}.{}", want.version, file) : file;
  auto fetched = fetcher_->Fetch(name, want.length.value_or(max_bytes));
  if (!fetched.ok()) return Missing(std::move(fetched).error());
  bytes = std::move(*fetched);
  HULL_TRY(CheckHashes(bytes, want.length, want.hashes, name));
  Parser<T> parse;
  if constexpr (std::is_same_v<T, Snapshot>) {
    parse = ParseSnapshot;
  } else {
    parse = ParseTargets;
  }
  HULL_ASSIGN_OR_RETURN(T meta, Trusted<T>(bytes, role, root_, parse));
  if (meta.version != want.version) {
    return Errorf(ErrorCode::kVerifyFailed,
                  "version {} is not the version {} the {} names (mix-and-match)", meta.version,
                  want.version, role == Role::kSnapshot ? "timestamp" : "snapshot");
  }
  return meta;
}

// 5.5
Status Client::UpdateSnapshot() {
  // The trusted snapshot is the one the timestamp names: nothing to fetch
  // (as python-tuf: only what changed is downloaded).
  if (snapshot_ && IsCurrent(local_snapshot_, timestamp_->snapshot)) {
    return CheckExpiry(*snapshot_, Role::kSnapshot);
  }
  local_snapshot_.clear();
  Bytes bytes;
  HULL_ASSIGN_OR_RETURN(Snapshot s,
                        FetchMeta<Snapshot>(Role::kSnapshot, "snapshot.json", timestamp_->snapshot,
                                            limits_.snapshot_bytes, bytes));
  if (snapshot_) {
    for (const auto& [file, old] : snapshot_->meta) {
      auto it = s.meta.find(file);
      if (it == s.meta.end()) {
        return Errorf(ErrorCode::kRollback, "{} disappeared from the snapshot", file);
      }
      if (it->second.version < old.version) {
        return Errorf(ErrorCode::kRollback, "{} version {} is older than the trusted {}", file,
                      it->second.version, old.version);
      }
    }
  }
  HULL_TRY(CheckExpiry(s, Role::kSnapshot));
  snapshot_ = std::move(s);
  local_snapshot_ = bytes;
  return Persist("snapshot.json", bytes);
}

// 5.6
Status Client::UpdateTargets() {
  auto it = snapshot_->meta.find("targets.json");
  if (it == snapshot_->meta.end()) {
    return Error(ErrorCode::kCorrupt, "snapshot does not name targets.json");
  }
  if (targets_ && IsCurrent(local_targets_, it->second)) {
    return CheckExpiry(*targets_, Role::kTargets);
  }
  local_targets_.clear();
  targets_.reset();
  Bytes bytes;
  HULL_ASSIGN_OR_RETURN(Targets t, FetchMeta<Targets>(Role::kTargets, "targets.json", it->second,
                                                      limits_.targets_bytes, bytes));
  HULL_TRY(CheckExpiry(t, Role::kTargets));
  targets_ = std::move(t);
  local_targets_ = bytes;
  return Persist("targets.json", bytes);
}

Result<const TargetFile*> Client::FindTarget(const std::string& name) const {
  if (!targets_) return Error(ErrorCode::kInvalidArgument, "Refresh() first");
  auto it = targets_->targets.find(name);
  if (it == targets_->targets.end()) {
    return Errorf(ErrorCode::kNotFound, "no target named '{}'", name);
  }
  return &it->second;
}

Result<std::string> Client::TargetPath(const std::string& name) const {
  HULL_ASSIGN_OR_RETURN(const TargetFile* f, FindTarget(name));
  return TargetPath(name, *f);
}

Result<std::string> Client::TargetPath(const std::string& name, const TargetFile& file) const {
  HULL_TRY(CheckTargetName(name));
  const TargetFile* f = &file;
  std::string path = name;
  if (root_.consistent_snapshot) {
    // The sha256 when there is one, else the first hash named (as
    // python-tuf does); ParseTargets refuses an empty hashes object.
    auto h = f->hashes.find("sha256");
    if (h == f->hashes.end()) h = f->hashes.begin();
    if (h == f->hashes.end()) return Error(ErrorCode::kUnsupported, "target has no hash");
    // The digest becomes part of the URL path: it must be hex, never '/' or '.'.
    if (!HexDecode(h->second).ok())
      return Errorf(ErrorCode::kCorrupt, "target {}: {} hash is not hex", name, h->first);
    size_t slash = name.rfind('/');
    path = slash == std::string::npos
               ? h->second + "." + name
               : name.substr(0, slash + 1) + h->second + "." + name.substr(slash + 1);
  }
  // Hex digests and the name's checked segments: encoding keeps the '/'.
  return "targets/" + PercentEncodePath(path);
}

Result<Bytes> Client::FetchTarget(const std::string& name) {
  HULL_ASSIGN_OR_RETURN(const TargetFile* f, FindTarget(name));
  HULL_ASSIGN_OR_RETURN(std::string path, TargetPath(name));
  auto fetched = fetcher_->Fetch(path, f->length);
  if (!fetched.ok()) return Missing(std::move(fetched).error());
  Bytes data = std::move(*fetched);
  HULL_TRY(CheckHashes(data, f->length, f->hashes, "target " + name));
  return data;
}

Result<uint64_t> Client::FetchTargetTo(const std::string& name, const std::string& out) {
  HULL_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(out, 0600));
  uint64_t written = 0;
  HULL_TRY(StreamTarget(name, [&](ByteSpan piece) -> Status {
    HULL_TRY(file.file().WriteAt(written, piece));
    written += piece.size();
    return Ok();
  }));
  HULL_TRY(file.file().Truncate(written));
  HULL_TRY(file.Commit());
  return written;
}

Result<uint64_t> Client::StreamTarget(const std::string& name, const Fetcher::Sink& sink) {
  HULL_ASSIGN_OR_RETURN(const TargetFile* f, FindTarget(name));
  HULL_ASSIGN_OR_RETURN(std::string path, TargetPath(name));
  std::vector<std::pair<crypto::Hasher, Bytes>> hashers;
  for (const auto& [alg, hex] : f->hashes) {
    auto a = crypto::ParseDigestAlgorithm(alg);
    if (!a.ok()) continue;
    auto want = HexDecode(hex);
    if (!want) return Errorf(ErrorCode::kVerifyFailed, "target {}: bad {} hash", name, alg);
    hashers.emplace_back(crypto::Hasher(*a), *want);
  }
  if (hashers.empty()) {
    return Errorf(ErrorCode::kUnsupported, "target {} has no hash algorithm we know", name);
  }
  uint64_t written = 0;
  Status st = fetcher_->FetchTo(path, f->length, [&](ByteSpan piece) -> Status {
    for (auto& h : hashers) h.first.Update(piece);
    HULL_TRY(sink(piece));
    written += piece.size();
    return Ok();
  });
  if (!st.ok()) return Missing(std::move(st).error());
  if (written != f->length) {
    return Errorf(ErrorCode::kVerifyFailed, "target {} is {} bytes, expected {}", name, written,
                  f->length);
  }
  for (auto& [h, want] : hashers) {
    if (!ConstantTimeEqual(h.Final(), want)) {
      return Errorf(ErrorCode::kVerifyFailed, "target {} does not match its {} hash", name,
                    crypto::DigestName(h.algorithm()));
    }
  }
  return written;
}

}  // namespace hull::tuf

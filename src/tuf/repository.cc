#include "tuf/repository.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"
#include "crypto/signature.h"

namespace hull::tuf {
namespace {

namespace fs = std::filesystem;
using Signers = std::vector<const crypto::PrivateKey*>;

int64_t Now(Repository::Clock clock) { return clock ? clock() : int64_t(std::time(nullptr)); }

MetaFile Describe(ByteSpan bytes, uint64_t version) {
  MetaFile m;
  m.version = version;
  m.length = bytes.size();
  m.hashes["sha256"] = HexEncode(crypto::Sha256(bytes));
  return m;
}

Result<Envelope> ReadEnvelope(const std::string& path, Role role) {
  HULL_ASSIGN_OR_RETURN(Bytes b, ReadFileBytes(path, 64 << 20));
  return ParseEnvelope(b, role).Context(path);
}

// The repository as published: root.json and the chain timestamp.json ->
// snapshot -> targets (unverified: the writer's own view).
struct Current {
  Envelope root_env, targets_env, snapshot_env, timestamp_env;
  Root root;
  Targets targets;
  Snapshot snapshot;
  Timestamp timestamp;
};

Result<Current> ReadCurrent(const std::string& dir) {
  Current c;
  HULL_ASSIGN_OR_RETURN(c.root_env, ReadEnvelope(dir + "/root.json", Role::kRoot));
  HULL_ASSIGN_OR_RETURN(c.root, ParseRoot(c.root_env.signed_json));
  HULL_ASSIGN_OR_RETURN(c.timestamp_env, ReadEnvelope(dir + "/timestamp.json", Role::kTimestamp));
  HULL_ASSIGN_OR_RETURN(c.timestamp, ParseTimestamp(c.timestamp_env.signed_json));
  HULL_ASSIGN_OR_RETURN(c.snapshot_env, ReadEnvelope(fmt::format("{}/{}.snapshot.json", dir,
                                                                 c.timestamp.snapshot.version),
                                                     Role::kSnapshot));
  HULL_ASSIGN_OR_RETURN(c.snapshot, ParseSnapshot(c.snapshot_env.signed_json));
  auto t = c.snapshot.meta.find("targets.json");
  if (t == c.snapshot.meta.end()) {
    return Errorf(ErrorCode::kCorrupt, "{}: snapshot names no targets.json", dir);
  }
  HULL_ASSIGN_OR_RETURN(
      c.targets_env,
      ReadEnvelope(fmt::format("{}/{}.targets.json", dir, t->second.version), Role::kTargets));
  HULL_ASSIGN_OR_RETURN(c.targets, ParseTargets(c.targets_env.signed_json));
  return c;
}

// What one publication changes; Publish adds what the new root forces.
struct Plan {
  std::optional<Root> root;               // a new root version, versioned and dated
  std::optional<Targets> targets;         // the new targets content (versioned and dated here)
  std::optional<Bytes> targets_envelope;  // or: targets already versioned, dated and signed
  std::optional<Bytes> root_envelope;     // the new root signed elsewhere (checked)
  bool snapshot = false, timestamp = false;
};

Signers Union(Signers a, const Signers& b) {
  for (const auto* k : b) {
    bool dup = std::any_of(a.begin(), a.end(),
                           [&](const auto* o) { return o->PublicKeyDer() == k->PublicKeyDer(); });
    if (!dup) a.push_back(k);
  }
  return a;
}

// The order of writes is the repository's consistency: see repository.h.
Status Publish(const std::string& dir, const RoleKeySet& keys, const Current& cur, Plan plan,
               const Expiry& e, int64_t now) {
  const Root& root = plan.root ? *plan.root : cur.root;
  if (!plan.targets && !VerifyRole(cur.targets_env, root, Role::kTargets).ok()) {
    plan.targets = cur.targets;
  }
  plan.snapshot =
      plan.snapshot || plan.targets || !VerifyRole(cur.snapshot_env, root, Role::kSnapshot).ok();
  plan.timestamp = plan.timestamp || plan.snapshot ||
                   !VerifyRole(cur.timestamp_env, root, Role::kTimestamp).ok();
  // Every signer is found before the first write.
  Signers root_by, targets_by, snapshot_by, timestamp_by;
  if (plan.root && !plan.root_envelope) {
    HULL_ASSIGN_OR_RETURN(Signers old_by,
                          keys.Signers(cur.root, Role::kRoot)
                              .Context(fmt::format("trusted root version {}", cur.root.version)));
    HULL_ASSIGN_OR_RETURN(
        Signers new_by,
        keys.Signers(root, Role::kRoot).Context(fmt::format("new root version {}", root.version)));
    root_by = Union(old_by, new_by);
  }
  for (auto [role, wanted, by] :
       {std::tuple{Role::kTargets, plan.targets && !plan.targets_envelope, &targets_by},
        {Role::kSnapshot, plan.snapshot, &snapshot_by},
        {Role::kTimestamp, plan.timestamp, &timestamp_by}}) {
    if (!wanted) continue;
    HULL_ASSIGN_OR_RETURN(*by, keys.Signers(root, role));
  }

  if (plan.root) {
    Bytes rb;
    if (plan.root_envelope) {
      rb = *plan.root_envelope;
    } else {
      HULL_ASSIGN_OR_RETURN(rb, SignEnvelope(RootToJson(*plan.root), root_by));
    }
    HULL_TRY(WriteFileAtomic(fmt::format("{}/{}.root.json", dir, plan.root->version), rb));
    HULL_TRY(WriteFileAtomic(dir + "/root.json", rb));
  }
  Snapshot s = cur.snapshot;
  if (plan.targets_envelope) {
    const uint64_t v = plan.targets->version;
    HULL_TRY(WriteFileAtomic(fmt::format("{}/{}.targets.json", dir, v), *plan.targets_envelope));
    s.meta["targets.json"] = Describe(*plan.targets_envelope, v);
  } else if (plan.targets) {
    Targets& t = *plan.targets;
    if (t.version <= cur.targets.version) {  // Refresh: re-signed as they are
      t.version = cur.targets.version + 1;
      t.expires = now + e.targets;
    }
    HULL_ASSIGN_OR_RETURN(Bytes tb, SignEnvelope(TargetsToJson(t), targets_by));
    HULL_TRY(WriteFileAtomic(fmt::format("{}/{}.targets.json", dir, t.version), tb));
    s.meta["targets.json"] = Describe(tb, t.version);
  }
  Timestamp ts = cur.timestamp;
  if (plan.snapshot) {
    s.version = cur.snapshot.version + 1;
    s.expires = now + e.snapshot;
    HULL_ASSIGN_OR_RETURN(Bytes sb, SignEnvelope(SnapshotToJson(s), snapshot_by));
    HULL_TRY(WriteFileAtomic(fmt::format("{}/{}.snapshot.json", dir, s.version), sb));
    ts.snapshot = Describe(sb, s.version);
  }
  if (!plan.timestamp) return Ok();
  ts.version = cur.timestamp.version + 1;
  ts.expires = now + e.timestamp;
  HULL_ASSIGN_OR_RETURN(Bytes tb, SignEnvelope(TimestampToJson(ts), timestamp_by));
  return WriteFileAtomic(dir + "/timestamp.json", tb);
}

Status CheckPlainName(const std::string& name) {
  if (name.empty() || name.find("..") != std::string::npos || name.find('/') != std::string::npos) {
    return Errorf(ErrorCode::kInvalidArgument, "target name '{}' must be a plain file name", name);
  }
  return Ok();
}

// The index of `id` (or of the one key id it is a prefix of) among `ids`.
Result<size_t> FindKeyId(const std::vector<std::string>& ids, const std::string& id, Role role) {
  std::vector<size_t> hits;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == id) return i;
    if (!id.empty() && ids[i].rfind(id, 0) == 0) hits.push_back(i);
  }
  if (hits.size() == 1) return hits[0];
  return Errorf(ErrorCode::kInvalidArgument, "{} key id '{}' {} (see 'hull release keys list')",
                RoleName(role), id,
                hits.empty() ? "is not a key of the role" : "is ambiguous: give more digits");
}

Status ApplyChange(Root& r, const KeyChange& change) {
  if (change.kind == KeyChange::Kind::kResign) return Ok();
  RoleKeys& rk = r.roles[change.role];
  const char* name = RoleName(change.role);
  if (change.kind == KeyChange::Kind::kRotate) {
    if (change.add.empty()) {
      return Errorf(ErrorCode::kInvalidArgument, "rotating the {} role needs a new key", name);
    }
    rk.keyids.clear();
  }
  if (change.kind == KeyChange::Kind::kAdd || change.kind == KeyChange::Kind::kRotate) {
    for (const crypto::PublicKey& pub : change.add) {
      Key k = KeyFromPublic(pub);
      std::string id = KeyId(k);
      if (std::find(rk.keyids.begin(), rk.keyids.end(), id) != rk.keyids.end()) {
        return Errorf(ErrorCode::kInvalidArgument, "key {} is already a {} key", id, name);
      }
      r.keys[id] = k;
      rk.keyids.push_back(id);
    }
  }
  if (change.kind == KeyChange::Kind::kRevoke) {
    HULL_ASSIGN_OR_RETURN(size_t i, FindKeyId(rk.keyids, change.revoke, change.role));
    rk.keyids.erase(rk.keyids.begin() + long(i));
  }
  if (change.threshold) rk.threshold = *change.threshold;
  if (rk.threshold < 1 || rk.threshold > rk.keyids.size()) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "the {} role would have {} key(s) and threshold {}: a threshold must be 1 to "
                  "the number of keys (add a key first, or pass --threshold)",
                  name, rk.keyids.size(), rk.threshold);
  }
  // Keys no role lists any more leave the root.
  std::set<std::string> used;
  for (const auto& [role, keys] : r.roles) used.insert(keys.keyids.begin(), keys.keyids.end());
  std::erase_if(r.keys, [&](const auto& kv) { return !used.count(kv.first); });
  return Ok();
}

}  // namespace

Status Repository::Init(const std::string& dir, const RoleKeySet& keys, const Expiry& e,
                        Clock clock) {
  HULL_ASSIGN_OR_RETURN(Root root, InitRoot(keys, std::nullopt, e, clock));
  return PublishInit(dir, keys, root, std::nullopt, e, clock);
}

Result<Root> Repository::InitRoot(const RoleKeySet& keys,
                                  const std::optional<crypto::PublicKey>& root_key, const Expiry& e,
                                  Clock clock) {
  Root r;
  r.version = 1;
  r.expires = Now(clock) + e.root;
  r.consistent_snapshot = true;
  for (Role role : {Role::kRoot, Role::kTargets, Role::kSnapshot, Role::kTimestamp}) {
    std::optional<crypto::PublicKey> pub;
    if (role == Role::kRoot && root_key) pub = *root_key;
    auto it = keys.keys.find(role);
    if (!pub && it != keys.keys.end() && !it->second.empty()) {
      pub = crypto::PublicKey::Of(it->second.front());
    }
    if (!pub) {
      return Errorf(ErrorCode::kNotFound, "no {} key to create the repository with: pass {}",
                    RoleName(role), KeyFlag(role));
    }
    Key k = KeyFromPublic(*pub);
    r.keys[KeyId(k)] = k;
    r.roles[role] = RoleKeys{{KeyId(k)}, 1};
  }
  return r;
}

Status Repository::PublishInit(const std::string& dir, const RoleKeySet& keys, const Root& r,
                               const std::optional<Bytes>& root_envelope, const Expiry& e,
                               Clock clock) {
  std::error_code ec;
  if (fs::exists(dir + "/root.json")) {
    return Errorf(ErrorCode::kAlreadyExists, "'{}' already holds a repository (root.json)", dir);
  }
  const int64_t now = Now(clock);
  if (r.version != 1) {
    return Errorf(ErrorCode::kRefused, "the first root is version {}, not 1", r.version);
  }
  if (r.expires <= now) {
    return Errorf(ErrorCode::kRefused,
                  "the new root expires {}, which has passed: compose and sign it again",
                  FormatExpires(r.expires));
  }
  // Every signer is found, and a root signed elsewhere checked, before the
  // first write.
  std::map<Role, Signers> by;
  for (Role role : {Role::kRoot, Role::kTargets, Role::kSnapshot, Role::kTimestamp}) {
    if (role == Role::kRoot && root_envelope) continue;
    HULL_ASSIGN_OR_RETURN(by[role], keys.Signers(r, role));
  }
  Bytes rb;
  if (root_envelope) {
    HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(*root_envelope, Role::kRoot));
    if (env.signed_json != RootToJson(r)) {
      return Error(ErrorCode::kRefused, "the signed root is not the staged one");
    }
    HULL_TRY(VerifyRole(env, r, Role::kRoot).Context("the new root version 1"));
    rb = *root_envelope;
  } else {
    HULL_ASSIGN_OR_RETURN(rb, SignEnvelope(RootToJson(r), by[Role::kRoot]));
  }
  fs::create_directories(dir + "/targets", ec);
  if (ec) return Errorf(ErrorCode::kIo, "cannot create '{}': {}", dir, ec.message());
  HULL_TRY(WriteFileAtomic(dir + "/1.root.json", rb));
  HULL_TRY(WriteFileAtomic(dir + "/root.json", rb));

  Targets t;
  t.version = 1;
  t.expires = now + e.targets;
  HULL_ASSIGN_OR_RETURN(Bytes tb, SignEnvelope(TargetsToJson(t), by[Role::kTargets]));
  HULL_TRY(WriteFileAtomic(dir + "/1.targets.json", tb));
  Snapshot s;
  s.version = 1;
  s.expires = now + e.snapshot;
  s.meta["targets.json"] = Describe(tb, 1);
  HULL_ASSIGN_OR_RETURN(Bytes sb, SignEnvelope(SnapshotToJson(s), by[Role::kSnapshot]));
  HULL_TRY(WriteFileAtomic(dir + "/1.snapshot.json", sb));
  Timestamp ts;
  ts.version = 1;
  ts.expires = now + e.timestamp;
  ts.snapshot = Describe(sb, 1);
  HULL_ASSIGN_OR_RETURN(Bytes tsb, SignEnvelope(TimestampToJson(ts), by[Role::kTimestamp]));
  return WriteFileAtomic(dir + "/timestamp.json", tsb);
}

Status Repository::AddTarget(const std::string& dir, const RoleKeySet& keys,
                             const std::string& file, const std::string& name,
                             const nlohmann::json& custom, const Expiry& e, Clock clock) {
  return AddTargets(dir, keys, {{file, name, custom}}, e, clock);
}

Status Repository::AddTargets(const std::string& dir, const RoleKeySet& keys,
                              const std::vector<NewTarget>& add, const Expiry& e, Clock clock) {
  HULL_TRY(CanAddTargets(dir, keys));  // a refused release hashes and copies nothing
  HULL_ASSIGN_OR_RETURN(StagedTargets staged, StageTargets(dir, add, {}, e, clock));
  return PublishTargets(dir, keys, staged, std::nullopt, e, clock);
}

Status Repository::SetCustom(const std::string& dir, const RoleKeySet& keys,
                             const std::map<std::string, nlohmann::json>& custom, const Expiry& e,
                             Clock clock) {
  HULL_TRY(CanAddTargets(dir, keys));
  HULL_ASSIGN_OR_RETURN(StagedTargets staged, StageTargets(dir, {}, custom, e, clock));
  return PublishTargets(dir, keys, staged, std::nullopt, e, clock);
}

Result<Repository::StagedTargets> Repository::StageTargets(
    const std::string& dir, const std::vector<NewTarget>& add,
    const std::map<std::string, nlohmann::json>& custom, const Expiry& e, Clock clock) {
  HULL_ASSIGN_OR_RETURN(Current cur, ReadCurrent(dir));
  StagedTargets st;
  st.base_version = cur.targets.version;
  st.base_sha256 = cur.snapshot.meta["targets.json"].hashes["sha256"];
  Targets& t = st.targets;
  t = cur.targets;
  for (const NewTarget& n : add) {
    HULL_TRY(CheckPlainName(n.name));
    HULL_ASSIGN_OR_RETURN(File in, File::OpenRead(n.file));
    HULL_ASSIGN_OR_RETURN(uint64_t size, in.Size());
    HULL_ASSIGN_OR_RETURN(Bytes digest,
                          crypto::DigestFile(crypto::DigestAlgorithm::kSha256, n.file));
    t.targets[n.name] = TargetFile{size, {{"sha256", HexEncode(digest)}}, n.custom};
    st.files.push_back(n);
  }
  for (const auto& [name, c] : custom) {
    auto it = t.targets.find(name);
    if (it == t.targets.end())
      return Errorf(ErrorCode::kNotFound, "{}: the targets list no '{}'", dir, name);
    it->second.custom = c;
  }
  t.version = cur.targets.version + 1;
  t.expires = Now(clock) + e.targets;
  return st;
}

Status Repository::CanPublishSignedTargets(const Root& root, const RoleKeySet& keys) {
  for (Role role : {Role::kSnapshot, Role::kTimestamp}) HULL_TRY(keys.Signers(root, role));
  return Ok();
}

namespace {
// Copies `from` in as `to` by way of a temporary name, checking the copy's
// length and SHA-256 against what the targets say of it.
Status CopyTarget(const std::string& from, const std::string& to, const TargetFile& want) {
  const std::string tmp = to + ".part";
  std::error_code ec;
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) return Errorf(ErrorCode::kIo, "copying {} to {}: {}", from, to, ec.message());
  auto size = fs::file_size(tmp, ec);
  auto digest = crypto::DigestFile(crypto::DigestAlgorithm::kSha256, tmp);
  auto h = want.hashes.find("sha256");
  if (ec || !digest.ok() || size != want.length || h == want.hashes.end() ||
      HexEncode(*digest) != h->second) {
    fs::remove(tmp, ec);
    return Errorf(ErrorCode::kRefused, "{} is not the file the targets name ({} bytes, sha256 {})",
                  from, want.length, h == want.hashes.end() ? "?" : h->second);
  }
  fs::rename(tmp, to, ec);
  if (ec) return Errorf(ErrorCode::kIo, "renaming {} to {}: {}", tmp, to, ec.message());
  return Ok();
}
}  // namespace

Status Repository::PublishTargets(const std::string& dir, const RoleKeySet& keys,
                                  const StagedTargets& staged, const std::optional<Bytes>& envelope,
                                  const Expiry& e, Clock clock) {
  HULL_ASSIGN_OR_RETURN(Current cur, ReadCurrent(dir));
  const int64_t now = Now(clock);
  auto base = cur.snapshot.meta["targets.json"].hashes["sha256"];
  if (cur.targets.version != staged.base_version || base != staged.base_sha256) {
    return Errorf(ErrorCode::kRefused,
                  "{}: the targets were version {} (sha256 {}) when this change was composed and "
                  "are version {} now: compose it again",
                  dir, staged.base_version, staged.base_sha256, cur.targets.version);
  }
  if (staged.targets.version != staged.base_version + 1) {
    return Errorf(ErrorCode::kRefused, "the new targets are version {}, not {}",
                  staged.targets.version, staged.base_version + 1);
  }
  if (staged.targets.expires <= now) {
    return Errorf(ErrorCode::kRefused,
                  "the new targets expire {}, which has passed: compose and sign them again",
                  FormatExpires(staged.targets.expires));
  }
  if (envelope) {
    HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(*envelope, Role::kTargets));
    if (env.signed_json != TargetsToJson(staged.targets)) {
      return Error(ErrorCode::kRefused, "the signed targets are not the staged ones");
    }
    HULL_TRY(VerifyRole(env, cur.root, Role::kTargets).Context("the new targets"));
    HULL_TRY(CanPublishSignedTargets(cur.root, keys));
  } else {
    HULL_TRY(CanAddTargets(cur.root, keys));
  }
  for (const NewTarget& n : staged.files) {
    HULL_TRY(CheckPlainName(n.name));
    auto it = staged.targets.targets.find(n.name);
    if (it == staged.targets.targets.end()) {
      return Errorf(ErrorCode::kInvalidArgument, "target '{}' is not in the staged targets",
                    n.name);
    }
    auto h = it->second.hashes.find("sha256");
    if (h == it->second.hashes.end()) {
      return Errorf(ErrorCode::kInvalidArgument, "target '{}' has no sha256", n.name);
    }
    HULL_TRY(
        CopyTarget(n.file, fmt::format("{}/targets/{}.{}", dir, h->second, n.name), it->second));
  }
  Plan plan;
  plan.targets = staged.targets;
  if (envelope) {
    plan.targets_envelope = *envelope;
  }
  return Publish(dir, keys, cur, std::move(plan), e, now);
}

Status Repository::CanAddTargets(const std::string& dir, const RoleKeySet& keys) {
  HULL_ASSIGN_OR_RETURN(Root root, ReadRoot(dir));
  return CanAddTargets(root, keys);
}

Status Repository::CanAddTargets(const Root& root, const RoleKeySet& keys) {
  for (Role role : {Role::kTargets, Role::kSnapshot, Role::kTimestamp}) {
    HULL_TRY(keys.Signers(root, role));
  }
  return Ok();
}

Result<std::vector<Role>> Repository::Refresh(const std::string& dir, const RoleKeySet& keys,
                                              const RefreshOptions& o, Clock clock) {
  HULL_ASSIGN_OR_RETURN(Current cur, ReadCurrent(dir));
  int64_t now = Now(clock);
  Plan plan;
  std::optional<Error> missing;
  auto due = [&](Role role, const Common& c) {
    if (c.expires - now > o.window) return false;
    if (auto s = keys.Signers(cur.root, role); !s.ok()) {
      if (!missing) {
        missing = std::move(s).error().Wrap(fmt::format("{} expires {}, within the window",
                                                        RoleName(role), FormatExpires(c.expires)));
      }
      return false;
    }
    return true;
  };
  if (!o.root && cur.root.expires - now <= o.window) {
    // Never silent: a root that expires ends every client's updates.
    missing = Errorf(ErrorCode::kNotFound,
                     "root expires {}, within the window: sign a new root with --root and {}",
                     FormatExpires(cur.root.expires), KeyFlag(Role::kRoot));
  }
  if (o.root) {
    KeyChange resign;
    resign.kind = KeyChange::Kind::kResign;
    HULL_ASSIGN_OR_RETURN(StagedRoot staged, StageRoot(dir, resign, o.expiry, clock));
    plan.root = std::move(staged.root);
  }
  if (due(Role::kTargets, cur.targets)) plan.targets = cur.targets;
  plan.snapshot = due(Role::kSnapshot, cur.snapshot);
  plan.timestamp = due(Role::kTimestamp, cur.timestamp);
  // A role re-signed forces the ones above it: the timestamp key is then needed.
  if ((plan.targets || plan.snapshot) && !plan.timestamp) {
    HULL_TRY(keys.Signers(cur.root, Role::kTimestamp));
    plan.timestamp = true;
  }
  std::vector<Role> resigned;
  if (plan.root) resigned.push_back(Role::kRoot);
  if (plan.targets) resigned.push_back(Role::kTargets);
  if (plan.snapshot || plan.targets) resigned.push_back(Role::kSnapshot);
  if (plan.timestamp) resigned.push_back(Role::kTimestamp);
  if (!resigned.empty()) HULL_TRY(Publish(dir, keys, cur, std::move(plan), o.expiry, now));
  if (missing) {
    std::string done;
    for (Role role : resigned) done += std::string(done.empty() ? "" : ", ") + RoleName(role);
    return std::move(*missing).Wrap(done.empty() ? "nothing re-signed" : "re-signed " + done);
  }
  return resigned;
}

Result<Root> Repository::ChangeKeys(const std::string& dir, const RoleKeySet& keys,
                                    const KeyChange& change, const Expiry& e, Clock clock) {
  HULL_ASSIGN_OR_RETURN(StagedRoot staged, StageRoot(dir, change, e, clock));
  HULL_TRY(PublishRoot(dir, keys, staged, std::nullopt, e, clock));
  return staged.root;
}

Result<Repository::StagedRoot> Repository::StageRoot(const std::string& dir,
                                                     const std::optional<KeyChange>& change,
                                                     const Expiry& e, Clock clock) {
  HULL_ASSIGN_OR_RETURN(Bytes trusted, ReadFileBytes(dir + "/root.json", 64 << 20));
  HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(trusted, Role::kRoot).Context(dir));
  StagedRoot st;
  HULL_ASSIGN_OR_RETURN(st.root, ParseRoot(env.signed_json));
  st.base_version = st.root.version;
  st.base_sha256 = HexEncode(crypto::Sha256(trusted));
  if (!change) return st;
  HULL_TRY(ApplyChange(st.root, *change));
  st.root.version = st.base_version + 1;
  st.root.expires = Now(clock) + e.root;
  return st;
}

std::vector<crypto::PublicKey> Repository::RootSigningKeys(const Root& trusted, const Root& next) {
  std::vector<crypto::PublicKey> out;
  std::set<Bytes> seen;
  for (const Root* r : {&trusted, &next}) {
    auto rk = r->roles.find(Role::kRoot);
    if (rk == r->roles.end()) continue;
    for (const std::string& id : rk->second.keyids) {
      auto k = r->keys.find(id);
      if (k != r->keys.end() && seen.insert(k->second.pub.ToDer()).second)
        out.push_back(k->second.pub);
    }
  }
  return out;
}

Status Repository::PublishRoot(const std::string& dir, const RoleKeySet& keys,
                               const StagedRoot& staged, const std::optional<Bytes>& envelope,
                               const Expiry& e, Clock clock) {
  HULL_ASSIGN_OR_RETURN(Current cur, ReadCurrent(dir));
  HULL_ASSIGN_OR_RETURN(StagedRoot now_trusted, StageRoot(dir, std::nullopt, e, clock));
  const int64_t now = Now(clock);
  if (now_trusted.base_version != staged.base_version ||
      now_trusted.base_sha256 != staged.base_sha256) {
    return Errorf(ErrorCode::kRefused,
                  "{}: the root was version {} (sha256 {}) when this change was composed and is "
                  "version {} (sha256 {}) now: compose it again",
                  dir, staged.base_version, staged.base_sha256, now_trusted.base_version,
                  now_trusted.base_sha256);
  }
  if (staged.root.version != staged.base_version + 1) {
    return Errorf(ErrorCode::kRefused, "the new root is version {}, not {}", staged.root.version,
                  staged.base_version + 1);
  }
  if (staged.root.expires <= now) {
    return Errorf(ErrorCode::kRefused,
                  "the new root expires {}, which has passed: compose and sign it again",
                  FormatExpires(staged.root.expires));
  }
  Plan plan;
  plan.root = staged.root;
  if (envelope) {
    HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(*envelope, Role::kRoot));
    if (env.signed_json != RootToJson(staged.root)) {
      return Error(ErrorCode::kRefused, "the signed root is not the staged one");
    }
    HULL_TRY(VerifyRole(env, cur.root, Role::kRoot)
                 .Context(fmt::format("the new root against trusted root version {}",
                                      cur.root.version)));
    HULL_TRY(VerifyRole(env, staged.root, Role::kRoot)
                 .Context(fmt::format("the new root version {}", staged.root.version)));
    plan.root_envelope = *envelope;
  }
  return Publish(dir, keys, cur, std::move(plan), e, now);
}

Result<Root> Repository::ReadRoot(const std::string& dir) {
  HULL_ASSIGN_OR_RETURN(Envelope env, ReadEnvelope(dir + "/root.json", Role::kRoot));
  return ParseRoot(env.signed_json);
}

Result<Targets> Repository::ReadTargets(const std::string& dir) {
  HULL_ASSIGN_OR_RETURN(Current cur, ReadCurrent(dir));
  return cur.targets;
}

}  // namespace hull::tuf

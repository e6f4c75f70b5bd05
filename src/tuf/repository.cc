#include "tuf/repository.h"

#include <sys/stat.h>

#include <ctime>
#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"

namespace hull::tuf {
namespace {

namespace fs = std::filesystem;

int64_t Now(Repository::Clock clock) { return clock ? clock() : int64_t(std::time(nullptr)); }

Result<crypto::PrivateKey> LoadOrCreate(const std::string& path, bool create,
                                        crypto::KeyType type) {
  if (fs::exists(path)) return crypto::PrivateKey::LoadPem(path);
  if (!create) {
    return Errorf(ErrorCode::kNotFound,
                  "key '{}' is missing (run 'hull release init' to create the role keys)", path);
  }
  HULL_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::Generate(type));
  HULL_TRY(WriteFileAtomic(path, key.ToPem(), 0600));
  return key;
}

MetaFile Describe(ByteSpan bytes, uint64_t version) {
  MetaFile m;
  m.version = version;
  m.length = bytes.size();
  m.hashes["sha256"] = HexEncode(crypto::Sha256(bytes));
  return m;
}

Result<nlohmann::json> ReadSigned(const std::string& path, Role role) {
  HULL_ASSIGN_OR_RETURN(Bytes b, ReadFileBytes(path, 64 << 20));
  HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(b, role).Context(path));
  return env.signed_json;
}

// Publishes snapshot (naming targets version `targets_version`) and
// timestamp, each one version up.
Status PublishSnapshotAndTimestamp(const std::string& dir, const RoleKeySet& keys,
                                   uint64_t targets_version, ByteSpan targets_bytes,
                                   const Expiry& e, int64_t now) {
  Snapshot s;
  s.version = 1;
  if (auto ts = ReadSigned(dir + "/timestamp.json", Role::kTimestamp); ts.ok()) {
    HULL_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(*ts));
    s.version = t.snapshot.version + 1;
  }
  s.expires = now + e.snapshot;
  s.meta["targets.json"] = Describe(targets_bytes, targets_version);
  HULL_ASSIGN_OR_RETURN(Bytes sb, SignEnvelope(SnapshotToJson(s), {&keys.snapshot}));
  HULL_TRY(WriteFileAtomic(fmt::format("{}/{}.snapshot.json", dir, s.version), sb));

  Timestamp t;
  t.version = s.version;
  if (auto ts = ReadSigned(dir + "/timestamp.json", Role::kTimestamp); ts.ok()) {
    HULL_ASSIGN_OR_RETURN(Timestamp old, ParseTimestamp(*ts));
    t.version = old.version + 1;
  }
  t.expires = now + e.timestamp;
  t.snapshot = Describe(sb, s.version);
  HULL_ASSIGN_OR_RETURN(Bytes tb, SignEnvelope(TimestampToJson(t), {&keys.timestamp}));
  return WriteFileAtomic(dir + "/timestamp.json", tb);
}

Result<std::pair<uint64_t, Bytes>> CurrentTargets(const std::string& dir) {
  HULL_ASSIGN_OR_RETURN(nlohmann::json ts, ReadSigned(dir + "/timestamp.json", Role::kTimestamp));
  HULL_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(ts));
  std::string sp = fmt::format("{}/{}.snapshot.json", dir, t.snapshot.version);
  HULL_ASSIGN_OR_RETURN(nlohmann::json sj, ReadSigned(sp, Role::kSnapshot));
  HULL_ASSIGN_OR_RETURN(Snapshot s, ParseSnapshot(sj));
  uint64_t v = s.meta.at("targets.json").version;
  HULL_ASSIGN_OR_RETURN(Bytes tb, ReadFileBytes(fmt::format("{}/{}.targets.json", dir, v)));
  return std::make_pair(v, std::move(tb));
}

}  // namespace

Result<RoleKeySet> RoleKeySet::Load(const std::string& dir, bool create, crypto::KeyType type) {
  if (create) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    ::chmod(dir.c_str(), 0700);
  }
  RoleKeySet k;
  HULL_ASSIGN_OR_RETURN(k.root, LoadOrCreate(dir + "/root.key", create, type));
  HULL_ASSIGN_OR_RETURN(k.targets, LoadOrCreate(dir + "/targets.key", create, type));
  HULL_ASSIGN_OR_RETURN(k.snapshot, LoadOrCreate(dir + "/snapshot.key", create, type));
  HULL_ASSIGN_OR_RETURN(k.timestamp, LoadOrCreate(dir + "/timestamp.key", create, type));
  return k;
}

Status Repository::Init(const std::string& dir, const RoleKeySet& keys, const Expiry& e,
                        Clock clock) {
  std::error_code ec;
  if (fs::exists(dir + "/root.json")) {
    return Errorf(ErrorCode::kAlreadyExists, "'{}' already holds a repository (root.json)", dir);
  }
  fs::create_directories(dir + "/targets", ec);
  if (ec) return Errorf(ErrorCode::kIo, "cannot create '{}': {}", dir, ec.message());
  int64_t now = Now(clock);
  Root r;
  r.version = 1;
  r.expires = now + e.root;
  r.consistent_snapshot = true;
  const std::pair<Role, const crypto::PrivateKey*> roles[] = {{Role::kRoot, &keys.root},
                                                              {Role::kTargets, &keys.targets},
                                                              {Role::kSnapshot, &keys.snapshot},
                                                              {Role::kTimestamp, &keys.timestamp}};
  for (const auto& [role, key] : roles) {
    Key k = KeyFromPublic(crypto::PublicKey::Of(*key));
    r.keys[KeyId(k)] = k;
    r.roles[role] = RoleKeys{{KeyId(k)}, 1};
  }
  HULL_ASSIGN_OR_RETURN(Bytes rb, SignEnvelope(RootToJson(r), {&keys.root}));
  HULL_TRY(WriteFileAtomic(dir + "/1.root.json", rb));
  HULL_TRY(WriteFileAtomic(dir + "/root.json", rb));

  Targets t;
  t.version = 1;
  t.expires = now + e.targets;
  HULL_ASSIGN_OR_RETURN(Bytes tb, SignEnvelope(TargetsToJson(t), {&keys.targets}));
  HULL_TRY(WriteFileAtomic(dir + "/1.targets.json", tb));
  return PublishSnapshotAndTimestamp(dir, keys, 1, tb, e, now);
}

Status Repository::AddTarget(const std::string& dir, const RoleKeySet& keys,
                             const std::string& file, const std::string& name,
                             const nlohmann::json& custom, const Expiry& e, Clock clock) {
  if (name.empty() || name.find("..") != std::string::npos || name.front() == '/' ||
      name.find('/') != std::string::npos) {
    return Errorf(ErrorCode::kInvalidArgument, "target name '{}' must be a plain file name", name);
  }
  HULL_ASSIGN_OR_RETURN(auto current, CurrentTargets(dir));
  HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(current.second, Role::kTargets));
  HULL_ASSIGN_OR_RETURN(Targets t, ParseTargets(env.signed_json));
  HULL_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(file, uint64_t(64) << 30));
  std::string hash = HexEncode(crypto::Sha256(data));
  HULL_TRY(WriteFileAtomic(fmt::format("{}/targets/{}.{}", dir, hash, name), data));
  int64_t now = Now(clock);
  t.version = current.first + 1;
  t.expires = now + e.targets;
  t.targets[name] = TargetFile{data.size(), {{"sha256", hash}}, custom};
  HULL_ASSIGN_OR_RETURN(Bytes tb, SignEnvelope(TargetsToJson(t), {&keys.targets}));
  HULL_TRY(WriteFileAtomic(fmt::format("{}/{}.targets.json", dir, t.version), tb));
  return PublishSnapshotAndTimestamp(dir, keys, t.version, tb, e, now);
}

Status Repository::AddTargets(const std::string& dir, const RoleKeySet& keys,
                              const std::vector<NewTarget>& add, const Expiry& e, Clock clock) {
  HULL_ASSIGN_OR_RETURN(auto current, CurrentTargets(dir));
  HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(current.second, Role::kTargets));
  HULL_ASSIGN_OR_RETURN(Targets t, ParseTargets(env.signed_json));
  for (const NewTarget& n : add) {
    const std::string& name = n.name;
    if (name.empty() || name.find("..") != std::string::npos ||
        name.find('/') != std::string::npos) {
      return Errorf(ErrorCode::kInvalidArgument, "target name '{}' must be a plain file name",
                    name);
    }
    HULL_ASSIGN_OR_RETURN(File in, File::OpenRead(n.file));
    HULL_ASSIGN_OR_RETURN(uint64_t size, in.Size());
    HULL_ASSIGN_OR_RETURN(Bytes digest,
                          crypto::DigestFile(crypto::DigestAlgorithm::kSha256, n.file));
    std::string hash = HexEncode(digest);
    std::string to = fmt::format("{}/targets/{}.{}", dir, hash, name);
    std::error_code ec;
    std::filesystem::copy_file(n.file, to, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return Errorf(ErrorCode::kIo, "copying {} to {}: {}", n.file, to, ec.message());
    t.targets[name] = TargetFile{size, {{"sha256", hash}}, n.custom};
  }
  int64_t now = Now(clock);
  t.version = current.first + 1;
  t.expires = now + e.targets;
  HULL_ASSIGN_OR_RETURN(Bytes tb, SignEnvelope(TargetsToJson(t), {&keys.targets}));
  HULL_TRY(WriteFileAtomic(fmt::format("{}/{}.targets.json", dir, t.version), tb));
  return PublishSnapshotAndTimestamp(dir, keys, t.version, tb, e, now);
}

Status Repository::RefreshTimestamp(const std::string& dir, const RoleKeySet& keys, const Expiry& e,
                                    Clock clock) {
  HULL_ASSIGN_OR_RETURN(nlohmann::json ts, ReadSigned(dir + "/timestamp.json", Role::kTimestamp));
  HULL_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(ts));
  t.version += 1;
  t.expires = Now(clock) + e.timestamp;
  HULL_ASSIGN_OR_RETURN(Bytes tb, SignEnvelope(TimestampToJson(t), {&keys.timestamp}));
  return WriteFileAtomic(dir + "/timestamp.json", tb);
}

Result<Targets> Repository::ReadTargets(const std::string& dir) {
  HULL_ASSIGN_OR_RETURN(auto current, CurrentTargets(dir));
  HULL_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(current.second, Role::kTargets));
  return ParseTargets(env.signed_json);
}

}  // namespace hull::tuf

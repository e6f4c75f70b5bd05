#include "release/offline.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "tuf/canonical_json.h"

namespace hull::release {
namespace {
namespace fs = std::filesystem;
constexpr uint64_t kMaxTargetsPayload = 64 << 20;

// The trusted root's targets keys, in the root's order.
std::vector<crypto::PublicKey> TargetsKeys(const tuf::Root& root) {
  std::vector<crypto::PublicKey> out;
  auto rk = root.roles.find(tuf::Role::kTargets);
  if (rk == root.roles.end()) return out;
  for (const std::string& id : rk->second.keyids) {
    auto k = root.keys.find(id);
    if (k != root.keys.end()) out.push_back(k->second.pub);
  }
  return out;
}

bool IsSha256Hex(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The staged file of a target the new version adds or changes (by content).
Result<std::string> StagedName(const std::string& name, const tuf::TargetFile& f) {
  auto h = f.hashes.find("sha256");
  if (h == f.hashes.end() || !IsSha256Hex(h->second)) {
    return Errorf(ErrorCode::kCorrupt, "signed target '{}' has no sha256 of 64 lowercase hex",
                  name);
  }
  return h->second;
}

bool SameFile(const tuf::TargetFile& a, const tuf::TargetFile& b) {
  return a.length == b.length && a.hashes == b.hashes;
}
}  // namespace

std::string TargetsSubject(const tuf::Repository::StagedTargets& staged) {
  return fmt::format("release targets after version {} (sha256 {})", staged.base_version,
                     staged.base_sha256);
}

namespace {
// A payload's metadata of one kind, parsed by `parse` and accepted only when
// `to_json` of it, in canonical form, is the payload byte for byte.
template <typename T>
Result<T> ParseSigned(ByteSpan payload, const char* what, Result<T> (*parse)(const nlohmann::json&),
                      nlohmann::json (*to_json)(const T&)) {
  nlohmann::json j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Errorf(ErrorCode::kCorrupt, "the {} payload is not a JSON object", what);
  }
  HULL_ASSIGN_OR_RETURN(T t, parse(j).Context(fmt::format("the {} payload", what)));
  HULL_ASSIGN_OR_RETURN(std::string canon, tuf::CanonicalJson(to_json(t)));
  if (canon.size() != payload.size() ||
      !std::equal(canon.begin(), canon.end(), payload.begin(),
                  [](char c, uint8_t b) { return uint8_t(c) == b; })) {
    return Errorf(ErrorCode::kCorrupt,
                  "the {0} payload is not the canonical JSON of {0} metadata Hull writes", what);
  }
  return t;
}
}  // namespace

namespace {
// An injecting session on DIR, refused unless `hull COMMAND --sign-offline`
// made the directory.
Result<signing::SigningSession> OpenInjection(const std::string& dir, const std::string& command) {
  HULL_ASSIGN_OR_RETURN(auto session, signing::SigningSession::Open(
                                          {.sign_offline_dir = {}, .inject_dir = dir}, nullptr));
  const signing::Manifest& m = *session.injected_manifest();
  if (m.command != command) {
    return Errorf(ErrorCode::kRefused, "'{}' was made by hull {}, not by hull {}", dir, m.command,
                  command);
  }
  return session;
}

// The payload of the directory's one metadata item of `role`.
Result<Bytes> RolePayload(const signing::Manifest& m, const std::string& dir,
                          std::string_view role) {
  const signing::Item* item = nullptr;
  for (const signing::Item& i : m.items) {
    if (i.kind == "tuf-metadata" && i.role == role) item = &i;
  }
  if (!item) return Errorf(ErrorCode::kRefused, "'{}' holds no {} metadata to sign", dir, role);
  const std::string path = dir + "/" + item->PayloadFile();
  return ReadFileBytes(path, kMaxTargetsPayload).Context(path);
}

// The signatures over `payload` by each of `keys` whose NAME.sig the
// directory holds; a bad one refuses, the first missing one is kept for the
// caller to report when the signatures found fall short.
struct Collected {
  std::vector<tuf::Signature> sigs;
  std::optional<Error> missing;
};
Result<Collected> CollectSignatures(crypto::Signer& signer, std::string_view role,
                                    const std::vector<crypto::PublicKey>& keys, ByteSpan payload) {
  const std::string_view canon(reinterpret_cast<const char*>(payload.data()), payload.size());
  Collected out;
  for (const crypto::PublicKey& pub : keys) {
    auto sig = signer.Sign(tuf::MetadataSignRequest(role, pub, canon));
    if (!sig.ok()) {
      if (sig.error().code() != ErrorCode::kNotFound) return std::move(sig).error();
      if (!out.missing) out.missing = std::move(sig).error();
      continue;
    }
    out.sigs.push_back({tuf::KeyId(tuf::KeyFromPublic(pub)), std::move(*sig)});
  }
  return out;
}
}  // namespace

Result<tuf::Targets> ParseSignedTargets(ByteSpan payload) {
  return ParseSigned<tuf::Targets>(payload, "targets", tuf::ParseTargets, tuf::TargetsToJson);
}

Result<tuf::Root> ParseSignedRoot(ByteSpan payload) {
  return ParseSigned<tuf::Root>(payload, "root", tuf::ParseRoot, tuf::RootToJson);
}

std::string RootSubject(const tuf::Repository::StagedRoot& staged) {
  if (staged.base_version == 0) return "release root version 1 of a new repository";
  return fmt::format("release root after version {} (sha256 {})", staged.base_version,
                     staged.base_sha256);
}

Status RecordRoot(const tuf::Repository::StagedRoot& staged, const tuf::Root& trusted,
                  const std::string& command, const std::string& dir) {
  HULL_ASSIGN_OR_RETURN(auto session, signing::SigningSession::Open(
                                          {.sign_offline_dir = dir, .inject_dir = {}}, nullptr));
  HULL_TRY(session.Bind(RootSubject(staged)));
  HULL_TRY(tuf::SignEnvelope(tuf::RootToJson(staged.root),
                             tuf::Repository::RootSigningKeys(trusted, staged.root), "root",
                             session.signer()));
  return session.Finish(command);
}

Status RecordInitRoot(const tuf::Root& root, const std::string& command, const std::string& dir) {
  return RecordRoot({.base_version = 0, .base_sha256 = {}, .root = root}, root, command, dir);
}

namespace {
// The new root in the directory's payload, signed by each key of the trusted
// root (none for a first root) and of the new root whose NAME.sig is there
// (a bad one refuses). Short of a threshold, the first missing NAME.sig.
struct SignedRoot {
  tuf::Root root;
  Bytes envelope;
};
Result<SignedRoot> ReadSignedRoot(signing::SigningSession& session, const std::string& dir,
                                  const tuf::Root* trusted) {
  HULL_ASSIGN_OR_RETURN(Bytes payload, RolePayload(*session.injected_manifest(), dir, "root"));
  HULL_ASSIGN_OR_RETURN(tuf::Root next, ParseSignedRoot(payload).Context(dir));
  HULL_ASSIGN_OR_RETURN(
      Collected c, CollectSignatures(
                       session.signer(), "root",
                       tuf::Repository::RootSigningKeys(trusted ? *trusted : next, next), payload));
  auto& [sigs, missing] = c;
  Bytes envelope = tuf::EncodeEnvelope(tuf::RootToJson(next), sigs);
  auto meets = [&](const tuf::Root& r) {
    auto env = tuf::ParseEnvelope(envelope, tuf::Role::kRoot);
    return env.ok() && tuf::VerifyRole(*env, r, tuf::Role::kRoot).ok();
  };
  if (missing && !((!trusted || meets(*trusted)) && meets(next))) {
    const std::string of_trusted =
        trusted ? fmt::format("the trusted root version {} and ", trusted->version) : "";
    return std::move(*missing).Wrap(
        fmt::format("{} of the root signatures {}the new root version {} need", sigs.size(),
                    of_trusted, next.version));
  }
  return SignedRoot{std::move(next), std::move(envelope)};
}
}  // namespace

Status InjectRoot(const std::string& repo, const tuf::RoleKeySet& keys, const std::string& command,
                  const std::string& dir, const tuf::Expiry& expiry, tuf::Repository::Clock clock) {
  HULL_ASSIGN_OR_RETURN(signing::SigningSession session, OpenInjection(dir, command));
  // The trusted root now: the one the directory must have been made on.
  HULL_ASSIGN_OR_RETURN(tuf::Repository::StagedRoot staged,
                        tuf::Repository::StageRoot(repo, std::nullopt, expiry, clock));
  HULL_TRY(session.Bind(RootSubject(staged)));
  // PublishRoot checks both thresholds again, against the repository.
  HULL_ASSIGN_OR_RETURN(SignedRoot signed_root, ReadSignedRoot(session, dir, &staged.root));
  staged.root = std::move(signed_root.root);
  return tuf::Repository::PublishRoot(repo, keys, staged, signed_root.envelope, expiry, clock);
}

Status InjectInitRoot(const std::string& repo, const tuf::RoleKeySet& keys,
                      const std::string& command, const std::string& dir, const tuf::Expiry& expiry,
                      tuf::Repository::Clock clock) {
  HULL_ASSIGN_OR_RETURN(signing::SigningSession session, OpenInjection(dir, command));
  HULL_TRY(session.Bind(RootSubject({})));
  HULL_ASSIGN_OR_RETURN(SignedRoot signed_root, ReadSignedRoot(session, dir, nullptr));
  return tuf::Repository::PublishInit(repo, keys, signed_root.root, signed_root.envelope, expiry,
                                      clock);
}

Status RecordTargets(const std::string& repo, const tuf::Repository::StagedTargets& staged,
                     const std::string& command, const std::string& dir) {
  HULL_ASSIGN_OR_RETURN(tuf::Root root, tuf::Repository::ReadRoot(repo));
  HULL_ASSIGN_OR_RETURN(auto session, signing::SigningSession::Open(
                                          {.sign_offline_dir = dir, .inject_dir = {}}, nullptr));
  HULL_TRY(session.Bind(TargetsSubject(staged)));
  HULL_TRY(tuf::SignEnvelope(tuf::TargetsToJson(staged.targets), TargetsKeys(root), "targets",
                             session.signer()));
  for (const auto& f : staged.files) {
    auto t = staged.targets.targets.find(f.name);
    if (t == staged.targets.targets.end()) {
      return Errorf(ErrorCode::kInternal, "staged target '{}' is not in the targets", f.name);
    }
    HULL_ASSIGN_OR_RETURN(std::string staged_name, StagedName(f.name, t->second));
    HULL_TRY(session.AddStagedFile(staged_name, f.file));
  }
  return session.Finish(command);
}

Status InjectTargets(const std::string& repo, const tuf::RoleKeySet& keys,
                     const std::string& command, const std::string& dir, const tuf::Expiry& expiry,
                     tuf::Repository::Clock clock) {
  HULL_ASSIGN_OR_RETURN(signing::SigningSession session, OpenInjection(dir, command));
  // The published targets now: the base the directory must have been made on.
  HULL_ASSIGN_OR_RETURN(tuf::Repository::StagedTargets staged,
                        tuf::Repository::StageTargets(repo, {}, {}, {}, clock));
  HULL_TRY(session.Bind(TargetsSubject(staged)));
  HULL_ASSIGN_OR_RETURN(tuf::Root root, tuf::Repository::ReadRoot(repo));
  HULL_TRY(tuf::Repository::CanPublishSignedTargets(root, keys));

  HULL_ASSIGN_OR_RETURN(Bytes payload, RolePayload(*session.injected_manifest(), dir, "targets"));
  HULL_ASSIGN_OR_RETURN(tuf::Targets targets, ParseSignedTargets(payload).Context(dir));

  // The signatures: each targets key of the trusted root whose NAME.sig is
  // there (a bad one refuses), up to the threshold.
  HULL_ASSIGN_OR_RETURN(Collected c,
                        CollectSignatures(session.signer(), "targets", TargetsKeys(root), payload));
  auto& [sigs, missing] = c;
  const uint64_t threshold = root.roles[tuf::Role::kTargets].threshold;
  if (sigs.size() < threshold) {
    if (missing) {
      return std::move(*missing).Wrap(
          fmt::format("{} of the {} targets signatures needed", sigs.size(), threshold));
    }
    return Errorf(ErrorCode::kRefused, "'{}' has {} targets signature(s), the threshold is {}", dir,
                  sigs.size(), threshold);
  }

  // The files the new version adds or changes, from DIR/staged.
  for (const auto& [name, f] : targets.targets) {
    auto old = staged.targets.targets.find(name);
    if (old != staged.targets.targets.end() && SameFile(old->second, f)) continue;
    HULL_ASSIGN_OR_RETURN(std::string staged_name, StagedName(name, f));
    const std::string path = fmt::format("{}/{}/{}", dir, signing::kStagedDir, staged_name);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return Errorf(ErrorCode::kNotFound, "'{}' is missing: the file of target '{}'", path, name);
    }
    staged.files.push_back({path, name, f.custom});
  }
  staged.targets = std::move(targets);
  return tuf::Repository::PublishTargets(
      repo, keys, staged, tuf::EncodeEnvelope(tuf::TargetsToJson(staged.targets), sigs), expiry,
      clock);
}

}  // namespace hull::release

#include "signing/offline.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"

namespace hull::signing {
namespace fs = std::filesystem;

namespace {
constexpr uint64_t kMaxPayload = 16 << 20;
constexpr uint64_t kMaxSignature = 64 << 10;

std::string Sha256Hex(ByteSpan data) { return HexEncode(crypto::Sha256(data)); }

Status CheckEmptyOrAbsent(const std::string& dir, const char* flag) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Ok();
  if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
    return Errorf(ErrorCode::kAlreadyExists,
                  "{} directory '{}' exists and is not empty: give a new or empty one", flag, dir);
  }
  return Ok();
}
}  // namespace

Result<Bytes> RecordingSigner::Sign(const crypto::SignRequest& r) {
  if (!ValidItemName(r.item.name)) {
    return Errorf(ErrorCode::kInvalidArgument, "signing item name '{}' is not valid", r.item.name);
  }
  for (const Recorded& x : items_) {
    if (x.item.name == r.item.name) {
      return Errorf(ErrorCode::kInvalidArgument, "signing item '{}' is asked for twice",
                    r.item.name);
    }
  }
  Recorded rec;
  rec.item = {.name = r.item.name,
              .kind = r.kind,
              .role = r.item.role,
              .algorithm = r.algorithm,
              .payload_sha256 = Sha256Hex(r.message),
              .public_key_sha256 = Sha256Hex(r.key.ToDer())};
  rec.payload.assign(r.message.begin(), r.message.end());
  rec.public_key_pem = r.key.ToPem();
  items_.push_back(std::move(rec));
  int size = r.key.get() ? EVP_PKEY_get_size(r.key.get()) : 0;
  return Bytes(size_t(size > 0 ? size : 64), 0);
}

Status RecordingSigner::Write(const std::string& dir, const std::string& command) const {
  if (items_.empty()) return Error(ErrorCode::kInvalidArgument, "nothing to sign was asked for");
  HULL_TRY(CheckEmptyOrAbsent(dir, "--sign-offline"));
  std::error_code ec;
  fs::path target = fs::absolute(dir, ec);
  fs::create_directories(target.parent_path(), ec);
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("." + target.filename().string() + ".signing",
                                                     target.parent_path().string()));
  Manifest m{.command = command, .subject = subject_, .items = {}};
  for (const Recorded& x : items_) {
    HULL_TRY(WriteFileAtomic(tmp.path() + "/" + x.item.PayloadFile(), x.payload));
    HULL_TRY(WriteFileAtomic(tmp.path() + "/" + x.item.PublicKeyFile(), x.public_key_pem));
    m.items.push_back(x.item);
  }
  if (!staged_.empty()) fs::create_directory(tmp.path() + "/" + kStagedDir, ec);
  for (const auto& [name, source] : staged_) {
    const std::string to = tmp.path() + "/" + kStagedDir + "/" + name;
    fs::copy_file(source, to, ec);
    if (ec) return Errorf(ErrorCode::kIo, "copying {} to {}: {}", source, to, ec.message());
  }
  HULL_TRY(WriteFileAtomic(tmp.path() + "/" + kManifestFile, EncodeManifest(m)));
  if (fs::exists(target, ec)) fs::remove(target, ec);  // empty (checked above)
  if (std::rename(tmp.path().c_str(), target.c_str()) != 0) {
    return ErrnoError(errno, "moving the signing directory to", target.string());
  }
  tmp.Release();
  return Ok();
}

Status RecordingSigner::AddStagedFile(const std::string& name, const std::string& source) {
  if (!ValidItemName(name)) {
    return Errorf(ErrorCode::kInvalidArgument, "staged file name '{}' is not valid", name);
  }
  for (const auto& [n, s] : staged_) {
    if (n == name) {
      return Errorf(ErrorCode::kInvalidArgument, "staged file '{}' is given twice", name);
    }
  }
  staged_.emplace_back(name, source);
  return Ok();
}

Result<std::unique_ptr<InjectingSigner>> InjectingSigner::Open(const std::string& dir) {
  const std::string path = dir + "/" + kManifestFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Errorf(ErrorCode::kNotFound,
                  "--inject-signatures: '{}' is missing (make the directory with --sign-offline)",
                  path);
  }
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, kMaxManifestBytes + 1));
  auto signer = std::make_unique<InjectingSigner>();
  HULL_ASSIGN_OR_RETURN(signer->manifest_, ParseManifest(text).Context(path));
  signer->dir_ = dir;
  signer->used_.assign(signer->manifest_.items.size(), false);
  return signer;
}

Result<Bytes> InjectingSigner::Sign(const crypto::SignRequest& r) {
  const Item* item = manifest_.Find(r.item.name);
  if (!item) {
    return Errorf(ErrorCode::kRefused,
                  "'{}/{}' has no item '{}': it was made for other inputs (run --sign-offline "
                  "again)",
                  dir_, kManifestFile, r.item.name);
  }
  const std::string digest = Sha256Hex(r.message);
  if (item->payload_sha256 != digest || item->kind != r.kind || item->role != r.item.role ||
      item->algorithm != r.algorithm || item->public_key_sha256 != Sha256Hex(r.key.ToDer())) {
    return Errorf(ErrorCode::kRefused,
                  "'{}' item '{}' was made for other inputs (payload sha256 {}, now {}; or another "
                  "kind, role, algorithm or key): run --sign-offline again",
                  dir_, item->name, item->payload_sha256, digest);
  }
  const std::string sig_path = dir_ + "/" + item->SignatureFile();
  std::error_code ec;
  if (!fs::exists(sig_path, ec)) {
    return Errorf(ErrorCode::kNotFound,
                  "signature '{}' is missing: sign the directory (hull sign-offline {} --key "
                  "{}=KEY)",
                  sig_path, dir_, item->role);
  }
  HULL_ASSIGN_OR_RETURN(Bytes sig, ReadFileBytes(sig_path, kMaxSignature));
  if (auto st = crypto::VerifyRaw(r.key, r.algorithm, r.message, sig); !st.ok()) {
    return Errorf(ErrorCode::kBadSignature,
                  "signature '{}' does not verify against the '{}' key ({} over {}): {}", sig_path,
                  item->role, crypto::SignatureAlgorithmName(r.algorithm), item->PayloadFile(),
                  st.error().message());
  }
  used_[size_t(item - manifest_.items.data())] = true;
  return sig;
}

Status InjectingSigner::CheckAllUsed() const {
  for (size_t i = 0; i < used_.size(); ++i) {
    if (!used_[i]) {
      return Errorf(ErrorCode::kRefused,
                    "'{}' item '{}' was not asked for: the directory was made for other inputs "
                    "(run --sign-offline again)",
                    dir_, manifest_.items[i].name);
    }
  }
  return Ok();
}

Result<SigningSession> SigningSession::Open(
    const OfflineOptions& options, const std::function<Result<crypto::KeySigner>()>& keys) {
  SigningSession s;
  s.options_ = options;
  if (options.recording() && options.injecting()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--sign-offline and --inject-signatures exclude each other");
  }
  if (options.recording()) {
    HULL_TRY(CheckEmptyOrAbsent(options.sign_offline_dir, "--sign-offline"));
    s.signer_ = std::make_unique<RecordingSigner>();
  } else if (options.injecting()) {
    HULL_ASSIGN_OR_RETURN(s.signer_, InjectingSigner::Open(options.inject_dir));
  } else {
    HULL_ASSIGN_OR_RETURN(crypto::KeySigner k, keys());
    s.signer_ = std::make_unique<crypto::KeySigner>(std::move(k));
  }
  return s;
}

Status SigningSession::Bind(const std::string& subject) {
  if (options_.recording()) {
    static_cast<RecordingSigner&>(*signer_).set_subject(subject);
  } else if (options_.injecting()) {
    const Manifest& m = static_cast<InjectingSigner&>(*signer_).manifest();
    if (m.subject != subject) {
      return Errorf(ErrorCode::kRefused,
                    "'{}/{}' was made for {}, not for this run's {}: run --sign-offline again",
                    options_.inject_dir, kManifestFile,
                    m.subject.empty() ? std::string("no particular input") : m.subject, subject);
    }
  }
  return Ok();
}

Status SigningSession::AddStagedFile(const std::string& name, const std::string& source) {
  if (!options_.recording()) {
    return Error(ErrorCode::kInvalidArgument, "files are staged only with --sign-offline");
  }
  return static_cast<RecordingSigner&>(*signer_).AddStagedFile(name, source);
}

const Manifest* SigningSession::injected_manifest() const {
  return options_.injecting() ? &static_cast<const InjectingSigner&>(*signer_).manifest() : nullptr;
}

Status SigningSession::Finish(const std::string& command) {
  if (options_.recording()) {
    return static_cast<RecordingSigner&>(*signer_).Write(options_.sign_offline_dir, command);
  }
  if (options_.injecting()) return static_cast<InjectingSigner&>(*signer_).CheckAllUsed();
  return Ok();
}

Result<std::pair<std::string, std::string>> SplitKeyArgument(std::string_view arg) {
  std::pair<std::string, std::string> out{"", std::string(arg)};
  const size_t eq = arg.find('=');
  if (eq != std::string_view::npos && eq > 0 && eq <= 64 &&
      arg.substr(0, eq).find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
          std::string_view::npos) {
    out = {std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
  }
  if (out.second.empty()) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "--key '{}': give KEY or ROLE=KEY (keys/db.key, verity=pkcs11:…)", arg);
  }
  return out;
}

namespace {
// The key for item `i`: its role's that is its public key, else a role-less
// one that is; nullptr when none. A role's items may be for several keys (a
// root rotation: the trusted root's and the new root's), so ROLE=KEY signs
// those of the role that are KEY's.
const DirectoryKey* KeyFor(const Item& i, const std::vector<DirectoryKey>& keys,
                           const std::vector<std::string>& key_hashes) {
  const DirectoryKey* by_key = nullptr;
  for (size_t k = 0; k < keys.size(); ++k) {
    if (key_hashes[k] != i.public_key_sha256) continue;
    if (keys[k].role == i.role) return &keys[k];
    if (keys[k].role.empty()) by_key = &keys[k];
  }
  return by_key;
}
}  // namespace

Result<SignDirectoryResult> SignDirectory(const std::string& dir,
                                          const std::vector<DirectoryKey>& keys) {
  HULL_ASSIGN_OR_RETURN(auto injecting, InjectingSigner::Open(dir));
  const Manifest& m = injecting->manifest();
  std::vector<std::string> key_hashes;
  for (const DirectoryKey& k : keys) {
    key_hashes.push_back(Sha256Hex(crypto::PublicKey::Of(k.key).ToDer()));
    const Item* of_role = nullptr;
    bool any = false;
    for (const Item& i : m.items) {
      if (!k.role.empty() && i.role != k.role) continue;
      if (!of_role && !k.role.empty()) of_role = &i;
      any = any || i.public_key_sha256 == key_hashes.back();
    }
    if (any) continue;
    if (of_role) {
      return Errorf(ErrorCode::kRefused,
                    "--key {}={}: the key is not one that the '{}' items are to be signed with "
                    "(e.g. item '{}', '{}/{}')",
                    k.role, k.ref, k.role, of_role->name, dir, of_role->PublicKeyFile());
    }
    if (!k.role.empty()) {
      return Errorf(ErrorCode::kNotFound, "--key {}={}: no item of '{}' has the role '{}'", k.role,
                    k.ref, dir, k.role);
    }
    return Errorf(ErrorCode::kNotFound,
                  "--key {}: no item of '{}' is to be signed with this key (public key sha256 {})",
                  k.ref, dir, key_hashes.back());
  }
  SignDirectoryResult out;
  for (const Item& i : m.items) {
    const DirectoryKey* key = KeyFor(i, keys, key_hashes);
    if (!key) {
      std::error_code ec;
      if (!fs::exists(dir + "/" + i.SignatureFile(), ec)) out.pending.push_back(i.name);
      continue;
    }
    HULL_ASSIGN_OR_RETURN(Bytes payload, ReadFileBytes(dir + "/" + i.PayloadFile(), kMaxPayload));
    if (Sha256Hex(payload) != i.payload_sha256) {
      return Errorf(ErrorCode::kRefused, "'{}/{}' differs from the manifest's payload_sha256", dir,
                    i.PayloadFile());
    }
    HULL_ASSIGN_OR_RETURN(Bytes sig, crypto::SignRaw(key->key, i.algorithm, payload)
                                         .Context(fmt::format("signing item '{}'", i.name)));
    HULL_TRY(WriteFileAtomic(dir + "/" + i.SignatureFile(), sig));
    out.signed_items.push_back(i.name);
  }
  return out;
}

}  // namespace hull::signing

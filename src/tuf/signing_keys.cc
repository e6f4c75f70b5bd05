#include "tuf/signing_keys.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "crypto/signature.h"

namespace hull::tuf {
namespace {

namespace fs = std::filesystem;

constexpr Role kRoles[] = {Role::kRoot, Role::kTargets, Role::kSnapshot, Role::kTimestamp};

bool IsKeyFile(const fs::path& p) { return p.extension() == ".key"; }

// Key files in `dir` that `match` accepts, sorted (a deterministic order).
std::vector<std::string> KeyFiles(const std::string& dir, const auto& match) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec) && IsKeyFile(e.path()) && match(e.path().filename().string())) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A role path naming a key by URI rather than by file (KeySources::load
// resolves it; this library only recognises the scheme).
bool IsKeyUri(const std::string& p) { return p.rfind("pkcs11:", 0) == 0; }

Status LoadFiles(const std::vector<std::string>& files, const KeyLoader& load,
                 std::vector<crypto::PrivateKey>& out) {
  for (const std::string& f : files) {
    auto loaded = load ? load(f) : crypto::PrivateKey::LoadPem(f).Context(f);
    HULL_ASSIGN_OR_RETURN(crypto::PrivateKey k, std::move(loaded));
    out.push_back(std::move(k));
  }
  return Ok();
}

}  // namespace

std::string KeyFlag(Role role) { return fmt::format("--{}-keys", RoleName(role)); }

Result<RoleKeySet> RoleKeySet::Load(const KeySources& src) {
  RoleKeySet set;
  std::error_code ec;
  if (!src.dir.empty() && !fs::is_directory(src.dir, ec)) {
    return Errorf(ErrorCode::kNotFound, "--keys {}: no such directory", src.dir);
  }
  for (Role role : kRoles) {
    const std::string name = RoleName(role);
    std::vector<std::string> files;
    if (auto p = src.paths.find(role); p != src.paths.end()) {
      if (IsKeyUri(p->second) && src.load) {
        files = {p->second};
      } else if (fs::is_directory(p->second, ec)) {
        files = KeyFiles(p->second, [](const std::string&) { return true; });
      } else if (fs::exists(p->second, ec)) {
        files = {p->second};
      } else {
        return Errorf(ErrorCode::kNotFound, "{} {}: no such file or directory", KeyFlag(role),
                      p->second);
      }
      set.looked_in[role] = p->second;
    } else if (!src.dir.empty()) {
      files = KeyFiles(src.dir, [&](const std::string& f) {
        return f == name + ".key" || f.rfind(name + "-", 0) == 0;
      });
      set.looked_in[role] = fmt::format("{} ({}.key, {}-*.key)", src.dir, name, name);
    } else {
      set.looked_in[role] = "no key directory";
    }
    HULL_TRY(LoadFiles(files, src.load, set.keys[role]));
  }
  return set;
}

Result<RoleKeySet> RoleKeySet::Load(const std::string& dir, bool create, crypto::KeyType type,
                                    KeyLoader load, const std::set<Role>& held_elsewhere) {
  if (create) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Errorf(ErrorCode::kIo, "cannot create '{}': {}", dir, ec.message());
    ::chmod(dir.c_str(), 0700);
    for (Role role : kRoles) {
      if (held_elsewhere.count(role)) continue;
      std::string path = fmt::format("{}/{}.key", dir, RoleName(role));
      if (fs::exists(path, ec)) continue;
      HULL_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::Generate(type));
      HULL_TRY(WriteFileAtomic(path, key.ToPem(), 0600));
    }
  }
  return Load(KeySources{dir, {}, std::move(load)});
}

std::vector<const crypto::PrivateKey*> RoleKeySet::For(const Root& root, Role role) const {
  std::vector<const crypto::PrivateKey*> out;
  auto have = keys.find(role);
  auto rk = root.roles.find(role);
  if (have == keys.end() || rk == root.roles.end()) return out;
  for (const crypto::PrivateKey& k : have->second) {
    Bytes der = k.PublicKeyDer();
    bool listed = std::any_of(rk->second.keyids.begin(), rk->second.keyids.end(), [&](auto& id) {
      auto key = root.keys.find(id);
      return key != root.keys.end() && key->second.pub.ToDer() == der;
    });
    bool dup =
        std::any_of(out.begin(), out.end(), [&](auto* o) { return o->PublicKeyDer() == der; });
    if (listed && !dup) out.push_back(&k);
  }
  return out;
}

Result<std::vector<const crypto::PrivateKey*>> RoleKeySet::Signers(const Root& root,
                                                                   Role role) const {
  auto out = For(root, role);
  uint64_t threshold = root.roles.count(role) ? root.roles.at(role).threshold : 1;
  if (out.size() < threshold) {
    auto where = looked_in.find(role);
    return Errorf(ErrorCode::kNotFound,
                  "the {} role needs {} of its keys, {} found in {}: pass {} FILE|DIR",
                  RoleName(role), threshold, out.size(),
                  where == looked_in.end() ? "no key directory" : where->second, KeyFlag(role));
  }
  return out;
}

}  // namespace hull::tuf

// hull release keys list|add|revoke|rotate|threshold: the keys and m-of-n
// thresholds of a repository's roles, changed by TUF root rotation.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "base/file.h"
#include "cli.h"
#include "crypto/signature.h"
#include "release/offline.h"
#include "release_flags.h"
#include "tuf/repository.h"

namespace hull::cli {
namespace {

struct KeysArgs {
  KeyFlags keys;
  ExpiryFlags expiry;
  OfflineFlags offline;
  std::string repo, role = "", key_type = "ed25519", public_key, out_dir, keyid;
  uint64_t threshold = 0, count = 1;
  bool json = false;
};

Result<tuf::Role> ParseRole(const std::string& name) {
  for (tuf::Role r :
       {tuf::Role::kRoot, tuf::Role::kTargets, tuf::Role::kSnapshot, tuf::Role::kTimestamp}) {
    if (name == tuf::RoleName(r)) return r;
  }
  return Errorf(ErrorCode::kInvalidArgument,
                "--role '{}' is not a top-level role (root, targets, snapshot, timestamp)", name);
}

std::string Path(const KeyFlags& f, tuf::Role role) {
  switch (role) {
    case tuf::Role::kRoot:
      return f.root;
    case tuf::Role::kTargets:
      return f.targets;
    case tuf::Role::kSnapshot:
      return f.snapshot;
    case tuf::Role::kTimestamp:
      return f.timestamp;
  }
  return {};
}

// Where a new key of `role` is written: --out-dir, else the role's own key
// directory, else the common one.
Result<std::string> OutDir(const KeysArgs& a, tuf::Role role) {
  std::error_code ec;
  if (!a.out_dir.empty()) return a.out_dir;
  std::string own = Path(a.keys, role);
  if (!own.empty() && std::filesystem::is_directory(own, ec)) return own;
  if (!a.keys.dir.empty()) return a.keys.dir;
  return Errorf(ErrorCode::kInvalidArgument,
                "no place for the new {} key: pass --out-dir DIR (or --keys DIR)",
                tuf::RoleName(role));
}

void PrintRoot(const tuf::Root& root, const tuf::RoleKeySet& keys, bool json) {
  nlohmann::json roles = nlohmann::json::object();
  for (const auto& [role, rk] : root.roles) {
    std::vector<const crypto::PrivateKey*> at_hand = keys.For(root, role);
    nlohmann::json list = nlohmann::json::array();
    for (const std::string& id : rk.keyids) {
      const tuf::Key& k = root.keys.at(id);
      bool here = std::any_of(at_hand.begin(), at_hand.end(),
                              [&](const auto* p) { return p->PublicKeyDer() == k.pub.ToDer(); });
      list.push_back(
          {{"keyid", id}, {"keytype", k.keytype}, {"scheme", k.scheme}, {"at_hand", here}});
    }
    roles[tuf::RoleName(role)] = {{"threshold", rk.threshold}, {"keys", list}};
  }
  if (json) {
    PrintJson({{"version", root.version},
               {"expires", tuf::FormatExpires(root.expires)},
               {"roles", roles}});
    return;
  }
  std::printf("root version %llu, expires %s\n", (unsigned long long)root.version,
              tuf::FormatExpires(root.expires).c_str());
  for (const auto& [name, r] : roles.items()) {
    std::printf("%s: %llu of %zu\n", name.c_str(),
                (unsigned long long)r["threshold"].get<uint64_t>(), r["keys"].size());
    for (const auto& k : r["keys"]) {
      std::printf("  %s  %-20s %s\n", k["keyid"].get<std::string>().c_str(),
                  k["scheme"].get<std::string>().c_str(),
                  k["at_hand"].get<bool>() ? "at hand" : "");
    }
  }
}

int RunList(const KeysArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(tuf::Root root, tuf::Repository::ReadRoot(a.repo));
    HULL_ASSIGN_OR_RETURN(auto keys, LoadKeys(a.keys));
    PrintRoot(root, keys, a.json);
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("release keys list"));
}

// The injecting run of a change stopped with --sign-offline: publishes the
// root signed in the directory (release/offline.h).
int InjectRoot(const KeysArgs& a, const std::string& command) {
  auto run = [&]() -> Status {
    if (!a.role.empty() || !a.keyid.empty() || a.threshold || !a.public_key.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "--inject-signatures publishes the change the directory holds: give only REPO, "
                   "--inject-signatures DIR and the keys (no --role, KEYID, --threshold or "
                   "--public)");
    }
    HULL_ASSIGN_OR_RETURN(tuf::Expiry e, ParseExpiry(a.expiry));
    HULL_ASSIGN_OR_RETURN(auto k, LoadKeys(a.keys));
    return release::InjectRoot(a.repo, k, command, a.offline.inject, e);
  };
  Status st = run();
  if (!st.ok()) return ReportError(std::move(st).error().Wrap(command));
  auto root = tuf::Repository::ReadRoot(a.repo);
  std::printf("Published root version %llu signed in %s.\n",
              root.ok() ? (unsigned long long)root->version : 0ULL, a.offline.inject.c_str());
  return kExitOk;
}

// Generates (or reads with --public) the new keys, writes the private ones
// beside the role's keys, and publishes the change (or, with --sign-offline,
// writes what the root keys must sign and stops); a refused change leaves
// no new key file behind.
int RunChange(const KeysArgs& a, tuf::KeyChange::Kind kind, const char* what) {
  const std::string command = fmt::format("release keys {}", what);
  if (!a.offline.inject.empty()) return InjectRoot(a, command);
  std::vector<std::string> written;
  auto run = [&]() -> Result<tuf::Root> {
    tuf::KeyChange change;
    change.kind = kind;
    if (a.role.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "--role is required (root, targets, snapshot or timestamp)");
    }
    if (kind == tuf::KeyChange::Kind::kRevoke && a.keyid.empty()) {
      return Error(ErrorCode::kInvalidArgument, "KEYID is required: the key to revoke");
    }
    if (kind == tuf::KeyChange::Kind::kThreshold && !a.threshold) {
      return Error(ErrorCode::kInvalidArgument, "--threshold is required");
    }
    HULL_ASSIGN_OR_RETURN(change.role, ParseRole(a.role));
    if (a.threshold) change.threshold = a.threshold;
    change.revoke = a.keyid;
    HULL_ASSIGN_OR_RETURN(tuf::Expiry expiry, ParseExpiry(a.expiry));
    HULL_ASSIGN_OR_RETURN(auto keys, LoadKeys(a.keys));
    bool adds = kind == tuf::KeyChange::Kind::kAdd || kind == tuf::KeyChange::Kind::kRotate;
    if (adds && !a.public_key.empty()) {
      HULL_ASSIGN_OR_RETURN(std::string pem, ReadFileText(a.public_key, 1 << 20));
      HULL_ASSIGN_OR_RETURN(auto pub, crypto::PublicKey::FromPem(pem).Context(a.public_key));
      change.add.push_back(pub);
    } else if (adds) {
      HULL_ASSIGN_OR_RETURN(crypto::KeyType type,
                            crypto::ParseKeyType(a.key_type).Context("--key-type"));
      HULL_ASSIGN_OR_RETURN(std::string dir, OutDir(a, change.role));
      std::error_code ec;
      if (std::filesystem::create_directories(dir, ec)) ::chmod(dir.c_str(), 0700);
      if (ec) return Errorf(ErrorCode::kIo, "cannot create '{}': {}", dir, ec.message());
      for (uint64_t i = 0; i < a.count; ++i) {
        HULL_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::Generate(type));
        auto pub = crypto::PublicKey::Of(key);
        std::string path = fmt::format("{}/{}-{}.key", dir, tuf::RoleName(change.role),
                                       tuf::KeyId(tuf::KeyFromPublic(pub)).substr(0, 16));
        HULL_TRY(WriteFileAtomic(path, key.ToPem(), 0600));
        written.push_back(path);
        change.add.push_back(pub);
        keys.Add(change.role, std::move(key));
      }
    }
    if (!a.offline.sign_offline.empty()) {
      // Stop: the new root composed, what its keys must sign written.
      HULL_ASSIGN_OR_RETURN(auto staged, tuf::Repository::StageRoot(a.repo, change, expiry));
      HULL_ASSIGN_OR_RETURN(tuf::Root trusted, tuf::Repository::ReadRoot(a.repo));
      HULL_TRY(release::RecordRoot(staged, trusted, command, a.offline.sign_offline));
      return staged.root;
    }
    return tuf::Repository::ChangeKeys(a.repo, keys, change, expiry);
  };
  auto r = run();
  if (!r.ok()) {
    for (const auto& f : written) std::remove(f.c_str());
    return ReportError(std::move(r).error().Wrap(command));
  }
  if (!a.offline.sign_offline.empty()) {
    std::printf(
        "Stopped before signing: root version %llu is in %s (manifest.json; the repository is\n"
        "unchanged). Sign it with the trusted root's keys and the new root's (docs/keys.md has\n"
        "openssl commands):\n"
        "  hull sign-offline %s --key KEY --key KEY2 ...\n"
        "then publish it:  hull %s %s --inject-signatures %s --keys ONLINE_KEYS\n",
        (unsigned long long)r->version, a.offline.sign_offline.c_str(),
        a.offline.sign_offline.c_str(), command.c_str(), a.repo.c_str(),
        a.offline.sign_offline.c_str());
    for (const auto& f : written) std::printf("New key: %s\n", f.c_str());
    return kExitOk;
  }
  const tuf::RoleKeys& rk = r->roles.at(*ParseRole(a.role));
  std::printf("Published root version %llu: %s now needs %llu of %zu keys.\n",
              (unsigned long long)r->version, a.role.c_str(), (unsigned long long)rk.threshold,
              rk.keyids.size());
  for (const auto& f : written) std::printf("New key: %s\n", f.c_str());
  return kExitOk;
}

}  // namespace

void RegisterReleaseKeys(CLI::App* rel, Context& ctx) {
  auto a = std::make_shared<KeysArgs>();
  auto* keys = rel->add_subcommand(
      "keys", "List and change the keys and thresholds of the repository's roles");
  keys->require_subcommand(1);
  keys->footer(
      "Every change is a new root version signed by the trusted root's keys (its threshold)\n"
      "and the new root's keys (the new threshold), as TUF root rotation requires; roles whose\n"
      "metadata no longer meets the new root are re-signed (their keys are needed then).\n"
      "Example, two of three root keys and an offline root:\n"
      "  hull release keys add repo/ --role root --root-keys /media/root/\n"
      "  hull release keys add repo/ --role root --root-keys /media/root/ --threshold 2\n"
      "  hull release keys revoke repo/ --role targets 1f2e3d4c --keys keys/ --root-keys "
      "/media/root/\n"
      "Root keys kept offline: stop, sign elsewhere, publish (docs/keys.md):\n"
      "  hull release keys rotate repo/ --role root --out-dir /media/root/ --sign-offline tosign/\n"
      "  hull sign-offline tosign/ --key /media/root/root.key --key /media/root/NEW.key\n"
      "  hull release keys rotate repo/ --inject-signatures tosign/ --keys keys/");

  auto common = [&](CLI::App* c, bool role) {
    c->add_option("REPO", a->repo, "Repository directory")->required();
    if (role) {
      c->add_option("--role", a->role,
                    "root, targets, snapshot or timestamp (required, except with "
                    "--inject-signatures)");
    }
    AddKeyFlags(c, a->keys);
  };
  auto* list = keys->add_subcommand("list", "Print each role's threshold and keys");
  common(list, false);
  list->add_flag("--json", a->json, "Print as JSON");
  list->callback([&ctx, a] { ctx.action = [a] { return RunList(*a); }; });

  auto changing = [&](CLI::App* c, bool adds) {
    common(c, true);
    c->add_option("--threshold", a->threshold,
                  "The role's new threshold: how many of its keys must sign (kept if unset)");
    if (adds) {
      c->add_option("--key-type", a->key_type,
                    "Type of the new key: ed25519 (default), ecdsa-p256, ecdsa-p384, rsa2048, "
                    "rsa4096");
      c->add_option("--out-dir", a->out_dir,
                    "Where the new private key is written (created 0700; default: the role's key "
                    "directory, else --keys) as ROLE-KEYID.key, 0600");
    }
    AddExpiryFlags(c, a->expiry, /*root=*/true);
    AddReleaseOfflineFlags(
        c, a->offline,
        "Compose the new root and stop: write what the trusted root's keys and the new root's "
        "must sign to this directory (absent or empty); no root keys needed",
        "Publish the root signed in this directory (hull sign-offline), re-signing what it "
        "forces with the keys at hand; give only REPO and the keys");
  };
  auto* add = keys->add_subcommand("add", "Add a key to a role (generated, or --public)");
  changing(add, true);
  add->add_option("--public", a->public_key,
                  "Add this public key (PEM SubjectPublicKeyInfo) instead of generating one: a key "
                  "held elsewhere (an HSM, another person)");
  add->callback(
      [&ctx, a] { ctx.action = [a] { return RunChange(*a, tuf::KeyChange::Kind::kAdd, "add"); }; });
  auto* revoke = keys->add_subcommand("revoke", "Remove a key from a role");
  changing(revoke, false);
  revoke->add_option("KEYID", a->keyid,
                     "The key id, or a unique prefix of it (required, except with "
                     "--inject-signatures)");
  revoke->callback([&ctx, a] {
    ctx.action = [a] { return RunChange(*a, tuf::KeyChange::Kind::kRevoke, "revoke"); };
  });
  auto* rotate = keys->add_subcommand("rotate", "Replace all of a role's keys with new ones");
  changing(rotate, true);
  rotate->add_option("--count", a->count, "How many new keys (default 1)");
  rotate->callback([&ctx, a] {
    ctx.action = [a] { return RunChange(*a, tuf::KeyChange::Kind::kRotate, "rotate"); };
  });
  auto* threshold = keys->add_subcommand("threshold", "Change a role's threshold only");
  changing(threshold, false);
  threshold->callback([&ctx, a] {
    ctx.action = [a] { return RunChange(*a, tuf::KeyChange::Kind::kThreshold, "threshold"); };
  });
}

}  // namespace hull::cli

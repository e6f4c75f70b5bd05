// The private keys a repository writer holds, per top-level role, and the
// choice of which of them sign a role's metadata under a given root.
//
// Where keys are looked for (KeySources): a role's own path, a key file or
// a directory whose every *.key file is a key of that role (so each role's
// keys, root's above all, can live apart: on removable media, kept offline);
// otherwise the common key directory, in which ROLE.key (what `hull release
// init` writes) and ROLE-*.key (what `hull release keys` adds) belong to
// ROLE. Keys are PKCS#8 PEM of any type the writer signs with (Ed25519,
// ECDSA P-256/P-384, RSA: rsassa-pss-sha256), or whatever KeySources::load
// accepts (the hull CLI passes pkcs11::LoadPrivateKey: key files holding a
// PKCS#11 URI, and a role path that is itself a `pkcs11:` URI, name keys in a
// token). A role with no key at hand is not an error until something must be
// signed for it.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crypto/key.h"
#include "tuf/metadata.h"

namespace hull::tuf {

// Loads one key file (or key reference); empty means PEM files only.
using KeyLoader = std::function<Result<crypto::PrivateKey>(const std::string&)>;

struct KeySources {
  std::string dir;                    // common key directory; may be empty
  std::map<Role, std::string> paths;  // per role: a key file, a directory of *.key or a URI
  KeyLoader load;
};

struct RoleKeySet {
  std::map<Role, std::vector<crypto::PrivateKey>> keys;
  std::map<Role, std::string> looked_in;  // where each role's keys were sought (messages)

  // Loads every key at hand. kCorrupt (with the path) for a key file that does
  // not parse; kNotFound for a key directory or per-role path that does not
  // exist.
  static Result<RoleKeySet> Load(const KeySources& sources);
  // The common directory alone; with `create`, generates ROLE.key of `type`
  // for each role that has none (0600, directory 0700) except those in
  // `held_elsewhere` (a root key not on this machine): `hull release init`.
  static Result<RoleKeySet> Load(const std::string& dir, bool create,
                                 crypto::KeyType type = crypto::KeyType::kEd25519,
                                 KeyLoader load = {}, const std::set<Role>& held_elsewhere = {});

  // The keys at hand that `root` lists for `role` (matched by public key).
  std::vector<const crypto::PrivateKey*> For(const Root& root, Role role) const;
  // The same, but kNotFound unless they meet the role's threshold, in one line
  // naming the role, what was found and the flag that gives its keys
  // ("--snapshot-keys FILE|DIR").
  Result<std::vector<const crypto::PrivateKey*>> Signers(const Root& root, Role role) const;
  void Add(Role role, crypto::PrivateKey key) { keys[role].push_back(std::move(key)); }
};

// The command-line flag naming a role's key path: "--targets-keys".
std::string KeyFlag(Role role);

}  // namespace hull::tuf

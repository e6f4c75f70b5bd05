// Writes a TUF repository of plain files that any static HTTP host serves:
//   root.json, N.root.json, timestamp.json, N.snapshot.json, N.targets.json,
//   targets/<sha256>.<name>            (consistent snapshots)
// One key per top-level role, threshold 1, kept in a key directory as PKCS#8
// PEM (0600): root.key, targets.key, snapshot.key, timestamp.key. Keys are
// Ed25519 unless created otherwise; any key type TUF clients verify signs
// (ECDSA P-256/P-384, RSA with rsassa-pss-sha256): the scheme follows the key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/key.h"
#include "tuf/metadata.h"

namespace hull::tuf {

struct RoleKeySet {
  crypto::PrivateKey root, targets, snapshot, timestamp;
  // Loads the four keys; with `create`, generates the missing ones of `type`.
  static Result<RoleKeySet> Load(const std::string& dir, bool create,
                                 crypto::KeyType type = crypto::KeyType::kEd25519);
};

struct Expiry {  // seconds from now
  int64_t root = 365 * 86400;
  int64_t targets = 90 * 86400;
  int64_t snapshot = 7 * 86400;
  int64_t timestamp = 1 * 86400;
};

class Repository {
 public:
  using Clock = int64_t (*)();

  // Creates version 1 of every role in an empty (or absent) directory.
  static Status Init(const std::string& dir, const RoleKeySet& keys, const Expiry& expiry = {},
                     Clock clock = nullptr);
  // Copies `file` in as target `name` with `custom` metadata, and publishes
  // new targets, snapshot and timestamp versions.
  static Status AddTarget(const std::string& dir, const RoleKeySet& keys, const std::string& file,
                          const std::string& name, const nlohmann::json& custom,
                          const Expiry& expiry = {}, Clock clock = nullptr);
  // Adds several targets in one new targets version (a release appears
  // whole or not at all). Files are hashed and copied by streaming.
  struct NewTarget {
    std::string file, name;
    nlohmann::json custom;
  };
  static Status AddTargets(const std::string& dir, const RoleKeySet& keys,
                           const std::vector<NewTarget>& targets, const Expiry& expiry = {},
                           Clock clock = nullptr);
  // Re-signs the timestamp with a fresh expiry (run before it expires).
  static Status RefreshTimestamp(const std::string& dir, const RoleKeySet& keys,
                                 const Expiry& expiry = {}, Clock clock = nullptr);
  // Reads the current targets (unverified: the writer's own view).
  static Result<Targets> ReadTargets(const std::string& dir);
};

}  // namespace hull::tuf

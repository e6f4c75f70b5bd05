// Writes a TUF repository of plain files that any static HTTP host serves:
//   root.json, N.root.json, timestamp.json, N.snapshot.json, N.targets.json,
//   targets/<sha256>.<name>            (consistent snapshots)
// Each top-level role has a set of keys and a threshold (m of n) in root.json;
// the private keys are found as signing_keys.h describes, each role's apart
// if wanted, so root's can stay offline: only what is re-signed needs keys
// (a release needs targets, snapshot and timestamp; a refresh often only the
// timestamp). Keys are Ed25519 unless created otherwise; any key type TUF
// clients verify signs (ECDSA P-256/P-384, RSA with rsassa-pss-sha256): the
// scheme follows the key.
//
// Every change is published in one order, so a client reading at any moment
// sees a complete repository: new root versions first (N.root.json, then
// root.json), then targets, then the snapshot naming them, the timestamp
// last; each file written atomically. A role whose current metadata no longer
// meets the threshold of the (new) root is re-signed, and so is every role
// that names it. A needed key that is not at hand is refused before anything
// is written (kNotFound, RoleKeySet::Signers' one line).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/key.h"
#include "tuf/metadata.h"
#include "tuf/signing_keys.h"

namespace hull::tuf {

struct Expiry {  // seconds from now, given to a role when it is signed
  int64_t root = 365 * 86400;
  int64_t targets = 90 * 86400;
  int64_t snapshot = 7 * 86400;
  int64_t timestamp = 1 * 86400;
};

struct RefreshOptions {
  Expiry expiry;
  // A role whose expiry is at most this far away is re-signed. With the
  // defaults the one-day timestamp is re-signed on every run.
  int64_t window = 3 * 86400;
  bool root = false;  // also sign a new root version (its keys must be at hand)
};

// A change to the keys of one role, published as a new root version signed
// by the trusted root's keys (its threshold) and the new root's keys (the new
// threshold): TUF root rotation (specification 5.3.4).
struct KeyChange {
  // kResign: no change, the same keys and thresholds in a new version with a
  // new expiry (`hull release refresh --root`).
  enum class Kind { kAdd, kRevoke, kRotate, kThreshold, kResign };
  Kind kind = Kind::kAdd;
  Role role = Role::kTargets;
  std::vector<crypto::PublicKey> add;  // kAdd, kRotate: the new keys
  std::string revoke;                  // kRevoke: a key id or a unique prefix of one
  std::optional<uint64_t> threshold;   // the role's new threshold (kept when unset)
};

class Repository {
 public:
  using Clock = int64_t (*)();

  // Creates version 1 of every role in an empty (or absent) directory: one
  // key per role (the first of each role in `keys`), threshold 1. InitRoot
  // composes, PublishInit publishes.
  static Status Init(const std::string& dir, const RoleKeySet& keys, const Expiry& expiry = {},
                     Clock clock = nullptr);
  // The first root: version 1, expiring now + expiry.root, one key per role,
  // threshold 1: the first of each role in `keys`, root's `root_key` when
  // given (a key not on this machine: `hull release init --root-public`).
  // kNotFound (naming the flag) for a role without a key.
  static Result<Root> InitRoot(const RoleKeySet& keys,
                               const std::optional<crypto::PublicKey>& root_key = std::nullopt,
                               const Expiry& expiry = {}, Clock clock = nullptr);
  // Writes version 1 of every role: `root` (InitRoot's) signed by the keys at
  // hand or, given `root_envelope`, that envelope (its `signed` the root, its
  // signatures meeting the root's own threshold), then targets, snapshot and
  // timestamp signed with the keys at hand. Refused before any write:
  // kAlreadyExists for a directory holding root.json; kRefused for a root
  // that is not version 1, or whose expiry is not after now, or an envelope
  // of another root; kBadSignature below the threshold; kNotFound for keys
  // not at hand.
  static Status PublishInit(const std::string& dir, const RoleKeySet& keys, const Root& root,
                            const std::optional<Bytes>& root_envelope = std::nullopt,
                            const Expiry& expiry = {}, Clock clock = nullptr);
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
  // A new targets version composed and not yet published: what `hull
  // release … --sign-offline` stops at (docs/keys.md "Offline signing of
  // release metadata"). AddTargets and SetCustom stage, then publish.
  struct StagedTargets {
    uint64_t base_version = 0;     // the published targets version it follows
    std::string base_sha256;       // of that version's N.targets.json
    Targets targets;               // version base_version + 1, expires fixed
    std::vector<NewTarget> files;  // target files to copy in (name, file)
  };
  // Hashes `add`'s files (copies nothing) and applies `custom` (name -> new
  // custom metadata; kNotFound for a name the targets do not list) to the
  // published targets; the version and expiry (now + expiry.targets) are
  // fixed here.
  static Result<StagedTargets> StageTargets(const std::string& dir,
                                            const std::vector<NewTarget>& add,
                                            const std::map<std::string, nlohmann::json>& custom,
                                            const Expiry& expiry = {}, Clock clock = nullptr);
  // Publishes `staged`: copies its files in (each checked against the
  // staged length and SHA-256), writes the targets signed by the keys at
  // hand or, given `targets_envelope`, that envelope (its signatures checked
  // against the trusted root's targets keys and threshold, its `signed` the
  // staged targets), then snapshot and timestamp with the keys at hand.
  // Refused, before any write: kRefused when the published targets are no
  // longer staged.base_* (the repository moved on) or staged expiry is not
  // after now; kBadSignature below the threshold; kNotFound for keys not at
  // hand.
  static Status PublishTargets(const std::string& dir, const RoleKeySet& keys,
                               const StagedTargets& staged,
                               const std::optional<Bytes>& targets_envelope = std::nullopt,
                               const Expiry& expiry = {}, Clock clock = nullptr);
  // Whether the keys at hand can publish a targets version signed elsewhere
  // (the snapshot and timestamp thresholds).
  static Status CanPublishSignedTargets(const Root& root, const RoleKeySet& keys);
  // Replaces the custom metadata of existing targets (name -> new custom;
  // the files stay as they are) in one new targets version, and publishes
  // snapshot and timestamp. kNotFound for a name the targets do not list.
  static Status SetCustom(const std::string& dir, const RoleKeySet& keys,
                          const std::map<std::string, nlohmann::json>& custom,
                          const Expiry& expiry = {}, Clock clock = nullptr);
  // Whether the keys at hand can publish targets (the targets, snapshot and
  // timestamp thresholds): RoleKeySet::Signers' error otherwise. Checked
  // before a release's slow work, and by AddTargets before any copy.
  static Status CanAddTargets(const std::string& dir, const RoleKeySet& keys);
  static Status CanAddTargets(const Root& root, const RoleKeySet& keys);
  // Re-signs each role whose expiry falls within the window (root only with
  // options.root). Roles that are due but whose keys are not at hand, and a
  // root within the window without options.root, are left as they are,
  // everything else due is published, and then kNotFound names the first
  // such role, its expiry and the flag for its keys. Returns the roles
  // re-signed.
  static Result<std::vector<Role>> Refresh(const std::string& dir, const RoleKeySet& keys,
                                           const RefreshOptions& options = {},
                                           Clock clock = nullptr);
  // Applies `change` and publishes the new root (and whatever it forces to be
  // re-signed). kInvalidArgument for a threshold of 0 or above the number of
  // keys, an unknown or ambiguous key id, a key already in the role;
  // kNotFound when the keys to sign with are not at hand. Returns the new root.
  static Result<Root> ChangeKeys(const std::string& dir, const RoleKeySet& keys,
                                 const KeyChange& change, const Expiry& expiry = {},
                                 Clock clock = nullptr);
  // A new root version composed and not yet published: what `hull release
  // keys … --sign-offline` stops at (docs/keys.md "Offline signing of root
  // metadata"). ChangeKeys stages, then publishes.
  struct StagedRoot {
    uint64_t base_version = 0;  // the trusted root version it follows
    std::string base_sha256;    // of that version's root.json
    Root root;                  // version base_version + 1, expires fixed
  };
  // Applies `change` to the trusted root (ChangeKeys' errors); the version
  // and expiry (now + expiry.root) are fixed here. With no change, the
  // trusted root's version and SHA-256 only (`root` is the trusted one).
  static Result<StagedRoot> StageRoot(const std::string& dir,
                                      const std::optional<KeyChange>& change,
                                      const Expiry& expiry = {}, Clock clock = nullptr);
  // The keys whose signatures a new root needs: the trusted root's root keys
  // (its threshold) and the new root's (the new threshold), each key once,
  // the trusted root's first.
  static std::vector<crypto::PublicKey> RootSigningKeys(const Root& trusted, const Root& next);
  // Publishes `staged` signed by the keys at hand or, given `root_envelope`,
  // that envelope (its `signed` the staged root, its signatures meeting the
  // trusted root's root threshold and the new root's), then whatever the new
  // root forces to be re-signed, with the keys at hand. Refused before any
  // write: kRefused when the trusted root is no longer staged.base_* or the
  // staged expiry is not after now; kBadSignature below a threshold;
  // kNotFound for keys not at hand.
  static Status PublishRoot(const std::string& dir, const RoleKeySet& keys,
                            const StagedRoot& staged,
                            const std::optional<Bytes>& root_envelope = std::nullopt,
                            const Expiry& expiry = {}, Clock clock = nullptr);
  // Reads the current root and targets (unverified: the writer's own view).
  static Result<Root> ReadRoot(const std::string& dir);
  static Result<Targets> ReadTargets(const std::string& dir);
};

}  // namespace hull::tuf

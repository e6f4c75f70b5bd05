// TUF 1.0 metadata (The Update Framework specification, section 4): the four
// top-level roles, their signed envelopes, keys and thresholds. Parsing is
// strict on the fields we rely on and keeps the signed object as received,
// so signatures are checked over exactly what the signer signed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "crypto/key.h"
#include "crypto/signature.h"
#include "crypto/signer.h"

namespace hull::tuf {

inline constexpr const char* kSpecVersion = "1.0.31";

enum class Role { kRoot, kTargets, kSnapshot, kTimestamp };
const char* RoleName(Role role);

// A public key as TUF metadata carries it (securesystemslib's forms):
//   keytype "ed25519", scheme "ed25519", keyval.public: 64 hex digits
//   keytype "ecdsa" (or legacy "ecdsa-sha2-nistp256/384"), scheme
//     "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384", keyval.public: PEM SPKI
//   keytype "rsa", scheme "rsassa-pss-sha256", keyval.public: PEM SPKI
// Other fields of the key object (keyid_hash_algorithms, x-tuf-on-ci-*) are
// allowed and ignored.
struct Key {
  std::string keytype;
  std::string scheme;
  std::string public_hex;  // keyval.public as written: hex (ed25519) or PEM
  crypto::PublicKey pub;
  crypto::SignatureScheme sig_scheme = crypto::SignatureScheme::kEd25519;
  nlohmann::json ToJson() const;
};
// The key id Hull's writer gives a key: hex SHA-256 of the canonical JSON of
// the key object (spec 4.2). Readers never recompute it: key ids are opaque
// strings (TAP 12), only unique within one metadata file.
std::string KeyId(const Key& key);
// The TUF form of a public key of any supported type (hex for Ed25519, PEM
// otherwise; RSA keys get rsassa-pss-sha256).
Key KeyFromPublic(const crypto::PublicKey& pub);
// Parses one key object. kUnsupported for a key type or scheme we do not
// verify (callers skip those keys); kCorrupt when a supported key is malformed
// or its public key does not fit its scheme.
Result<Key> ParseKey(const nlohmann::json& key_json);

struct RoleKeys {
  std::vector<std::string> keyids;
  uint64_t threshold = 1;
};

struct MetaFile {
  uint64_t version = 0;
  std::optional<uint64_t> length;
  std::map<std::string, std::string> hashes;  // algorithm -> hex
};

struct TargetFile {
  uint64_t length = 0;
  std::map<std::string, std::string> hashes;
  nlohmann::json custom;  // null when absent
};

struct Common {
  uint64_t version = 0;
  int64_t expires = 0;  // Unix seconds
  std::string spec_version;
};

struct Root : Common {
  bool consistent_snapshot = true;
  std::map<std::string, Key> keys;
  std::map<Role, RoleKeys> roles;
};
struct Timestamp : Common {
  MetaFile snapshot;
};
struct Snapshot : Common {
  std::map<std::string, MetaFile> meta;  // "targets.json" -> ...
};
// A targets role delegating to others (spec 4.5, "delegations"): the keys the
// delegated roles use and the roles, in the order the search visits them.
struct DelegatedRole {
  std::string name;
  RoleKeys keys;
  bool terminating = false;
  std::vector<std::string> paths;               // shell-style patterns per segment
  std::vector<std::string> path_hash_prefixes;  // hex prefixes of sha256(target path)
  // Whether this role is trusted for `target` (paths or hash prefixes).
  bool Covers(const std::string& target) const;
};
struct Delegations {
  std::map<std::string, Key> keys;
  std::vector<DelegatedRole> roles;
};

struct Targets : Common {
  std::map<std::string, TargetFile> targets;
  std::optional<Delegations> delegations;  // read by the client, not written
};

struct Signature {
  std::string keyid;
  Bytes sig;
};

// A metadata file: the signed object as received plus its signatures.
struct Envelope {
  nlohmann::json signed_json;
  std::vector<Signature> signatures;
};

// Caps on attacker-controlled counts.
inline constexpr size_t kMaxSignatures = 64;
inline constexpr size_t kMaxKeys = 64;
inline constexpr size_t kMaxTargets = 100000;

// Parses the envelope and checks `_type` is `role`. kCorrupt on malformed input.
Result<Envelope> ParseEnvelope(ByteSpan bytes, Role role);
Result<Root> ParseRoot(const nlohmann::json& signed_json);
Result<Timestamp> ParseTimestamp(const nlohmann::json& signed_json);
Result<Snapshot> ParseSnapshot(const nlohmann::json& signed_json);
Result<Targets> ParseTargets(const nlohmann::json& signed_json);

// Counts distinct public keys of `role` in `root` with a valid signature over
// the canonical form of env.signed_json; kBadSignature below the threshold.
// Distinct by the key itself (its DER SubjectPublicKeyInfo), not by key id:
// one key listed under two ids, or its hex in two cases, counts once.
Status VerifyRole(const Envelope& env, const Root& root, Role role);
// The same against any key set: a delegated role's keys and threshold.
Status VerifyThreshold(const Envelope& env, const std::map<std::string, Key>& keys,
                       const RoleKeys& role_keys, const std::string& role_name);
inline constexpr size_t kMaxDelegatedRoles = 1024;

// Serializes the signed object with signatures by each key.
Result<Bytes> SignEnvelope(const nlohmann::json& signed_json,
                           const std::vector<const crypto::PrivateKey*>& keys);
// The same through the signer seam (crypto/signer.h): one request per key,
// kind "tuf-metadata", the message the canonical JSON of `signed_json`, the
// algorithm the key's TUF scheme's (MetadataSignRequest). So metadata is signed by the one rule
// whether the signature is made with a key at hand, recorded for offline signing, or injected
// (docs/keys.md).
Result<Bytes> SignEnvelope(const nlohmann::json& signed_json,
                           const std::vector<crypto::PublicKey>& keys, std::string_view role,
                           crypto::Signer& signer);
// The request SignEnvelope makes for `key`'s signature over `canonical`
// (the canonical JSON of `signed`); its item is "ROLE-" and the first 16 hex
// digits of the key's id, one item per key.
crypto::SignRequest MetadataSignRequest(std::string_view role, const crypto::PublicKey& key,
                                        std::string_view canonical);
// The envelope of `signed_json` with these signatures (in this order).
Bytes EncodeEnvelope(const nlohmann::json& signed_json, const std::vector<Signature>& signatures);

// "2030-01-01T00:00:00Z" <-> Unix seconds.
Result<int64_t> ParseExpires(const std::string& text);
std::string FormatExpires(int64_t unix_seconds);

nlohmann::json RootToJson(const Root& root);
nlohmann::json TimestampToJson(const Timestamp& t);
nlohmann::json SnapshotToJson(const Snapshot& s);
nlohmann::json TargetsToJson(const Targets& t);

}  // namespace hull::tuf

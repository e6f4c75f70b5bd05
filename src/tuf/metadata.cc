#include "tuf/metadata.h"

#include <fnmatch.h>

#include <ctime>
#include <set>

#include "base/hex.h"
#include "crypto/digest.h"
#include "tuf/canonical_json.h"

namespace hull::tuf {
namespace {

using json = nlohmann::json;

Error Bad(const std::string& what) { return Error(ErrorCode::kCorrupt, what); }

Result<const json*> Field(const json& obj, const char* name, json::value_t type) {
  auto it = obj.find(name);
  if (it == obj.end()) return Bad(fmt::format("missing field '{}'", name));
  bool ok = it->type() == type || (type == json::value_t::number_unsigned &&
                                   it->is_number_integer() && it->get<int64_t>() >= 0);
  if (!ok) return Bad(fmt::format("field '{}' has the wrong type", name));
  return &*it;
}

Status ParseCommon(const json& s, const char* type, Common& c) {
  if (!s.is_object()) return Bad("'signed' is not an object");
  HULL_ASSIGN_OR_RETURN(const json* t, Field(s, "_type", json::value_t::string));
  if (t->get<std::string>() != type) {
    return Bad(fmt::format("metadata type is '{}', expected '{}'", t->get<std::string>(), type));
  }
  HULL_ASSIGN_OR_RETURN(const json* spec, Field(s, "spec_version", json::value_t::string));
  c.spec_version = spec->get<std::string>();
  if (c.spec_version.rfind("1.", 0) != 0) {
    return Error(ErrorCode::kUnsupported,
                 fmt::format("TUF spec_version {} is not supported (1.x)", c.spec_version));
  }
  HULL_ASSIGN_OR_RETURN(const json* v, Field(s, "version", json::value_t::number_unsigned));
  c.version = v->get<uint64_t>();
  if (c.version == 0) return Bad("version must be at least 1");
  HULL_ASSIGN_OR_RETURN(const json* e, Field(s, "expires", json::value_t::string));
  HULL_ASSIGN_OR_RETURN(c.expires, ParseExpires(e->get<std::string>()));
  return Ok();
}

Result<std::map<std::string, std::string>> ParseHashes(const json& h) {
  if (!h.is_object() || h.empty()) return Bad("'hashes' must be a non-empty object");
  std::map<std::string, std::string> out;
  for (auto it = h.begin(); it != h.end(); ++it) {
    if (!it.value().is_string()) return Bad("hash values must be strings");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

Result<MetaFile> ParseMetaFile(const json& m) {
  if (!m.is_object()) return Bad("meta entry is not an object");
  MetaFile out;
  HULL_ASSIGN_OR_RETURN(const json* v, Field(m, "version", json::value_t::number_unsigned));
  out.version = v->get<uint64_t>();
  if (m.contains("length")) {
    HULL_ASSIGN_OR_RETURN(const json* l, Field(m, "length", json::value_t::number_unsigned));
    out.length = l->get<uint64_t>();
  }
  if (m.contains("hashes")) {
    HULL_ASSIGN_OR_RETURN(out.hashes, ParseHashes(m["hashes"]));
  }
  return out;
}

json MetaFileToJson(const MetaFile& m) {
  json j{{"version", m.version}};
  if (m.length) j["length"] = *m.length;
  if (!m.hashes.empty()) j["hashes"] = m.hashes;
  return j;
}

}  // namespace

bool DelegatedRole::Covers(const std::string& target) const {
  if (!path_hash_prefixes.empty()) {
    std::string h = HexEncode(crypto::Sha256(AsBytes(target)));
    for (const std::string& p : path_hash_prefixes) {
      if (h.rfind(p, 0) == 0) return true;
    }
    return false;
  }
  // A pattern matches segment by segment ('*' never crosses a '/'), as
  // python-tuf and go-tuf match.
  auto split = [](const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == '/') {
        parts.push_back(s.substr(start, i - start));
        start = i + 1;
      }
    }
    return parts;
  };
  std::vector<std::string> t = split(target);
  for (const std::string& pattern : paths) {
    std::vector<std::string> p = split(pattern);
    if (p.size() != t.size()) continue;
    bool all = true;
    for (size_t i = 0; i < p.size() && all; ++i)
      all = ::fnmatch(p[i].c_str(), t[i].c_str(), 0) == 0;
    if (all) return true;
  }
  return false;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kRoot:
      return "root";
    case Role::kTargets:
      return "targets";
    case Role::kSnapshot:
      return "snapshot";
    case Role::kTimestamp:
      return "timestamp";
  }
  return "?";
}

json Key::ToJson() const {
  return json{{"keytype", keytype}, {"scheme", scheme}, {"keyval", {{"public", public_hex}}}};
}

Result<Key> ParseKey(const json& k) {
  if (!k.is_object()) return Bad("key is not an object");
  HULL_ASSIGN_OR_RETURN(const json* type, Field(k, "keytype", json::value_t::string));
  HULL_ASSIGN_OR_RETURN(const json* scheme, Field(k, "scheme", json::value_t::string));
  HULL_ASSIGN_OR_RETURN(const json* keyval, Field(k, "keyval", json::value_t::object));
  HULL_ASSIGN_OR_RETURN(const json* pub, Field(*keyval, "public", json::value_t::string));
  Key key{type->get<std::string>(), scheme->get<std::string>(), pub->get<std::string>(), {}, {}};
  HULL_ASSIGN_OR_RETURN(key.sig_scheme, crypto::ParseSignatureScheme(key.scheme));
  using S = crypto::SignatureScheme;
  bool type_ok = false;
  switch (key.sig_scheme) {
    case S::kEd25519:
      type_ok = key.keytype == "ed25519";
      break;
    case S::kEcdsaP256Sha256:
    case S::kEcdsaP384Sha384:
      type_ok = key.keytype == "ecdsa" || key.keytype == key.scheme;
      break;
    case S::kRsaPssSha256:
      type_ok = key.keytype == "rsa";
      break;
  }
  if (!type_ok) {
    return Errorf(ErrorCode::kUnsupported, "key type '{}' with scheme '{}' is not supported",
                  key.keytype, key.scheme);
  }
  if (key.sig_scheme == S::kEd25519) {
    auto raw = HexDecode(key.public_hex);
    if (!raw) return Bad("ed25519 public key is not hex");
    auto pk = crypto::PublicKey::FromEd25519Raw(*raw);
    if (!pk) return Bad(pk.error().message());
    key.pub = std::move(*pk);
  } else {
    auto pk = crypto::PublicKey::FromPem(key.public_hex);
    if (!pk) return Bad(fmt::format("{} public key is not a PEM public key", key.scheme));
    key.pub = std::move(*pk);
  }
  if (!crypto::KeyFitsScheme(key.pub, key.sig_scheme)) {
    return Bad(fmt::format("public key does not fit scheme {}", key.scheme));
  }
  return key;
}

std::string KeyId(const Key& key) {
  std::string canon = CanonicalJson(key.ToJson()).value();
  return HexEncode(crypto::Sha256(AsBytes(canon)));
}

Key KeyFromPublic(const crypto::PublicKey& pub) {
  using S = crypto::SignatureScheme;
  S scheme = crypto::SchemeFor(pub);
  const char* name = crypto::SignatureSchemeName(scheme);
  switch (scheme) {
    case S::kEd25519:
      return Key{"ed25519", name, HexEncode(pub.Ed25519Raw()), pub, scheme};
    case S::kRsaPssSha256:
      return Key{"rsa", name, pub.ToPem(), pub, scheme};
    default:
      return Key{"ecdsa", name, pub.ToPem(), pub, scheme};
  }
}

Result<int64_t> ParseExpires(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') {
    return Bad(fmt::format("expires '{}' is not of the form YYYY-MM-DDTHH:MM:SSZ", text));
  }
  return int64_t(::timegm(&tm));
}

std::string FormatExpires(int64_t t) {
  std::time_t tt = std::time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<Envelope> ParseEnvelope(ByteSpan bytes, Role role) {
  json doc = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Bad("metadata is not a JSON object");
  HULL_ASSIGN_OR_RETURN(const json* sigs, Field(doc, "signatures", json::value_t::array));
  HULL_ASSIGN_OR_RETURN(const json* s, Field(doc, "signed", json::value_t::object));
  if (sigs->size() > kMaxSignatures) {
    return Bad(
        fmt::format("{} signatures, more than the {} allowed", sigs->size(), kMaxSignatures));
  }
  Envelope env;
  env.signed_json = *s;
  HULL_ASSIGN_OR_RETURN(const json* t, Field(*s, "_type", json::value_t::string));
  if (t->get<std::string>() != RoleName(role)) {
    return Bad(
        fmt::format("metadata type is '{}', expected '{}'", t->get<std::string>(), RoleName(role)));
  }
  std::set<std::string> keyids;
  for (const json& sj : *sigs) {
    if (!sj.is_object()) return Bad("signature entry is not an object");
    HULL_ASSIGN_OR_RETURN(const json* kid, Field(sj, "keyid", json::value_t::string));
    // Spec 4.2: a key id is unique in "signatures".
    if (!keyids.insert(kid->get<std::string>()).second) {
      return Bad(fmt::format("two signatures by key id {}", kid->get<std::string>()));
    }
    HULL_ASSIGN_OR_RETURN(const json* sig, Field(sj, "sig", json::value_t::string));
    auto raw = HexDecode(sig->get<std::string>());
    if (!raw) return Bad("signature is not hex");
    env.signatures.push_back({kid->get<std::string>(), std::move(*raw)});
  }
  return env;
}

Result<RoleKeys> ParseRoleKeys(const json& rj, const std::string& name) {
  RoleKeys rk;
  HULL_ASSIGN_OR_RETURN(const json* ids, Field(rj, "keyids", json::value_t::array));
  HULL_ASSIGN_OR_RETURN(const json* th, Field(rj, "threshold", json::value_t::number_unsigned));
  if (ids->size() > kMaxKeys) return Bad("too many key ids");
  std::set<std::string> seen;
  for (const json& id : *ids) {
    if (!id.is_string()) return Bad("key ids must be strings");
    if (!seen.insert(id.get<std::string>()).second) {
      return Bad(fmt::format("role {} lists key id {} twice", name, id.get<std::string>()));
    }
    rk.keyids.push_back(id.get<std::string>());
  }
  rk.threshold = th->get<uint64_t>();
  if (rk.threshold == 0) return Bad(fmt::format("role {} has threshold 0", name));
  return rk;
}

Result<std::map<std::string, Key>> ParseKeys(const json& keys) {
  if (keys.size() > kMaxKeys) return Bad("too many keys");
  std::map<std::string, Key> out;
  for (auto it = keys.begin(); it != keys.end(); ++it) {
    auto key = ParseKey(it.value());
    // Keys of other types are kept out of the usable set: their signatures
    // never count (the spec lets clients ignore key types they do not know).
    if (!key.ok() && key.error().code() == ErrorCode::kUnsupported) continue;
    if (!key.ok()) return std::move(key).error().Wrap(fmt::format("key {}", it.key()));
    out[it.key()] = std::move(*key);
  }
  return out;
}

Result<std::vector<std::string>> StringList(const json& obj, const char* name) {
  HULL_ASSIGN_OR_RETURN(const json* a, Field(obj, name, json::value_t::array));
  if (a->size() > kMaxTargets) return Bad(fmt::format("too many {}", name));
  std::vector<std::string> out;
  for (const json& v : *a) {
    if (!v.is_string()) return Bad(fmt::format("{} must be strings", name));
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<Delegations> ParseDelegations(const json& d) {
  if (!d.is_object()) return Bad("'delegations' is not an object");
  Delegations out;
  HULL_ASSIGN_OR_RETURN(const json* keys, Field(d, "keys", json::value_t::object));
  HULL_ASSIGN_OR_RETURN(out.keys, ParseKeys(*keys));
  HULL_ASSIGN_OR_RETURN(const json* roles, Field(d, "roles", json::value_t::array));
  if (roles->size() > kMaxDelegatedRoles) return Bad("too many delegated roles");
  std::set<std::string> names;
  for (const json& rj : *roles) {
    if (!rj.is_object()) return Bad("delegated role is not an object");
    DelegatedRole r;
    HULL_ASSIGN_OR_RETURN(const json* name, Field(rj, "name", json::value_t::string));
    r.name = name->get<std::string>();
    if (!names.insert(r.name).second) return Bad(fmt::format("role {} delegated twice", r.name));
    for (const char* top : {"root", "timestamp", "snapshot", "targets"}) {
      if (r.name == top) return Bad(fmt::format("a delegated role is named {}", top));
    }
    HULL_ASSIGN_OR_RETURN(r.keys, ParseRoleKeys(rj, r.name));
    HULL_ASSIGN_OR_RETURN(const json* term, Field(rj, "terminating", json::value_t::boolean));
    r.terminating = term->get<bool>();
    bool has_paths = rj.contains("paths"), has_prefixes = rj.contains("path_hash_prefixes");
    if (has_paths == has_prefixes) {
      return Bad(fmt::format("role {} needs exactly one of paths, path_hash_prefixes", r.name));
    }
    if (has_paths) {
      HULL_ASSIGN_OR_RETURN(r.paths, StringList(rj, "paths"));
    } else {
      HULL_ASSIGN_OR_RETURN(r.path_hash_prefixes, StringList(rj, "path_hash_prefixes"));
    }
    out.roles.push_back(std::move(r));
  }
  return out;
}

Result<Root> ParseRoot(const json& s) {
  Root r;
  HULL_TRY(ParseCommon(s, "root", r));
  HULL_ASSIGN_OR_RETURN(const json* cs, Field(s, "consistent_snapshot", json::value_t::boolean));
  r.consistent_snapshot = cs->get<bool>();
  HULL_ASSIGN_OR_RETURN(const json* keys, Field(s, "keys", json::value_t::object));
  HULL_ASSIGN_OR_RETURN(r.keys, ParseKeys(*keys));
  HULL_ASSIGN_OR_RETURN(const json* roles, Field(s, "roles", json::value_t::object));
  for (Role role : {Role::kRoot, Role::kTargets, Role::kSnapshot, Role::kTimestamp}) {
    HULL_ASSIGN_OR_RETURN(const json* rj, Field(*roles, RoleName(role), json::value_t::object));
    HULL_ASSIGN_OR_RETURN(RoleKeys rk, ParseRoleKeys(*rj, RoleName(role)));
    r.roles[role] = std::move(rk);
  }
  return r;
}

Result<Timestamp> ParseTimestamp(const json& s) {
  Timestamp t;
  HULL_TRY(ParseCommon(s, "timestamp", t));
  HULL_ASSIGN_OR_RETURN(const json* meta, Field(s, "meta", json::value_t::object));
  auto it = meta->find("snapshot.json");
  if (it == meta->end()) return Bad("timestamp does not name snapshot.json");
  HULL_ASSIGN_OR_RETURN(t.snapshot, ParseMetaFile(*it));
  return t;
}

Result<Snapshot> ParseSnapshot(const json& s) {
  Snapshot sn;
  HULL_TRY(ParseCommon(s, "snapshot", sn));
  HULL_ASSIGN_OR_RETURN(const json* meta, Field(s, "meta", json::value_t::object));
  if (meta->size() > kMaxTargets) return Bad("too many meta entries");
  for (auto it = meta->begin(); it != meta->end(); ++it) {
    HULL_ASSIGN_OR_RETURN(sn.meta[it.key()], ParseMetaFile(it.value()));
  }
  return sn;
}

Result<Targets> ParseTargets(const json& s) {
  Targets t;
  HULL_TRY(ParseCommon(s, "targets", t));
  HULL_ASSIGN_OR_RETURN(const json* targets, Field(s, "targets", json::value_t::object));
  if (targets->size() > kMaxTargets) return Bad("too many targets");
  for (auto it = targets->begin(); it != targets->end(); ++it) {
    const json& tj = it.value();
    if (!tj.is_object()) return Bad("target entry is not an object");
    TargetFile f;
    HULL_ASSIGN_OR_RETURN(const json* len, Field(tj, "length", json::value_t::number_unsigned));
    f.length = len->get<uint64_t>();
    HULL_ASSIGN_OR_RETURN(const json* h, Field(tj, "hashes", json::value_t::object));
    HULL_ASSIGN_OR_RETURN(f.hashes, ParseHashes(*h));
    if (tj.contains("custom")) f.custom = tj["custom"];
    t.targets[it.key()] = std::move(f);
  }
  if (s.contains("delegations")) {
    HULL_ASSIGN_OR_RETURN(t.delegations, ParseDelegations(s["delegations"]));
  }
  return t;
}

Status VerifyRole(const Envelope& env, const Root& root, Role role) {
  return VerifyThreshold(env, root.keys, root.roles.at(role), RoleName(role));
}

Status VerifyThreshold(const Envelope& env, const std::map<std::string, Key>& keys,
                       const RoleKeys& rk, const std::string& role_name) {
  HULL_ASSIGN_OR_RETURN(std::string canon, CanonicalJson(env.signed_json));
  // Keys that signed, by their DER form: the same key under two ids counts once.
  std::set<Bytes> good;
  for (const Signature& sig : env.signatures) {
    if (std::find(rk.keyids.begin(), rk.keyids.end(), sig.keyid) == rk.keyids.end()) continue;
    auto key = keys.find(sig.keyid);
    if (key == keys.end()) continue;
    Bytes der = key->second.pub.ToDer();
    if (good.count(der)) continue;
    if (crypto::VerifyMessage(key->second.pub, AsBytes(canon), sig.sig, key->second.sig_scheme)
            .ok()) {
      good.insert(std::move(der));
    }
  }
  if (good.size() < rk.threshold) {
    return Errorf(ErrorCode::kBadSignature,
                  "{} metadata has {} valid signature(s) from {} keys, threshold is {}", role_name,
                  good.size(), role_name, rk.threshold);
  }
  return Ok();
}

Result<Bytes> SignEnvelope(const json& signed_json,
                           const std::vector<const crypto::PrivateKey*>& keys) {
  crypto::KeySigner signer;
  std::vector<crypto::PublicKey> pubs;
  for (const crypto::PrivateKey* k : keys) {
    signer.Add(*k);
    pubs.push_back(crypto::PublicKey::Of(*k));
  }
  return SignEnvelope(signed_json, pubs, "metadata", signer);
}

crypto::SignRequest MetadataSignRequest(std::string_view role, const crypto::PublicKey& key,
                                        std::string_view canonical) {
  Key k = KeyFromPublic(key);
  return {.item = {.name = fmt::format("{}-{}", role, KeyId(k).substr(0, 16)),
                   .role = std::string(role)},
          .kind = "tuf-metadata",
          .algorithm = crypto::AlgorithmOf(k.sig_scheme),
          .key = key,
          .message = AsBytes(canonical)};
}

Result<Bytes> SignEnvelope(const json& signed_json, const std::vector<crypto::PublicKey>& keys,
                           std::string_view role, crypto::Signer& signer) {
  HULL_ASSIGN_OR_RETURN(std::string canon, CanonicalJson(signed_json));
  std::vector<Signature> sigs;
  for (const crypto::PublicKey& pub : keys) {
    HULL_ASSIGN_OR_RETURN(Bytes sig, signer.Sign(MetadataSignRequest(role, pub, canon)));
    sigs.push_back({KeyId(KeyFromPublic(pub)), std::move(sig)});
  }
  return EncodeEnvelope(signed_json, sigs);
}

Bytes EncodeEnvelope(const json& signed_json, const std::vector<Signature>& signatures) {
  json sigs = json::array();
  for (const Signature& s : signatures)
    sigs.push_back({{"keyid", s.keyid}, {"sig", HexEncode(s.sig)}});
  json doc{{"signatures", sigs}, {"signed", signed_json}};
  std::string text = doc.dump(1) + "\n";
  return Bytes(text.begin(), text.end());
}

namespace {
json CommonJson(const char* type, const Common& c) {
  return json{{"_type", type},
              {"spec_version", c.spec_version.empty() ? kSpecVersion : c.spec_version},
              {"version", c.version},
              {"expires", FormatExpires(c.expires)}};
}
}  // namespace

json RootToJson(const Root& r) {
  json j = CommonJson("root", r);
  j["consistent_snapshot"] = r.consistent_snapshot;
  j["keys"] = json::object();
  for (const auto& [id, k] : r.keys) j["keys"][id] = k.ToJson();
  j["roles"] = json::object();
  for (const auto& [role, rk] : r.roles) {
    j["roles"][RoleName(role)] = {{"keyids", rk.keyids}, {"threshold", rk.threshold}};
  }
  return j;
}

json TimestampToJson(const Timestamp& t) {
  json j = CommonJson("timestamp", t);
  j["meta"] = {{"snapshot.json", MetaFileToJson(t.snapshot)}};
  return j;
}

json SnapshotToJson(const Snapshot& s) {
  json j = CommonJson("snapshot", s);
  j["meta"] = json::object();
  for (const auto& [name, m] : s.meta) j["meta"][name] = MetaFileToJson(m);
  return j;
}

json TargetsToJson(const Targets& t) {
  json j = CommonJson("targets", t);
  j["targets"] = json::object();
  for (const auto& [name, f] : t.targets) {
    json tj{{"length", f.length}, {"hashes", f.hashes}};
    if (!f.custom.is_null()) tj["custom"] = f.custom;
    j["targets"][name] = tj;
  }
  return j;
}

}  // namespace hull::tuf

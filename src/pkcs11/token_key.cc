#include "pkcs11/token_key.h"

// libp11's engine is an OpenSSL ENGINE, an API OpenSSL 3 deprecates (bookworm
// has no pkcs11-provider); this file is the only user.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/engine.h>
#include <openssl/err.h>

#include <map>
#include <memory>

#include "base/subprocess.h"

namespace hull::pkcs11 {
namespace {

constexpr const char* kEngineHint = "apt-get install libengine-pkcs11-openssl";

// The OpenSSL error queue's reason strings, cleared.
std::string DrainReasons() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* r = ERR_reason_error_string(e);
    if (!r) continue;
    if (!out.empty()) out += "; ";
    out += r;
  }
  return out;
}

// One initialised engine per module, for the life of the process: libp11
// and SoftHSM tear down badly when an engine is finished while OpenSSL
// itself is being cleaned up at exit, and a process signs with few modules.
Result<ENGINE*> EngineFor(const std::string& module) {
  static auto* engines = new std::map<std::string, ENGINE*>();
  if (auto it = engines->find(module); it != engines->end()) return it->second;
  ENGINE_load_dynamic();
  ENGINE* e = ENGINE_by_id("pkcs11");
  if (!e) {
    DrainReasons();
    return Errorf(ErrorCode::kNotFound, "OpenSSL's pkcs11 engine is not installed ({})",
                  kEngineHint);
  }
  bool ok = ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module.c_str(), 0) == 1 &&
            ENGINE_ctrl_cmd_string(e, "QUIET", nullptr, 0) == 1 && ENGINE_init(e) == 1;
  if (!ok) {
    std::string why = DrainReasons();
    ENGINE_free(e);
    return Errorf(ErrorCode::kNotFound, "cannot load PKCS#11 module '{}'{}{}", module,
                  why.empty() ? "" : ": ", why);
  }
  (*engines)[module] = e;
  return e;
}

Error LoadError(const std::string& reasons, const Uri& uri) {
  if (reasons.find("PIN incorrect") != std::string::npos) {
    return Error(ErrorCode::kRefused, "the token refused the PIN (wrong PIN)");
  }
  if (reasons.find("PIN locked") != std::string::npos) {
    return Error(ErrorCode::kRefused, "the token's PIN is locked");
  }
  if (reasons.find("object not found") != std::string::npos) {
    return Error(ErrorCode::kNotFound,
                 "no private key in the token matches (list them with 'pkcs11-tool --module " +
                     uri.Module() + " --list-objects --type privkey --login')");
  }
  return Errorf(ErrorCode::kNotFound, "no matching token or key{}{}", reasons.empty() ? "" : ": ",
                reasons);
}

Status CheckNamesKey(const Uri& uri) {
  if (auto t = uri.path.find("type"); t != uri.path.end() && t->second != "private") {
    return Errorf(ErrorCode::kInvalidArgument, "type={} is not a private key (use type=private)",
                  t->second);
  }
  if (!uri.path.count("object") && !uri.path.count("id")) {
    return Error(ErrorCode::kInvalidArgument, "names no key (add object=LABEL or id=ID)");
  }
  return Ok();
}

Result<crypto::PrivateKey> LoadKey(const Uri& uri) {
  auto load = [&]() -> Result<crypto::PrivateKey> {
    HULL_TRY(CheckNamesKey(uri));
    HULL_ASSIGN_OR_RETURN(std::string pin, uri.Pin());
    HULL_ASSIGN_OR_RETURN(ENGINE * e, EngineFor(uri.Module()));
    ERR_clear_error();
    if (ENGINE_ctrl_cmd_string(e, "PIN", pin.c_str(), 0) != 1) {
      return Errorf(ErrorCode::kInternal, "the engine takes no PIN: {}", DrainReasons());
    }
    EVP_PKEY* pkey = ENGINE_load_private_key(e, uri.Public().c_str(), nullptr, nullptr);
    if (!pkey) return LoadError(DrainReasons(), uri);
    // The engine stays loaded for the process (EngineFor), so the key owns nothing.
    return crypto::PrivateKey::Adopt(pkey, nullptr);
  };
  return load().Context(fmt::format("key '{}'", uri.Public()));
}

}  // namespace

Result<crypto::PrivateKey> LoadTokenKey(const std::string& uri_text) {
  HULL_ASSIGN_OR_RETURN(Uri uri, ParseUri(uri_text));
  return LoadKey(uri);
}

Result<std::vector<std::string>> KeyGenArgv(const Uri& token, const std::string& label,
                                            crypto::KeyType type, const std::string& pin) {
  auto t = token.path.find("token");
  if (t == token.path.end()) {
    return Error(ErrorCode::kInvalidArgument, "names no token (add token=LABEL)");
  }
  const char* key_type = nullptr;
  if (type == crypto::KeyType::kRsa2048) key_type = "rsa:2048";
  if (type == crypto::KeyType::kEcdsaP256) key_type = "EC:prime256v1";
  if (!key_type) {
    return Error(ErrorCode::kUnsupported, "only RSA-2048 and ECDSA P-256 keys are made in tokens");
  }
  return std::vector<std::string>{"pkcs11-tool",  "--module",    token.Module(), "--token-label",
                                  t->second,      "--login",     "--pin",        pin,
                                  "--keypairgen", "--key-type",  key_type,       "--label",
                                  label,          "--usage-sign"};
}

namespace {
Uri KeyUri(const Uri& token, const std::string& label) {
  Uri key = token;
  key.path.erase("id");
  key.path["object"] = label;
  key.path["type"] = "private";
  return key;
}

Status CheckNoKey(const Uri& key) {
  auto existing = LoadKey(key);
  if (existing.ok()) {
    return Errorf(ErrorCode::kAlreadyExists,
                  "key '{}': the token already holds this key: refusing to overwrite",
                  key.Public());
  }
  bool absent = existing.error().code() == ErrorCode::kNotFound &&
                existing.error().message().find("no private key") != std::string::npos;
  if (absent) return Ok();
  return std::move(existing).error();
}
}  // namespace

Status CheckNoTokenKey(const std::string& token_uri, const std::string& label) {
  HULL_ASSIGN_OR_RETURN(Uri uri, ParseUri(token_uri));
  return CheckNoKey(KeyUri(uri, label));
}

Result<TokenKey> GenerateTokenKey(const std::string& token_uri, const std::string& label,
                                  crypto::KeyType type) {
  HULL_ASSIGN_OR_RETURN(Uri uri, ParseUri(token_uri));
  Uri key = KeyUri(uri, label);
  HULL_TRY(CheckNoKey(key));
  auto make = [&]() -> Result<TokenKey> {
    HULL_ASSIGN_OR_RETURN(std::string pin, uri.Pin());
    HULL_ASSIGN_OR_RETURN(auto argv, KeyGenArgv(uri, label, type, pin));
    // Not Run(): its error would print the command line, and so the PIN.
    HULL_ASSIGN_OR_RETURN(
        auto out, RunAllowFailure(
                      Command{.argv = std::move(argv), .install_hint = "apt-get install opensc"}));
    if (out.exit_code != 0 || out.term_signal != 0) {
      return Errorf(ErrorCode::kProcessFailed, "pkcs11-tool --keypairgen failed: {}",
                    out.err.substr(0, out.err.find('\n')));
    }
    HULL_ASSIGN_OR_RETURN(crypto::PrivateKey made, LoadKey(key));
    return TokenKey{key.WithoutPin(), std::move(made)};
  };
  return make().Context(fmt::format("key '{}'", key.Public()));
}

}  // namespace hull::pkcs11

// Private keys in PKCS#11 tokens, loaded through OpenSSL's pkcs11 ENGINE
// (libp11's engine: /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so, Debian
// package libengine-pkcs11-openssl). The key never leaves the token: the
// returned crypto::PrivateKey signs by asking the token (RSA PKCS#1 v1.5 and
// PSS, ECDSA; libp11 0.4.12 has no EdDSA).
//
// Errors name the URI (without its PIN) and the fault, one line each:
//   kNotFound      the engine or module is missing (names the Debian package),
//                  no token matches, no private key matches, no PIN given
//   kRefused       the token refused the PIN (wrong PIN, PIN locked)
//   kInvalidArgument  a malformed URI, or one not naming a private key
#pragma once

#include <string>
#include <vector>

#include "crypto/key.h"
#include "pkcs11/uri.h"

namespace hull::pkcs11 {

Result<crypto::PrivateKey> LoadTokenKey(const std::string& uri_text);

// pkcs11-tool (opensc) argv generating an RSA-2048 (kRsa2048) or ECDSA P-256
// key pair labelled `label` in the URI's token; pure, unit-tested. The PIN is
// passed as --pin (pkcs11-tool reads it nowhere else without a terminal).
Result<std::vector<std::string>> KeyGenArgv(const Uri& token, const std::string& label,
                                            crypto::KeyType type, const std::string& pin);

// Ok when the token `token_uri` names holds no private key labelled `label`;
// kAlreadyExists when it does; the token's errors (wrong PIN, no token).
Status CheckNoTokenKey(const std::string& token_uri, const std::string& label);

struct TokenKey {
  std::string uri;  // the private key's URI, without pin-value (safe to store)
  crypto::PrivateKey key;
};
// Generates a key pair labelled `label` in the token `token_uri` names and
// loads it. kAlreadyExists when the token already holds a private key with
// that label; kProcessFailed (pkcs11-tool's first line, never the PIN).
Result<TokenKey> GenerateTokenKey(const std::string& token_uri, const std::string& label,
                                  crypto::KeyType type);

}  // namespace hull::pkcs11

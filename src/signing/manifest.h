// The manifest of an offline-signing directory (docs/keys.md, "Offline
// signing"): DIR/manifest.json lists every signature a command needs, each
// with its files in DIR:
//   NAME.bin      the exact bytes to sign (the message)
//   NAME.pub.pem  the public key the signature must verify against
//   NAME.sig      the raw signature, written by `hull sign-offline` or any
//                 tool making the same signature (openssl, a KMS, an HSM)
// {"format": "hull-offline-signing/1", "command": "build",
//  "subject": "image NAME VERSION, usr products/KEY" (optional: the state the
//             command stopped in, which the injecting run must be in again),
//  "items": [{"name": "uki", "kind": "authenticode-signed-attributes",
//             "role": "db", "algorithm": "rsa-pkcs1v15-sha256",
//             "payload": "uki.bin", "payload_sha256": HEX,
//             "public_key": "uki.pub.pem", "public_key_sha256": HEX (of the SPKI DER),
//             "signature": "uki.sig"}, ...]}
// File names are derived from the item's name, never taken from the manifest,
// so a manifest from elsewhere names no path outside DIR.
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/signer.h"

namespace hull::signing {

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kManifestFormat = "hull-offline-signing/1";
inline constexpr size_t kMaxItems = 256;
inline constexpr uint64_t kMaxManifestBytes = 1 << 20;

struct Item {
  std::string name, kind, role;
  crypto::SignatureAlgorithm algorithm = crypto::SignatureAlgorithm::kRsaPkcs1Sha256;
  std::string payload_sha256;     // lowercase hex
  std::string public_key_sha256;  // lowercase hex of the SubjectPublicKeyInfo DER

  std::string PayloadFile() const { return name + ".bin"; }
  std::string PublicKeyFile() const { return name + ".pub.pem"; }
  std::string SignatureFile() const { return name + ".sig"; }
};

struct Manifest {
  std::string command;  // the command that wrote it: "build", "customize", "sign", ...
  // What the command stopped at, in its own words (empty: not bound); the
  // injecting run refuses a directory whose subject is not its own.
  std::string subject;
  std::vector<Item> items;
  const Item* Find(std::string_view name) const;
};

// Whether `name` is a usable item name: 1..64 of [A-Za-z0-9._-], not
// starting with '.'.
bool ValidItemName(std::string_view name);

std::string EncodeManifest(const Manifest& manifest);
// Errors: kCorrupt naming the field for malformed JSON, a missing or mistyped
// field (`subject` may be absent), an unknown format, a bad or repeated name, a file name that is
// not the one derived from the name, more than kMaxItems items; kUnsupported for an unknown
// algorithm.
Result<Manifest> ParseManifest(std::string_view json);

}  // namespace hull::signing

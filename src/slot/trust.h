// Check before download (docs/update.md "Check before download"): what a
// release declares about itself, checked against the disk and the node's
// trust set before any byte of its payload is fetched, and the certificates
// its pieces are verified against once they are.
//
// Trust set: a directory shipped in /usr (node::kTrustDir) holding
//   db/*.crt      certificates a UKI's Authenticode signature may come from
//   verity/*.crt  certificates a root hash signature (PKCS#7) may come from
// PEM or DER, at most kMaxTrustCerts per kind. A release that ships the next
// certificate beside the current one lets the one after it be signed with
// the next key: key rotation without a flag day.
//
// Declaration: the custom "release" object of a release's usr target,
// written by src/release when it publishes:
//   {"sizes": {"usr": N, "verity": N, "uki": N},
//    "signers": {"verity": "<hex SHA-256 of the DER certificate>",
//                "uki": "<hex SHA-256 of the DER certificate>"}}
// Signed by the targets role with the rest of the target.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/key.h"
#include "node/config.h"
#include "slot/state.h"

namespace hull::slot {

using node::kMaxTrustCerts;                               // per kind
inline constexpr uint64_t kMaxTrustCertBytes = 64 << 10;  // per file

struct TrustSet {
  std::string dir;  // where it was read from (for errors)
  std::vector<crypto::Certificate> db, verity;
  bool empty() const { return db.empty() && verity.empty(); }
};

// One trust set file's bytes as a certificate: PEM when it holds a PEM
// header, else DER. kCorrupt "`name`: not a certificate".
Result<crypto::Certificate> ParseTrustCertificate(ByteSpan raw, const std::string& name);

// Reads `dir`/db/*.crt and `dir`/verity/*.crt in name order. An absent
// directory (or kind) is an empty set. kCorrupt naming the file for one
// that is not a certificate; kInvalidArgument for more than kMaxTrustCerts.
Result<TrustSet> LoadTrustSet(const std::string& dir);

struct Declaration {
  uint64_t usr = 0, verity = 0, uki = 0;  // bytes
  std::string verity_signer, uki_signer;  // lowercase hex SHA-256
};

nlohmann::json DeclarationJson(const Declaration& d);
// kCorrupt "release declaration: ..." for a malformed object.
Result<Declaration> ParseDeclaration(const nlohmann::json& release);

// What the release's pieces weigh, from the signed TUF lengths.
struct PieceLengths {
  uint64_t usr = 0, verity = 0, signature = 0, uki = 0;
};

// The trusted certificates a release's pieces must verify against (null:
// that kind is not checked, the trust set having none of it).
struct Signers {
  const crypto::Certificate* verity = nullptr;
  const crypto::Certificate* db = nullptr;
};

// Before any byte of the payload, in this order:
//  1. the declaration (when present) agrees with the TUF lengths
//     (kVerifyFailed: the release contradicts itself);
//  2. the pieces fit slot `target`'s partitions and the UKI kMaxUkiBytes
//     (kRefused "<what> needs N bytes, slot X's partition P has M");
//  3. with a non-empty trust set: the release declares its signers
//     (kRefused otherwise), and each declared fingerprint is one of the
//     set's certificates of its kind (kRefused "release V: its <root hash |
//     UKI> is signed by certificate <fp>, which is not in the node's trust
//     set (<dir>/<kind>)").
// Returns the certificates matched in 3.
Result<Signers> CheckBeforeDownload(const std::string& version, const PieceLengths& lengths,
                                    const std::optional<Declaration>& declared, const Slot& target,
                                    const TrustSet& trust);

// After download: the UKI's Authenticode signature against signers.db
// (pe::VerifyImage; nothing when null), the root hash signature of the
// signature partition against signers.verity (nothing when null). The
// errors of pe::VerifyImage and verity::VerifyRootHashSignature, with the
// release's version as context.
Status VerifySigners(const std::string& version, ByteSpan uki, ByteSpan signature_partition,
                     const Signers& signers);

}  // namespace hull::slot

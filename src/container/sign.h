// `hull container sign`: a sigstore signature of an image in an OCI layout
// (oci/sigstore.h), made through the signing seam (crypto/signer.h) so the
// key may be a file or a PKCS#11 token key, and added to the layout in place;
// or (--format openpgp) a simple-signing OpenPGP signature written to a
// lookaside directory (oci/simple_signing.h), for skopeo/podman builds that
// verify only `signedBy` (Debian's).
// Offline (docs/keys.md "Offline signing", signing/offline.h): `--sign-offline
// DIR` stops with the simple-signing payload to sign in DIR (one item,
// `sigstore-<first 16 hex of the digest>`, kind "sigstore-payload", role
// "container"; subject "container image DIGEST as IDENTITY"), the layout
// untouched; `--inject-signatures DIR` adds the signature signed there.
#pragma once

#include <string>

#include "base/result.h"
#include "crypto/signature.h"
#include "crypto/signer.h"
#include "signing/offline.h"

namespace hull::container {

enum class SignFormat {
  kSigstore,  // a sigstore signature manifest in the layout (policy sigstoreSigned)
  kOpenPgp,   // simple signing, OpenPGP, in a lookaside directory (policy signedBy)
};
// "sigstore", "openpgp"; kInvalidArgument naming both for another name.
Result<SignFormat> ParseSignFormat(std::string_view name);

struct SignOptions {
  std::string layout;    // an OCI image layout directory
  std::string ref;       // the image's ref name in index.json ("" = the only one)
  std::string identity;  // the reference it is published under (oci::CheckDockerReference)
  SignFormat format = SignFormat::kSigstore;
  std::string lookaside;  // kOpenPgp: the lookaside directory written into
  int64_t created = 0;    // kOpenPgp: the signature's time (SOURCE_DATE_EPOCH or now)
};

struct SignResult {
  std::string name;         // the image's ref name
  std::string digest;       // the signed manifest or index digest
  std::string tag;          // kSigstore: the signature manifest's ref name (sha256-<hex>.sig)
  std::string algorithm;    // crypto::SignatureAlgorithmName
  std::string path;         // kOpenPgp: the signature file written (.../signature-1)
  std::string fingerprint;  // kOpenPgp: the OpenPGP key's fingerprint
};

// The signature algorithm containers/image verifies for `key`'s type: RSA
// PKCS#1 v1.5, ECDSA or Ed25519, over SHA-256 (sigstore's verifier for a
// PEM public key). kUnsupported for other keys.
Result<crypto::SignatureAlgorithm> SigstoreAlgorithmFor(const crypto::PublicKey& key);

// Reads the layout whole (every blob checked against its digest), signs the
// image through `session`, writes the signature's blobs and then
// index.json. The signature made is verified against `key` before anything
// is written. Recording: writes DIR (SigningSession::Finish) and nothing in
// the layout; injecting: the signature from DIR (InjectingSigner's
// refusals; kRefused for a directory made for another image or identity, or
// by another command).
// kOpenPgp: the OpenPGP signature (oci::OpenPgpSignedMessage) of the
// simple-signing payload written atomically to
// oci::LookasideSignaturePath(lookaside, identity, digest, 1), replacing an
// earlier one there; the layout is only read. The key must be RSA or Ed25519
// (kUnsupported otherwise). Offline: one item `openpgp-<first 16 hex>`, kind
// "openpgp-signature", subject OpenPgpSignSubject (the signature's time is
// signed, so the injecting run needs the stop's SOURCE_DATE_EPOCH).
Result<SignResult> SignImage(const SignOptions& options, const crypto::PublicKey& key,
                             signing::SigningSession& session);

// The subject a signing directory of `digest` signed as `identity` is bound to.
std::string SignSubject(const std::string& digest, const std::string& identity);
// "container image DIGEST as IDENTITY, OpenPGP signature at SECONDS".
std::string OpenPgpSignSubject(const std::string& digest, const std::string& identity,
                               int64_t created);

// `key` as an OpenPGP certificate for policy.json's keyPath (and `gpg
// --import`): oci::OpenPgpCertificate with `user_id`, certified through
// `signer`; ASCII-armored when `armor`. kUnsupported for a key that is
// neither RSA nor Ed25519.
Result<Bytes> ExportOpenPgpKey(const crypto::PublicKey& key, const std::string& user_id, bool armor,
                               crypto::Signer& signer);

}  // namespace hull::container

// `hull container sign`: a sigstore signature of an image in an OCI layout
// (oci/sigstore.h), made through the signing seam (crypto/signer.h) so the
// key may be a file or a PKCS#11 token key, and added to the layout in place.
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

struct SignOptions {
  std::string layout;    // an OCI image layout directory
  std::string ref;       // the image's ref name in index.json ("" = the only one)
  std::string identity;  // the reference it is published under (oci::CheckDockerReference)
};

struct SignResult {
  std::string name;       // the image's ref name
  std::string digest;     // the signed manifest or index digest
  std::string tag;        // the signature manifest's ref name (sha256-<hex>.sig)
  std::string algorithm;  // crypto::SignatureAlgorithmName
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
Result<SignResult> SignImage(const SignOptions& options, const crypto::PublicKey& key,
                             signing::SigningSession& session);

// The subject a signing directory of `digest` signed as `identity` is bound to.
std::string SignSubject(const std::string& digest, const std::string& identity);

}  // namespace hull::container

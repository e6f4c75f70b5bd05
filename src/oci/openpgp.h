// OpenPGP v4 packets (RFC 4880; RFC 9580 §5, its v4 forms) for the container
// signatures containers/image verifies with GnuPG: the policy.json
// requirement {"type": "signedBy", "keyType": "GPGKeys", "keyPath": ...}
// (docs/containers.md, "Signing"). Writers only: Hull never reads OpenPGP.
//
// The key is Hull's signing key (a PEM file or a PKCS#11 URI, docs/keys.md)
// seen as an OpenPGP v4 key: RSA (algorithm 1) or Ed25519 (EdDSA, algorithm
// 22, curve OID 1.3.6.1.4.1.11591.15.1). Its creation time is fixed at
// kOpenPgpKeyCreated, so its fingerprint depends on the key alone and the
// exported certificate is the same bytes every time. Signatures are made
// through the signing seam (crypto/signer.h): RSA PKCS#1 v1.5 and Ed25519
// are deterministic, so a file key and the same key on a token give the
// same bytes. The raw signature asked for: RSA PKCS#1 v1.5 SHA-256 over the
// hashed data and the signature's v4 trailer (what `openssl dgst -sha256
// -sign` makes), or Ed25519 over the 32-byte SHA-256 digest of them. The
// signer's bytes are used as given: the caller's signer verifies them
// (KeySigner signs with the key itself, InjectingSigner checks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/signer.h"

namespace hull::oci {

// The creation time of every key Hull presents as OpenPGP (1970-01-01): part
// of the fingerprint, so it is fixed rather than taken from the clock.
inline constexpr uint32_t kOpenPgpKeyCreated = 0;

struct OpenPgpKey {
  crypto::PublicKey key;
  Bytes body;           // the public-key packet's body (RFC 4880 §5.5.2)
  Bytes fingerprint;    // SHA-1 over 0x99, the body's length (2 bytes), the body (§12.2)
  Bytes KeyId() const;  // the fingerprint's last 8 bytes
  std::string FingerprintHex() const;  // uppercase, as gpg prints it
};

// kUnsupported for a key that is neither RSA nor Ed25519 (ECDSA signatures
// are not deterministic; GnuPG's ECDSA needs its own point encoding).
Result<OpenPgpKey> MakeOpenPgpKey(const crypto::PublicKey& key);

// A transferable public key (§11.1): the public-key packet, a user ID packet
// and its positive certification (type 0x13: key flags certify + sign,
// SHA-256), made by `signer` as `item`, kind "openpgp-certification".
// Errors: the signer's.
Result<Bytes> OpenPgpCertificate(const OpenPgpKey& key, std::string_view user_id,
                                 crypto::Signer& signer, const crypto::SigningItem& item);

// A signed message (§11.3): one-pass signature, literal data (binary, no
// file name, dated `created`) holding `data`, and the signature of a binary
// document (type 0x00, SHA-256, created `created`, issuer fingerprint and key
// ID), made by `signer` as `item`, kind "openpgp-signature". What `gpg -d`
// and containers/image's simple signing read. Errors: the signer's.
Result<Bytes> OpenPgpSignedMessage(const OpenPgpKey& key, ByteSpan data, uint32_t created,
                                   crypto::Signer& signer, const crypto::SigningItem& item);

// ASCII armor (§6.2): "-----BEGIN PGP <block>-----", base64 in 64-column
// lines, the CRC-24 line, the END line. block = "PUBLIC KEY BLOCK", ...
std::string OpenPgpArmor(ByteSpan data, std::string_view block);

}  // namespace hull::oci

// PKCS#7 detached signatures (DER), as the kernel's dm-verity
// root_hash_sig_key_desc and DPS verity signature partitions expect:
// SignedData over the exact content bytes, signer certificate not embedded,
// no signed attributes (so signatures are deterministic for RSA/Ed25519).
#pragma once

#include "base/bytes.h"
#include "crypto/key.h"

namespace hull::crypto {

// kUnsupported for Ed25519 keys (the kernel and sbverify take RSA and ECDSA).
Result<Bytes> Pkcs7SignDetached(ByteSpan content, const PrivateKey& key, const Certificate& cert);

// Verifies `signature` over `content` against `cert` only (certificates
// embedded in the signature are ignored). kBadSignature when it does not
// verify, kCorrupt when the blob does not parse.
Status Pkcs7VerifyDetached(ByteSpan content, ByteSpan signature, const Certificate& cert);

}  // namespace hull::crypto

// PKCS#7 detached signatures (DER), as the kernel's dm-verity
// root_hash_sig_key_desc and DPS verity signature partitions expect:
// SignedData over the exact content bytes, signer certificate not embedded,
// no signed attributes (so signatures are deterministic for RSA). Without
// signed attributes the signer's raw signature is over the content itself:
// RSASSA-PKCS1-v1_5 or ECDSA over SHA-256 of `content` (crypto/signer.h).
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "crypto/key.h"
#include "crypto/signer.h"

namespace hull::crypto {

// `signer` makes the raw signature over `content` for `item` (request kind
// `kind`, key: the certificate's). kUnsupported for a certificate whose key
// is neither RSA nor ECDSA (the kernel and sbverify take no other); the
// signer's errors.
Result<Bytes> Pkcs7SignDetached(ByteSpan content, const Certificate& cert, Signer& signer,
                                const SigningItem& item, std::string_view kind);
// The same with a key in hand (a KeySigner); kInvalidArgument when the key
// does not belong to the certificate.
Result<Bytes> Pkcs7SignDetached(ByteSpan content, const PrivateKey& key, const Certificate& cert);

// Verifies `signature` over `content` against `cert` only (certificates
// embedded in the signature are ignored). kBadSignature when it does not
// verify, kCorrupt when the blob does not parse.
Status Pkcs7VerifyDetached(ByteSpan content, ByteSpan signature, const Certificate& cert);

}  // namespace hull::crypto

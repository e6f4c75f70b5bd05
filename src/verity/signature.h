// Root-hash signatures as the kernel's dm-verity root_hash_sig_key_desc and
// the DPS usr-verity-sig partition expect (REFERENCE.md §3.2, §5.4): a DER
// PKCS#7 detached signature over the lowercase hex root hash string, with no
// NUL and no newline.
#pragma once

#include <string>

#include "base/bytes.h"
#include "crypto/key.h"
#include "crypto/signer.h"

namespace hull::verity {

Result<Bytes> SignRootHash(ByteSpan root_hash, const crypto::PrivateKey& key,
                           const crypto::Certificate& cert);
// The same with the signature made by `signer` for `item` (crypto/signer.h):
// request kind "verity-root-hash", message the lowercase hex root hash.
Result<Bytes> SignRootHash(ByteSpan root_hash, const crypto::Certificate& cert,
                           crypto::Signer& signer, const crypto::SigningItem& item);
Status VerifyRootHashSignature(ByteSpan root_hash, ByteSpan signature,
                               const crypto::Certificate& cert);

// The DPS verity signature partition content: JSON with rootHash, signature
// (base64 DER) and certificateFingerprint, NUL-padded to a multiple of 4096.
Result<Bytes> EncodeSignaturePartition(ByteSpan root_hash, ByteSpan signature,
                                       const crypto::Certificate& cert);

struct SignaturePartition {
  Bytes root_hash;
  Bytes signature;
  std::string certificate_fingerprint;  // hex, may be empty
};
// Parses the JSON (trailing NULs allowed); kCorrupt on malformed content.
Result<SignaturePartition> DecodeSignaturePartition(ByteSpan content);

}  // namespace hull::verity

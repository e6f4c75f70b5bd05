// Root-hash signatures as the kernel's dm-verity root_hash_sig_key_desc and
// the DPS usr-verity-sig partition expect (REFERENCE.md §3.2, §5.4): a DER
// PKCS#7 detached signature over the lowercase hex root hash string, with no
// NUL and no newline.
#pragma once

#include <string>

#include "base/bytes.h"
#include "crypto/key.h"

namespace hull::verity {

Result<Bytes> SignRootHash(ByteSpan root_hash, const crypto::PrivateKey& key,
                           const crypto::Certificate& cert);
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

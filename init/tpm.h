// PCR 11 boot phases as systemd-pcrphase extends them (REFERENCE.md §4.3):
// the SHA-256 bank of PCR 11 is extended with SHA-256(word), the word's ASCII
// bytes without a NUL ("enter-initrd", "leave-initrd").
//
// TPM2_PCR_Extend (TPM 2.0 Library Part 3 §22.2, command code 0x182), all
// integers big-endian:
//   u16 tag            TPM_ST_SESSIONS 0x8002 (the PCR handle needs auth)
//   u32 commandSize    65 for one SHA-256 digest
//   u32 commandCode    TPM_CC_PCR_Extend 0x00000182
//   u32 pcrHandle      the PCR index (PCR handles are 0x00000000 + n)
//   u32 authorizationSize  9: one password session (Part 1 §19.8.4)
//       u32 sessionHandle  TPM_RS_PW 0x40000009
//       u16 nonce.size 0, u8 sessionAttributes 0, u16 hmac.size 0 (empty auth)
//   TPML_DIGEST_VALUES: u32 count 1, u16 hashAlg TPM_ALG_SHA256 0x000B,
//       32 digest bytes
// The response is u16 tag, u32 size, u32 responseCode (0 = TPM_RC_SUCCESS).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::init {

inline constexpr uint32_t kPcrPhase = 11;

Bytes PhaseDigest(std::string_view word);                     // SHA-256(word)
Bytes ExtendValue(ByteSpan pcr, ByteSpan digest);             // SHA-256(pcr || digest)
Bytes EncodePcrExtend(uint32_t pcr, ByteSpan sha256_digest);  // 32-byte digest

// Checks a response: kCorrupt "TPM response: N bytes, size field says M" /
// "TPM response shorter than 10 bytes"; kRefused "TPM2_PCR_Extend failed:
// response code 0x..." for a non-zero code.
Status CheckResponse(ByteSpan response);

}  // namespace hull::init

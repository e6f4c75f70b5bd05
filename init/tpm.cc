#include "init/tpm.h"

#include "init/sha256.h"

namespace hull::init {

Bytes PhaseDigest(std::string_view word) {
  return Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(word.data()), word.size()));
}

Bytes ExtendValue(ByteSpan pcr, ByteSpan digest) {
  Bytes cat(pcr.begin(), pcr.end());
  cat.insert(cat.end(), digest.begin(), digest.end());
  return Sha256(cat);
}

Bytes EncodePcrExtend(uint32_t pcr, ByteSpan digest) {
  ByteWriter w;
  w.Be16(0x8002);                                            // TPM_ST_SESSIONS
  w.Be32(uint32_t(10 + 4 + 4 + 9 + 4 + 2 + digest.size()));  // commandSize
  w.Be32(0x00000182);                                        // TPM_CC_PCR_Extend
  w.Be32(pcr);                                               // pcrHandle
  w.Be32(9);                                                 // authorizationSize
  w.Be32(0x40000009);                                        // TPM_RS_PW
  w.Be16(0);                                                 // nonceCaller.size
  w.U8(0);                                                   // sessionAttributes
  w.Be16(0);                                                 // hmac.size (empty password)
  w.Be32(1);                                                 // TPML_DIGEST_VALUES.count
  w.Be16(0x000B);                                            // TPM_ALG_SHA256
  w.Append(digest);
  return w.Take();
}

Status CheckResponse(ByteSpan r) {
  if (r.size() < 10) return Error(ErrorCode::kCorrupt, "TPM response shorter than 10 bytes");
  uint32_t size = LoadBe32(r.data() + 2);
  if (size != r.size())
    return Errorf(ErrorCode::kCorrupt, "TPM response: {} bytes, size field says {}", r.size(),
                  size);
  uint32_t rc = LoadBe32(r.data() + 6);
  if (rc != 0)
    return Errorf(ErrorCode::kRefused, "TPM2_PCR_Extend failed: response code {:#x}", rc);
  return {};
}

}  // namespace hull::init

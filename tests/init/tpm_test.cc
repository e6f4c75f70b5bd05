#include "init/tpm.h"

#include <gtest/gtest.h>

#include "base/hex.h"
#include "support/status_matchers.h"

namespace hull::init {
namespace {

// Produced with Python's hashlib (independent of OpenSSL's EVP path used here):
//   python3 -c 'import hashlib;print(hashlib.sha256(b"enter-initrd").hexdigest())'
//   pcr = bytes(32); for w in ("enter-initrd", "leave-initrd"):
//       pcr = hashlib.sha256(pcr + hashlib.sha256(w.encode()).digest()).digest()
constexpr const char* kEnterDigest =
    "51e6b92f405d1f98d96e3de343d61d420ad6923b25de21d766f9298192f14fed";
constexpr const char* kAfterEnter =
    "d15b0e8e244e65c40f024e95773f2347ce4ef3ffe6b597c9a14b50bbab6df319";
constexpr const char* kAfterLeave =
    "75df9c8b17d8a6465f2862028b892ea13a3d7c37685a945e5ff34fb44956c207";

TEST(Tpm, PhaseDigestsAndPcrChain) {
  EXPECT_EQ(HexEncode(PhaseDigest("enter-initrd")), kEnterDigest);
  Bytes pcr(32, 0);  // PCR 11 starts at zero; here without the UKI sections before it
  pcr = ExtendValue(pcr, PhaseDigest("enter-initrd"));
  EXPECT_EQ(HexEncode(pcr), kAfterEnter);
  pcr = ExtendValue(pcr, PhaseDigest("leave-initrd"));
  EXPECT_EQ(HexEncode(pcr), kAfterLeave);
}

// Derived by hand from TPM 2.0 Library Part 3 §22.2 (TPM2_PCR_Extend command
// table) and Part 1 §19.8.4 (password authorization), big-endian fields:
//   8002                 tag TPM_ST_SESSIONS
//   00000041             commandSize = 2+4+4 + 4 + 4+9 + 4+2+32 = 65
//   00000182             TPM_CC_PCR_Extend
//   0000000b             pcrHandle = PCR 11
//   00000009             authorizationSize
//   40000009 0000 00 0000  TPM_RS_PW, empty nonce, attributes 0, empty hmac
//   00000001             TPML_DIGEST_VALUES.count
//   000b                 TPM_ALG_SHA256
//   <32 digest bytes>
TEST(Tpm, PcrExtendCommandBytes) {
  Bytes cmd = EncodePcrExtend(11, *HexDecode(kEnterDigest));
  EXPECT_EQ(cmd.size(), 65u);
  EXPECT_EQ(HexEncode(cmd), std::string("8002"
                                        "00000041"
                                        "00000182"
                                        "0000000b"
                                        "00000009"
                                        "40000009000000"
                                        "0000"
                                        "00000001"
                                        "000b") +
                                kEnterDigest);
}

TEST(Tpm, Responses) {
  EXPECT_OK(CheckResponse(*HexDecode("80020000000a00000000")));
  auto s = CheckResponse(*HexDecode("80010000000a00000101"));
  ASSERT_ERROR(s, ErrorCode::kRefused);
  EXPECT_EQ(s.error().ToString(), "TPM2_PCR_Extend failed: response code 0x101");
  s = CheckResponse(*HexDecode("80020000000b00000000"));
  ASSERT_ERROR(s, ErrorCode::kCorrupt);
  EXPECT_EQ(s.error().ToString(), "TPM response: 10 bytes, size field says 11");
  s = CheckResponse(*HexDecode("8002"));
  ASSERT_ERROR(s, ErrorCode::kCorrupt);
  EXPECT_EQ(s.error().ToString(), "TPM response shorter than 10 bytes");
}

}  // namespace
}  // namespace hull::init

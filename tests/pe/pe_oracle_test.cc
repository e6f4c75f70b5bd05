// Authenticode against the reference tools, run live:
//   sbverify --cert (sbsigntool) accepts Hull's signatures;
//   Hull verifies sbsign's signatures and refuses a tampered one;
//   pesign -h prints the image hash Hull computes (our signed output, and
//   Debian's own signed kernel);
//   the CheckSum sbsign writes equals Hull's ComputeChecksum.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/key.h"
#include "pe/authenticode.h"
#include "support/debian_boot_files.h"
#include "support/status_matchers.h"

namespace hull::pe {
namespace {

using test_support::kSystemdBoot;
using test_support::kSystemdStub;

class PeOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>(std::move(TempDir::Create("pe-oracle").value()));
    key_ = *crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048);
    cert_ = *crypto::Certificate::CreateSelfSigned(
        key_, {.common_name = "Hull oracle db", .is_ca = false, .code_signing = true});
    ASSERT_OK(WriteFileAtomic(Path("db.key"), key_.ToPem(), 0600));
    ASSERT_OK(WriteFileAtomic(Path("db.crt"), cert_.ToPem()));
  }
  std::string Path(const std::string& name) const { return dir_->path() + "/" + name; }

  // Signs `in` with Hull and checks sbverify and pesign agree with us.
  void SignAndCheck(const std::string& in) {
    SCOPED_TRACE(in);
    Bytes data = *ReadFileBytes(in);
    auto signed_image = SignImage(data, key_, cert_);
    ASSERT_OK(signed_image);
    ASSERT_OK(WriteFileAtomic(Path("out.efi"), *signed_image));
    auto sbv = hull::Run(Command{.argv = {"sbverify", "--cert", Path("db.crt"), Path("out.efi")}});
    ASSERT_OK(sbv);
    EXPECT_NE(sbv->out.find("Signature verification OK"), std::string::npos);
    auto pes = hull::Run(Command{.argv = {"pesign", "-h", "-i", Path("out.efi")}});
    ASSERT_OK(pes);
    auto img = *ParsePe(*signed_image);
    EXPECT_EQ(pes->out, "hash: " + HexEncode(ImageHash(*signed_image, img)) + "\n");
  }

  std::unique_ptr<TempDir> dir_;
  crypto::PrivateKey key_;
  crypto::Certificate cert_;
};

TEST_F(PeOracle, SbverifyAndPesignAcceptHullSignatures) {
  SignAndCheck(kSystemdStub);
  SignAndCheck(kSystemdBoot);  // not 8-byte aligned: padded before the certificate table
  std::string kernel = test_support::DebianKernel();
  ASSERT_FALSE(kernel.empty()) << test_support::kNoKernelHint;
  SignAndCheck(kernel);  // already signed by Debian: the signature is replaced
}

TEST_F(PeOracle, HullVerifiesSbsignAndRefusesTampering) {
  auto r = hull::Run(Command{.argv = {"sbsign", "--key", Path("db.key"), "--cert", Path("db.crt"),
                                      "--output", Path("sbsigned.efi"), kSystemdBoot}});
  ASSERT_OK(r);
  Bytes sb = *ReadFileBytes(Path("sbsigned.efi"));
  auto v = VerifyImage(sb, cert_);
  ASSERT_OK(v);
  EXPECT_EQ(v->signer, "/CN=Hull oracle db");
  auto img = *ParsePe(sb);
  EXPECT_EQ(ComputeChecksum(sb, img.checksum_offset()), img.checksum);  // sbsign's CheckSum

  Bytes tampered = sb;
  tampered[img.FindSection(".text")->pointer_to_raw_data + 100] ^= 0x80;
  auto t = VerifyImage(tampered, cert_);
  ASSERT_ERROR(t, ErrorCode::kVerifyFailed);
  // sbverify agrees that the tampered file is bad.
  ASSERT_OK(WriteFileAtomic(Path("tampered.efi"), tampered));
  auto sbv = hull::RunAllowFailure(
      Command{.argv = {"sbverify", "--cert", Path("db.crt"), Path("tampered.efi")}});
  ASSERT_OK(sbv);
  EXPECT_NE(sbv->exit_code, 0);
}

TEST_F(PeOracle, ImageHashOfDebianSignedKernelMatchesPesign) {
  std::string kernel = test_support::DebianKernel();
  ASSERT_FALSE(kernel.empty());
  Bytes k = *ReadFileBytes(kernel);
  auto pes = hull::Run(Command{.argv = {"pesign", "-h", "-i", kernel}});
  ASSERT_OK(pes);
  EXPECT_EQ(pes->out, "hash: " + HexEncode(*ImageHash(k)) + "\n");
}

}  // namespace
}  // namespace hull::pe

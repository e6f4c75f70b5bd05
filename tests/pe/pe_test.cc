// PE32+ codec and Authenticode: parse, corruption matrix, header round trip,
// sign/verify round trip and tampering. Input: Debian's systemd-boot-efi
// binaries (installed by scripts/install-deps.sh).
#include "pe/pe.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <functional>

#include "base/file.h"
#include "crypto/key.h"
#include "pe/authenticode.h"
#include "support/status_matchers.h"

namespace hull::pe {
namespace {

constexpr const char* kStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";

Bytes LoadStub() {
  auto b = ReadFileBytes(kStub);
  EXPECT_OK(b);
  return b.ok() ? *b : Bytes{};
}

// Parses a modified stub and returns the error (the test fails if it parses).
Error ParseError(const Bytes& file) {
  auto r = ParsePe(file);
  if (r.ok()) return Error(ErrorCode::kInternal, "parsed");
  return r.error();
}

TEST(Pe, ParsesSystemdStub) {
  Bytes stub = LoadStub();
  auto img = ParsePe(stub);
  ASSERT_OK(img);
  EXPECT_EQ(img->machine, 0x8664);
  EXPECT_EQ(img->subsystem, kSubsystemEfiApplication);
  EXPECT_EQ(img->directories.size(), 16u);
  ASSERT_NE(img->FindSection(".sdmagic"), nullptr);
  ASSERT_NE(img->FindSection(".text"), nullptr);
  EXPECT_EQ(img->security().size, 0u);
  // The linker's CheckSum field, computed independently of this code.
  EXPECT_EQ(ComputeChecksum(stub, img->checksum_offset()), img->checksum);
}

TEST(Pe, EncodeHeadersIsTheInverseOfParse) {
  Bytes stub = LoadStub();
  auto img = ParsePe(stub);
  ASSERT_OK(img);
  // Fields not modelled (linker versions, stack sizes, ...) come back from the original.
  Bytes again = stub;
  ASSERT_OK(EncodeHeaders(*img, again));
  EXPECT_EQ(again, stub);
}

struct Corruption {
  const char* what;
  std::function<void(Bytes&, const PeImage&)> mutate;
  ErrorCode code;
  const char* message;
};

TEST(Pe, CorruptionMatrixGivesSpecificErrors) {
  Bytes stub = LoadStub();
  auto parsed = ParsePe(stub);
  ASSERT_OK(parsed);
  const PeImage base = *parsed;
  uint32_t opt = base.optional_header_offset;
  uint32_t coff = base.pe_offset + 4;
  std::vector<Corruption> cases = {
      {"truncated", [](Bytes& b, const PeImage&) { b.resize(40); }, ErrorCode::kCorrupt,
       "not a PE image: shorter than an MS-DOS header"},
      {"MZ", [](Bytes& b, const PeImage&) { b[0] = 'X'; }, ErrorCode::kCorrupt,
       "not a PE image: no MZ signature"},
      {"e_lfanew", [](Bytes& b, const PeImage&) { StoreLe32(&b[0x3C], 0xFFFFFFF0); },
       ErrorCode::kCorrupt, "e_lfanew 0xfffffff0 outside the file"},
      {"PE sig", [](Bytes& b, const PeImage& i) { b[i.pe_offset] = 'Q'; }, ErrorCode::kCorrupt,
       "no PE\\0\\0 signature at e_lfanew"},
      {"sections", [coff](Bytes& b, const PeImage&) { StoreLe16(&b[coff + 2], 97); },
       ErrorCode::kCorrupt, "97 sections (limit 96)"},
      {"PE32", [opt](Bytes& b, const PeImage&) { StoreLe16(&b[opt], 0x10B); },
       ErrorCode::kUnsupported, "PE32 images are not supported"},
      {"magic", [opt](Bytes& b, const PeImage&) { StoreLe16(&b[opt], 0x777); }, ErrorCode::kCorrupt,
       "optional header magic 0x777"},
      {"dirs", [opt](Bytes& b, const PeImage&) { StoreLe32(&b[opt + 108], 17); },
       ErrorCode::kCorrupt, "17 data directories (limit 16)"},
      {"opt size", [coff](Bytes& b, const PeImage&) { StoreLe16(&b[coff + 16], 100); },
       ErrorCode::kCorrupt, "SizeOfOptionalHeader 100 too small"},
      {"alignment", [opt](Bytes& b, const PeImage&) { StoreLe32(&b[opt + 36], 0x300); },
       ErrorCode::kCorrupt, "bad alignment: SectionAlignment 0x200, FileAlignment 0x300"},
      {"headers", [opt](Bytes& b, const PeImage&) { StoreLe32(&b[opt + 60], 0x100); },
       ErrorCode::kCorrupt, ""},
      {"raw data",
       [](Bytes& b, const PeImage& i) { StoreLe32(&b[i.section_table_offset + 16], 0x7FFFFFFF); },
       ErrorCode::kCorrupt, ""},
      {"cert table",
       [opt](Bytes& b, const PeImage&) {
         StoreLe32(&b[opt + 144], 0x400);
         StoreLe32(&b[opt + 148], 16);
       },
       ErrorCode::kCorrupt, ""},
  };
  for (const auto& c : cases) {
    Bytes b = stub;
    c.mutate(b, base);
    Error e = ParseError(b);
    EXPECT_EQ(e.code(), c.code) << c.what << ": " << e.ToString();
    if (*c.message) {
      EXPECT_EQ(e.message(), c.message) << c.what;
    }
  }
  // The three ranged checks: the message names the field and the values.
  Bytes b = stub;
  StoreLe32(&b[opt + 60], 0x100);
  EXPECT_EQ(ParseError(b).message(),
            "SizeOfHeaders 0x100 does not cover the section table (ends 0x2c8) or exceeds the "
            "file (0x14561)");
  b = stub;
  StoreLe32(&b[base.section_table_offset + 16], 0x7FFFFFFF);
  EXPECT_EQ(ParseError(b).message(),
            "section 0 '.text' raw data [0x400, +0x7fffffff) past the end 0x14561");
  b = stub;
  StoreLe32(&b[opt + 144], 0x400);
  StoreLe32(&b[opt + 148], 16);
  EXPECT_EQ(ParseError(b).message(),
            "certificate table [0x400, +0x10) is not 8-aligned after the sections at the end "
            "of the file (0x14561 bytes)");
}

class Signing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new crypto::PrivateKey(*crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048));
    cert_ = new crypto::Certificate(*crypto::Certificate::CreateSelfSigned(
        *key_, {.common_name = "Hull test db", .is_ca = false, .code_signing = true}));
    other_key_ = new crypto::PrivateKey(*crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048));
    other_cert_ = new crypto::Certificate(
        *crypto::Certificate::CreateSelfSigned(*other_key_, {.common_name = "Hull other"}));
  }
  static inline crypto::PrivateKey* key_;
  static inline crypto::Certificate* cert_;
  static inline crypto::PrivateKey* other_key_;
  static inline crypto::Certificate* other_cert_;
};

TEST_F(Signing, SignVerifyRoundTripIsDeterministic) {
  Bytes stub = LoadStub();
  auto a = SignImage(stub, *key_, *cert_);
  ASSERT_OK(a);
  auto b = SignImage(stub, *key_, *cert_);
  ASSERT_OK(b);
  EXPECT_EQ(*a, *b);
  auto v = VerifyImage(*a, *cert_);
  ASSERT_OK(v);
  EXPECT_EQ(v->signer, "/CN=Hull test db");
  // The stub (83297 bytes, a COFF symbol table at the end) is zero-padded to 8
  // bytes before the certificate table; the padding is hashed, as sbsign does.
  Bytes padded = stub;
  padded.resize(AlignUp(stub.size(), 8), 0);
  EXPECT_EQ(v->image_hash, *ImageHash(padded));
  auto img = ParsePe(*a);
  ASSERT_OK(img);
  EXPECT_EQ(img->checksum, ComputeChecksum(*a, img->checksum_offset()));
  EXPECT_EQ(img->security().rva, padded.size());
  // Re-signing replaces the signature instead of stacking a second one.
  auto c = SignImage(*a, *other_key_, *other_cert_);
  ASSERT_OK(c);
  auto sigs = ExtractSignatures(*c, *ParsePe(*c));
  ASSERT_OK(sigs);
  EXPECT_EQ(sigs->size(), 1u);
  EXPECT_OK(VerifyImage(*c, *other_cert_));
}

TEST_F(Signing, RefusesTamperedWrongKeyAndUnsigned) {
  Bytes stub = LoadStub();
  Bytes signed_image = *SignImage(stub, *key_, *cert_);
  auto img = *ParsePe(signed_image);
  Bytes tampered = signed_image;
  tampered[img.FindSection(".sdmagic")->pointer_to_raw_data + 3] ^= 0x01;
  auto t = VerifyImage(tampered, *cert_);
  ASSERT_ERROR(t, ErrorCode::kVerifyFailed);
  EXPECT_EQ(t.error().message(), "image hash differs from the signed one (the image was modified)");

  auto w = VerifyImage(signed_image, *other_cert_);
  ASSERT_ERROR(w, ErrorCode::kBadSignature);
  EXPECT_EQ(w.error().message(), "signer is not 'CN = Hull other' nor issued by it");

  // A flipped byte inside the PKCS#7 signature value.
  Bytes badsig = signed_image;
  badsig[badsig.size() - 20] ^= 0x01;
  auto s = VerifyImage(badsig, *cert_);
  ASSERT_ERROR(s, ErrorCode::kBadSignature);

  auto u = VerifyImage(stub, *cert_);
  ASSERT_ERROR(u, ErrorCode::kNotFound);
  EXPECT_EQ(u.error().message(), "image is not signed");
}

// Re-issues `leaf` (same key) under `issuer`'s name, signed with `signing_key`.
crypto::Certificate Reissue(const crypto::Certificate& leaf, const crypto::Certificate& issuer,
                            const crypto::PrivateKey& signing_key) {
  X509* x = X509_dup(leaf.get());
  X509_set_issuer_name(x, X509_get_subject_name(issuer.get()));
  X509_sign(x, signing_key.get(), EVP_sha256());
  unsigned char* der = nullptr;
  int len = i2d_X509(x, &der);
  Bytes b(der, der + len);
  OPENSSL_free(der);
  X509_free(x);
  return *crypto::Certificate::FromDer(b);
}

TEST_F(Signing, TrustsSignersIssuedByTheGivenCertificateOnly) {
  auto ca_key = *crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048);
  auto ca = *crypto::Certificate::CreateSelfSigned(ca_key, {.common_name = "Hull CA"});
  Bytes stub = LoadStub();
  auto issued = Reissue(*cert_, ca, ca_key);
  Bytes image = *SignImage(stub, *key_, issued);
  auto ok = VerifyImage(image, ca);
  ASSERT_OK(ok);
  EXPECT_EQ(ok->signer, "/CN=Hull test db");
  // Claims the CA as issuer, but the CA did not sign it.
  auto forged = Reissue(*cert_, ca, *other_key_);
  auto bad = VerifyImage(*SignImage(stub, *key_, forged), ca);
  ASSERT_ERROR(bad, ErrorCode::kBadSignature);
  EXPECT_EQ(bad.error().message(), "signer is not 'CN = Hull CA' nor issued by it");
}

TEST_F(Signing, EcdsaVerifiesEd25519IsRefused) {
  Bytes stub = LoadStub();
  auto ec_key = *crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  auto ec_cert = *crypto::Certificate::CreateSelfSigned(ec_key, {.common_name = "ec"});
  auto ec_signed = SignImage(stub, ec_key, ec_cert);
  ASSERT_OK(ec_signed);
  EXPECT_OK(VerifyImage(*ec_signed, ec_cert));
  auto ed_key = *crypto::PrivateKey::Generate(crypto::KeyType::kEd25519);
  auto ed_cert = *crypto::Certificate::CreateSelfSigned(ed_key, {.common_name = "ed"});
  auto ed = SignImage(stub, ed_key, ed_cert);
  ASSERT_ERROR(ed, ErrorCode::kUnsupported);
  EXPECT_EQ(ed.error().message(), "Authenticode needs an RSA or ECDSA key");
  auto mismatch = SignImage(stub, *key_, *other_cert_);
  ASSERT_ERROR(mismatch, ErrorCode::kInvalidArgument);
  EXPECT_EQ(mismatch.error().message(), "the key does not belong to the certificate");
}

TEST_F(Signing, HashIgnoresChecksumAndSecurityEntryButNotHeaders) {
  Bytes stub = LoadStub();
  auto img = *ParsePe(stub);
  Bytes h0 = ImageHash(stub, img);
  Bytes b = stub;
  StoreLe32(&b[img.checksum_offset()], 0x12345678);
  EXPECT_EQ(ImageHash(b, img), h0);
  b = stub;
  b[img.checksum_offset() - 1] ^= 1;  // top byte of SizeOfHeaders: hashed
  EXPECT_NE(ImageHash(b, img), h0);
}

// UEFI 2.10 §3.5.1.1's removable-media file names, both ways.
TEST(RemovableBootFile, NamesEachMachinesLoaderAndBack) {
  EXPECT_EQ(RemovableBootFile(kMachineAmd64), "BOOTX64.EFI");
  EXPECT_EQ(RemovableBootFile(kMachineArm64), "BOOTAA64.EFI");
  EXPECT_EQ(RemovableBootFile(0x14c), "");  // i386: not built here
  for (uint16_t m : {kMachineAmd64, kMachineArm64})
    EXPECT_EQ(MachineOfRemovableBootFile(RemovableBootFile(m)), m);
  EXPECT_EQ(MachineOfRemovableBootFile("BOOTIA32.EFI"), 0);
}

}  // namespace
}  // namespace hull::pe

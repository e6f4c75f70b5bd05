#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/base64.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"
#include "crypto/key.h"
#include "crypto/pkcs7.h"
#include "crypto/signature.h"
#include "support/status_matchers.h"

namespace hull::crypto {
namespace {

// FIPS 180-2 appendix test vectors for "abc".
TEST(Digest, KnownAnswers) {
  EXPECT_EQ(HexEncode(Digest(DigestAlgorithm::kSha256, AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Digest(DigestAlgorithm::kSha1, AsBytes("abc"))),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexEncode(Digest(DigestAlgorithm::kSha512, AsBytes("abc"))).substr(0, 32),
            "ddaf35a193617abacc417349ae204131");
}

TEST(Digest, IncrementalEqualsOneShotAndResets) {
  Hasher h(DigestAlgorithm::kSha256);
  h.Update(AsBytes("a"));
  h.Update(AsBytes("bc"));
  EXPECT_EQ(h.Final(), Sha256(AsBytes("abc")));
  h.Reset();
  h.Update(AsBytes("abc"));
  Hasher copy(DigestAlgorithm::kSha256);
  copy.CopyFrom(h);
  EXPECT_EQ(copy.Final(), Sha256(AsBytes("abc")));
  EXPECT_EQ(h.Final(), Sha256(AsBytes("abc")));
}

// The oracle: sha256sum's hex digest of `path` (an error text if it fails).
std::string Sha256sum(const std::string& path) {
  auto sum = hull::Run(Command{.argv = {"sha256sum", path}});
  return sum.ok() ? sum->out.substr(0, 64) : "<" + sum.error().ToString() + ">";
}

// A sparse file (holes before, between and after data, a partial last
// piece) hashes as sha256sum reads it.
TEST(Digest, SparseFileMatchesSha256sum) {
  auto dir = TempDir::Create("digest-test");
  ASSERT_OK(dir);
  const std::string path = dir->path() + "/sparse.img";
  {
    auto f = File::CreateNew(path);
    ASSERT_OK(f);
    ASSERT_OK(f->Truncate((uint64_t(9) << 20) + 12345));
    ASSERT_OK(f->WriteAt(3 << 20, AsBytes("data at 3 MiB")));
    ASSERT_OK(f->WriteAt((7 << 20) + 5, Bytes(70000, 0xa5)));
    ASSERT_OK(f->WriteAt((uint64_t(9) << 20) + 12000, AsBytes("tail")));
  }
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();  // no holes
  for (const std::string& p : {path, self}) {
    auto ours = DigestFile(DigestAlgorithm::kSha256, p);
    ASSERT_OK(ours);
    EXPECT_EQ(HexEncode(*ours), Sha256sum(p)) << p;
    auto hex = FileSha256Hex(p);
    ASSERT_OK(hex);
    EXPECT_EQ(*hex, Sha256sum(p)) << p;
  }
  EXPECT_ERROR(FileSha256Hex(path + ".absent"), ErrorCode::kNotFound);
}

// A file written front to back on this thread, hashed on the follower's
// as each prefix is declared final, gives sha256sum's digest.
TEST(Digest, FollowingDigestMatchesSha256sum) {
  auto dir = TempDir::Create("digest-test");
  ASSERT_OK(dir);
  const std::string path = dir->path() + "/grown.img";
  auto f = File::CreateNew(path);
  ASSERT_OK(f);
  const uint64_t size = (uint64_t(5) << 20) + 777;
  ASSERT_OK(f->Truncate(size));
  Result<Bytes> digest = Error(ErrorCode::kInternal, "not run");
  {
    FollowingDigest follow(DigestAlgorithm::kSha256, *f);
    for (uint64_t off = 0; off < size; off += 300000) {
      if ((off / 300000) % 3 == 1) continue;  // left as a hole
      Bytes piece(size_t(std::min<uint64_t>(100000, size - off)), uint8_t(off >> 12));
      ASSERT_OK(f->WriteAt(off, piece));
      follow.Advance(off + piece.size());
    }
    digest = follow.Finish(size);
  }
  ASSERT_OK(digest);
  EXPECT_EQ(HexEncode(*digest), Sha256sum(path));
  // Abandoned (destroyed without Finish): it stops without hashing more.
  FollowingDigest abandoned(DigestAlgorithm::kSha256, *f);
  abandoned.Advance(4096);
}

TEST(Digest, ParseNames) {
  EXPECT_EQ(*ParseDigestAlgorithm("sha512"), DigestAlgorithm::kSha512);
  auto bad = ParseDigestAlgorithm("md5");
  ASSERT_ERROR(bad, ErrorCode::kUnsupported);
  EXPECT_EQ(bad.error().message(),
            "unsupported hash algorithm 'md5' (supported: sha1, sha256, sha384, sha512)");
}

class SignTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(SignTest, Pkcs7DetachedRoundTrip) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_OK(key);
  auto cert = Certificate::CreateSelfSigned(*key, {.common_name = "Hull test"});
  ASSERT_OK(cert);
  EXPECT_NE(cert->Subject().find("Hull test"), std::string::npos);
  // PEM round trips.
  auto key2 = PrivateKey::FromPem(key->ToPem());
  ASSERT_OK(key2);
  EXPECT_EQ(key2->PublicKeyDer(), key->PublicKeyDer());
  auto cert2 = Certificate::FromPem(cert->ToPem());
  ASSERT_OK(cert2);
  EXPECT_EQ(cert2->Fingerprint(), cert->Fingerprint());

  auto sig = Pkcs7SignDetached(AsBytes("content"), *key, *cert);
  ASSERT_OK(sig);
  EXPECT_OK(Pkcs7VerifyDetached(AsBytes("content"), *sig, *cert));

  auto tampered = Pkcs7VerifyDetached(AsBytes("c0ntent"), *sig, *cert);
  ASSERT_ERROR(tampered, ErrorCode::kBadSignature);

  auto other_key = PrivateKey::Generate(GetParam());
  auto other = Certificate::CreateSelfSigned(*other_key, {.common_name = "Other"});
  auto wrong = Pkcs7VerifyDetached(AsBytes("content"), *sig, *other);
  ASSERT_ERROR(wrong, ErrorCode::kBadSignature);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, SignTest,
                         ::testing::Values(KeyType::kRsa2048, KeyType::kEcdsaP256));

TEST(Pkcs7, Ed25519SignerIsUnsupported) {
  auto key = PrivateKey::Generate(KeyType::kEd25519);
  ASSERT_OK(key);
  auto cert = Certificate::CreateSelfSigned(*key, {.common_name = "ed"});
  ASSERT_OK(cert);
  auto sig = Pkcs7SignDetached(AsBytes("x"), *key, *cert);
  ASSERT_ERROR(sig, ErrorCode::kUnsupported);
}

TEST(Pkcs7, GarbageIsCorruptNotCrash) {
  auto key = PrivateKey::Generate(KeyType::kEcdsaP256);
  auto cert = Certificate::CreateSelfSigned(*key, {.common_name = "x"});
  const uint8_t junk[] = {0x30, 0x82, 0xff, 0xff, 0x00};
  auto r = Pkcs7VerifyDetached(AsBytes("x"), junk, *cert);
  ASSERT_ERROR(r, ErrorCode::kCorrupt);
}

TEST(Certificate, ValidityFromSourceDateEpoch) {
  auto key = PrivateKey::Generate(KeyType::kEcdsaP256);
  auto a = Certificate::CreateSelfSigned(*key, {.common_name = "r", .not_before = 1700000000});
  auto b = Certificate::CreateSelfSigned(*key, {.common_name = "r", .not_before = 1700000000});
  // ECDSA signatures are randomized, but the to-be-signed parts agree: same subject and dates.
  EXPECT_EQ(a->Subject(), b->Subject());
  auto rsa = PrivateKey::Generate(KeyType::kRsa2048);
  auto c = Certificate::CreateSelfSigned(*rsa, {.common_name = "r", .not_before = 1700000000});
  auto d = Certificate::CreateSelfSigned(*rsa, {.common_name = "r", .not_before = 1700000000});
  EXPECT_EQ(c->ToDer(), d->ToDer());  // RSA PKCS#1 v1.5 is deterministic
}

}  // namespace
}  // namespace hull::crypto

namespace hull::crypto {
namespace {

class RawSignTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(RawSignTest, SignVerifyAndTamper) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_OK(key);
  PublicKey pub = PublicKey::Of(*key);
  EXPECT_EQ(pub.type(), GetParam());
  auto sig = SignMessage(*key, AsBytes("metadata"));
  ASSERT_OK(sig);
  EXPECT_OK(VerifyMessage(pub, AsBytes("metadata"), *sig));
  auto bad = VerifyMessage(pub, AsBytes("metadatA"), *sig);
  ASSERT_ERROR(bad, ErrorCode::kBadSignature);
  auto pem = PublicKey::FromPem(pub.ToPem());
  ASSERT_OK(pem);
  EXPECT_OK(VerifyMessage(*pem, AsBytes("metadata"), *sig));
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, RawSignTest,
                         ::testing::Values(KeyType::kEd25519, KeyType::kEcdsaP256,
                                           KeyType::kRsa2048));

// RFC 8032 section 7.1, TEST 1: empty message.
TEST(Ed25519, Rfc8032Vector) {
  auto pub = PublicKey::FromEd25519Raw(
      *HexDecode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  ASSERT_OK(pub);
  Bytes sig = *HexDecode(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
      "b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_OK(VerifyMessage(*pub, {}, sig));
  EXPECT_EQ(HexEncode(pub->Ed25519Raw()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST(Base64, RoundTripAndStrictness) {
  // Vectors from RFC 4648 §10.
  auto text = [](std::string_view s) {
    auto r = Base64Decode(s);
    return r.ok() ? std::string(AsChars(*r)) : "error: " + r.error().message();
  };
  EXPECT_EQ(Base64Encode(std::string_view("")), "");
  EXPECT_EQ(Base64Encode(std::string_view("f")), "Zg==");
  EXPECT_EQ(Base64Encode(std::string_view("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(text(""), "");
  EXPECT_EQ(text("Zg=="), "f");
  EXPECT_EQ(text("Zm8="), "fo");
  EXPECT_EQ(text("Zm9vYmFy"), "foobar");
  EXPECT_EQ(text("Zm9"), "error: base64 length 3 is not a multiple of 4");
  EXPECT_EQ(text("Zm9!"), "error: invalid base64");
  std::string bin("\x00\xff\x10", 3);
  EXPECT_EQ(text(Base64Encode(std::string_view(bin))), bin);
}

}  // namespace
}  // namespace hull::crypto

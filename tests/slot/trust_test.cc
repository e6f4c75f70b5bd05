// slot/trust.h on plain data: the trust set directory, the declaration's
// corruption table, the order and errors of the check before download (the
// check after it runs on real pieces in tests/release/trust_test.cc).
#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "slot/trust.h"
#include "support/status_matchers.h"

namespace hull::slot {
namespace {
namespace fs = std::filesystem;

crypto::Certificate Cert(const std::string& cn) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  EXPECT_OK(key);
  crypto::CertificateOptions co;
  co.common_name = cn;
  auto c = crypto::Certificate::CreateSelfSigned(*key, co);
  EXPECT_OK(c);
  return *c;
}

std::string Fp(const crypto::Certificate& c) { return HexEncode(c.Fingerprint()); }

// Slot B of a disk with 512-byte sectors: usr 8 KiB, verity 4 KiB, sig 4 KiB.
Slot SmallSlot() {
  Slot s;
  s.index = 1;
  s.usr = {.number = 4, .first_lba = 100, .last_lba = 115};
  s.verity = {.number = 5, .first_lba = 200, .last_lba = 207};
  s.signature = {.number = 6, .first_lba = 300, .last_lba = 307};
  return s;
}

struct Fixture {
  crypto::Certificate a = Cert("A"), b = Cert("B"), c = Cert("C");
  TrustSet trust;
  Fixture() {
    trust.dir = "/usr/lib/hull/trust";
    trust.db = {a, b};
    trust.verity = {a, b};
  }
  Declaration Declared(const crypto::Certificate& verity, const crypto::Certificate& uki) const {
    return {.usr = 8192,
            .verity = 4096,
            .uki = 1000,
            .verity_signer = Fp(verity),
            .uki_signer = Fp(uki)};
  }
};

constexpr PieceLengths kFits{.usr = 8192, .verity = 4096, .signature = 4096, .uki = 1000};

TEST(TrustSet, AbsentDirectoryIsEmptyAndFilesLoadInNameOrder) {
  auto dir = TempDir::Create("hull-trust");
  ASSERT_OK(dir);
  auto none = LoadTrustSet(dir->path() + "/absent");
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  const crypto::Certificate a = Cert("A"), b = Cert("B");
  fs::create_directories(dir->path() + "/db");
  fs::create_directories(dir->path() + "/verity");
  ASSERT_OK(WriteFileAtomic(dir->path() + "/db/2-next.crt", b.ToPem()));
  ASSERT_OK(WriteFileAtomic(dir->path() + "/db/1-current.crt", a.ToDer()));  // DER too
  ASSERT_OK(WriteFileAtomic(dir->path() + "/db/README", std::string("not a .crt")));
  auto set = LoadTrustSet(dir->path());
  ASSERT_OK(set);
  ASSERT_EQ(set->db.size(), 2u);
  EXPECT_EQ(Fp(set->db[0]), Fp(a));
  EXPECT_EQ(Fp(set->db[1]), Fp(b));
  EXPECT_TRUE(set->verity.empty());
  ASSERT_OK(WriteFileAtomic(dir->path() + "/verity/bad.crt", std::string("garbage")));
  auto bad = LoadTrustSet(dir->path());
  ASSERT_ERROR(bad, ErrorCode::kCorrupt);
  EXPECT_EQ(bad.error().ToString(), dir->path() + "/verity/bad.crt: not a certificate");
  fs::remove(dir->path() + "/verity/bad.crt");
  for (size_t i = 0; i < kMaxTrustCerts - 1; ++i)
    ASSERT_OK(WriteFileAtomic(fmt::format("{}/db/x{:02}.crt", dir->path(), i), a.ToPem()));
  ASSERT_ERROR(LoadTrustSet(dir->path()), ErrorCode::kInvalidArgument);
}

TEST(Declaration, RoundTripsAndRefusesMalformedFields) {
  Fixture f;
  Declaration d = f.Declared(f.a, f.b);
  auto back = ParseDeclaration(DeclarationJson(d));
  ASSERT_OK(back);
  EXPECT_EQ(back->usr, 8192u);
  EXPECT_EQ(back->uki_signer, Fp(f.b));
  const nlohmann::json good = DeclarationJson(d);
  auto bad = [&](auto edit) {
    nlohmann::json j = good;
    edit(j);
    return ParseDeclaration(j);
  };
  ASSERT_ERROR(ParseDeclaration(nlohmann::json::array()), ErrorCode::kCorrupt);
  ASSERT_ERROR(bad([](auto& j) { j.erase("sizes"); }), ErrorCode::kCorrupt);
  ASSERT_ERROR(bad([](auto& j) { j["signers"] = "x"; }), ErrorCode::kCorrupt);
  ASSERT_ERROR(bad([](auto& j) { j["sizes"]["usr"] = -1; }), ErrorCode::kCorrupt);
  ASSERT_ERROR(bad([](auto& j) { j["sizes"]["uki"] = "1000"; }), ErrorCode::kCorrupt);
  ASSERT_ERROR(bad([](auto& j) { j["sizes"].erase("verity"); }), ErrorCode::kCorrupt);
  // Fingerprints: 64 lowercase hex digits (as HexEncode writes them).
  auto upper = bad([](auto& j) {
    std::string s = j["signers"]["verity"];
    for (auto& ch : s) ch = char(std::toupper(ch));
    j["signers"]["verity"] = s;
  });
  ASSERT_ERROR(upper, ErrorCode::kCorrupt);
  EXPECT_EQ(upper.error().ToString(),
            "release declaration: signers.verity must be 64 lowercase hex digits");
  ASSERT_ERROR(bad([](auto& j) { j["signers"]["uki"] = "ab"; }), ErrorCode::kCorrupt);
  // A signer may be left out (an unsigned UKI); the check refuses it later.
  auto no_uki = bad([](auto& j) { j["signers"].erase("uki"); });
  ASSERT_OK(no_uki);
  EXPECT_EQ(no_uki->uki_signer, "");
}

TEST(CheckBeforeDownload, TrustedSignersAreReturned) {
  Fixture f;
  auto s = CheckBeforeDownload("202612.01.0", kFits, f.Declared(f.b, f.a), SmallSlot(), f.trust);
  ASSERT_OK(s);
  ASSERT_NE(s->verity, nullptr);
  ASSERT_NE(s->db, nullptr);
  EXPECT_EQ(Fp(*s->verity), Fp(f.b));
  EXPECT_EQ(Fp(*s->db), Fp(f.a));
}

TEST(CheckBeforeDownload, EmptyTrustSetChecksSizesOnly) {
  Fixture f;
  auto s = CheckBeforeDownload("202612.01.0", kFits, std::nullopt, SmallSlot(), TrustSet{});
  ASSERT_OK(s);
  EXPECT_EQ(s->verity, nullptr);
  EXPECT_EQ(s->db, nullptr);
  PieceLengths big = kFits;
  big.usr = 8193;
  auto r = CheckBeforeDownload("202612.01.0", big, std::nullopt, SmallSlot(), TrustSet{});
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_EQ(r.error().ToString(),
            "release 202612.01.0: usr image needs 8193 bytes, slot B's partition 4 has 8192");
}

TEST(CheckBeforeDownload, EachRefusalInOrder) {
  Fixture f;
  const Slot slot = SmallSlot();
  const std::string v = "202612.01.0";
  // 1. The declaration contradicts the signed lengths.
  Declaration wrong = f.Declared(f.a, f.a);
  wrong.uki = 999;
  auto r1 = CheckBeforeDownload(v, kFits, wrong, slot, f.trust);
  ASSERT_ERROR(r1, ErrorCode::kVerifyFailed);
  EXPECT_EQ(r1.error().ToString(),
            "release 202612.01.0: declares uki of 999 bytes, its target has 1000");
  // 2. Sizes against the slot, before any signer (a C-signed release that
  //    does not fit is refused for its size).
  PieceLengths big = kFits;
  big.signature = 4097;
  auto r2 = CheckBeforeDownload(v, big, std::nullopt, slot, f.trust);
  ASSERT_ERROR(r2, ErrorCode::kRefused);
  EXPECT_EQ(r2.error().ToString(),
            "release 202612.01.0: signature needs 4097 bytes, slot B's partition 6 has 4096");
  PieceLengths huge_uki = kFits;
  huge_uki.uki = kMaxUkiBytes + 1;
  ASSERT_ERROR(CheckBeforeDownload(v, huge_uki, std::nullopt, slot, f.trust), ErrorCode::kRefused);
  // 3. A trust set and no declaration.
  auto r3 = CheckBeforeDownload(v, kFits, std::nullopt, slot, f.trust);
  ASSERT_ERROR(r3, ErrorCode::kRefused);
  // A declaration without the UKI's signer, the node trusting db certificates.
  Declaration no_uki = f.Declared(f.a, f.a);
  no_uki.uki_signer.clear();
  auto r4 = CheckBeforeDownload(v, kFits, no_uki, slot, f.trust);
  ASSERT_ERROR(r4, ErrorCode::kRefused);
  EXPECT_EQ(r4.error().ToString(),
            "release 202612.01.0: declares no signer of its UKI, and this node trusts only the "
            "certificates in /usr/lib/hull/trust/db");
  // An untrusted signer of either piece.
  auto r5 = CheckBeforeDownload(v, kFits, f.Declared(f.a, f.c), slot, f.trust);
  ASSERT_ERROR(r5, ErrorCode::kRefused);
  EXPECT_EQ(r5.error().ToString(),
            fmt::format("release 202612.01.0: its UKI is signed by certificate {}, which is not "
                        "in the node's trust set (/usr/lib/hull/trust/db)",
                        Fp(f.c)));
  // A kind the set does not hold is not checked.
  TrustSet verity_only = f.trust;
  verity_only.db.clear();
  auto r6 = CheckBeforeDownload(v, kFits, f.Declared(f.a, f.c), slot, verity_only);
  ASSERT_OK(r6);
  EXPECT_EQ(r6->db, nullptr);
}

}  // namespace
}  // namespace hull::slot

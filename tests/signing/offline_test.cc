// Offline signing over the real signing rules: a key in hand (KeySigner),
// hull's own offline signing (record, SignDirectory, inject) and openssl(1)
// signing the recorded payloads give the same bytes for deterministic
// schemes (RSA PKCS#1 v1.5, Ed25519); ECDSA signatures differ and verify.
// Oracles: sbverify (Authenticode), `openssl cms -sign` (the verity PKCS#7,
// made by openssl alone) and `openssl cms -verify`.
#include "signing/offline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/pkcs7.h"
#include "pe/authenticode.h"
#include "support/status_matchers.h"
#include "verity/signature.h"

namespace hull::signing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kBoot = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";

struct Keys {
  std::string dir;
  crypto::PrivateKey key;
  crypto::Certificate cert;
};

// A key and certificate written as PEM files, as openssl(1) reads them.
Keys MakeKeys(const std::string& dir, crypto::KeyType type, const std::string& name) {
  auto key = crypto::PrivateKey::Generate(type);
  EXPECT_OK(key);
  auto cert = crypto::Certificate::CreateSelfSigned(
      *key, {.common_name = name, .not_before = 1764892800, .code_signing = true});
  EXPECT_OK(cert);
  EXPECT_OK(WriteFileAtomic(dir + "/" + name + ".key", key->ToPem(), 0600));
  EXPECT_OK(WriteFileAtomic(dir + "/" + name + ".crt", cert->ToPem()));
  return {dir, *key, *cert};
}

void Shell(const std::string& script) {
  auto r = RunAllowFailure(Command{.argv = {"sh", "-ec", script}});
  ASSERT_OK(r);
  ASSERT_EQ(r->exit_code, 0) << script << "\n" << r->err;
}

// Runs `sign` once recording into DIR, signs DIR with `sign_dir`, and runs
// `sign` again injecting DIR's signatures; returns what the second run made.
Result<Bytes> Offline(const std::string& dir,
                      const std::function<Result<Bytes>(crypto::Signer&)>& sign,
                      const std::function<void()>& sign_dir) {
  HULL_ASSIGN_OR_RETURN(auto rec, SigningSession::Open({.sign_offline_dir = dir}, nullptr));
  HULL_TRY(sign(rec.signer()));
  HULL_TRY(rec.Finish("test"));
  sign_dir();
  HULL_ASSIGN_OR_RETURN(auto inj, SigningSession::Open({.inject_dir = dir}, nullptr));
  HULL_ASSIGN_OR_RETURN(Bytes out, sign(inj.signer()));
  HULL_TRY(inj.Finish("test"));
  return out;
}

class OfflineSigning : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("hull-offline-signing");
    ASSERT_OK(t);
    tmp_ = std::make_unique<TempDir>(std::move(*t));
    d_ = tmp_->path();
  }
  std::unique_ptr<TempDir> tmp_;
  std::string d_;
};

TEST_F(OfflineSigning, AuthenticodeIsByteIdenticalThreeWaysAndSbverifyAccepts) {
  Keys db = MakeKeys(d_, crypto::KeyType::kRsa2048, "db");
  ASSERT_OK_AND_ASSIGN(Bytes boot, ReadFileBytes(kBoot));
  auto sign = [&](crypto::Signer& s) {
    return pe::SignImage(boot, db.cert, s, {.name = "systemd-boot", .role = "db"});
  };
  crypto::KeySigner keys(db.key);
  ASSERT_OK_AND_ASSIGN(Bytes with_key, sign(keys));
  ASSERT_OK_AND_ASSIGN(Bytes by_hull, Offline(d_ + "/h", sign, [&] {
                         ASSERT_OK(SignDirectory(d_ + "/h", {{.role = "db", .key = db.key}}));
                       }));
  // The documented openssl command line, on the files the manifest names.
  ASSERT_OK_AND_ASSIGN(Bytes by_openssl, Offline(d_ + "/o", sign, [&] {
                         Shell("cd " + d_ +
                               "/o && openssl dgst -sha256 -sign ../db.key -out "
                               "systemd-boot.sig systemd-boot.bin");
                       }));
  EXPECT_TRUE(with_key == by_hull);
  EXPECT_TRUE(with_key == by_openssl);
  ASSERT_OK(WriteFileAtomic(d_ + "/signed.efi", by_openssl));
  Shell("sbverify --cert " + d_ + "/db.crt " + d_ + "/signed.efi");

  // The manifest says what each file is.
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFileText(d_ + "/o/manifest.json"));
  ASSERT_OK_AND_ASSIGN(Manifest m, ParseManifest(text));
  ASSERT_EQ(m.items.size(), 1u);
  EXPECT_EQ(m.command, "test");
  EXPECT_EQ(m.items[0].kind, "authenticode-signed-attributes");
  EXPECT_EQ(m.items[0].role, "db");
  EXPECT_EQ(m.items[0].algorithm, crypto::SignatureAlgorithm::kRsaPkcs1Sha256);
}

TEST_F(OfflineSigning, VerityRootHashIsWhatOpensslCmsMakes) {
  Keys v = MakeKeys(d_, crypto::KeyType::kRsa2048, "verity");
  ASSERT_OK_AND_ASSIGN(
      Bytes root, HexDecode("8e2e0a7a1d4fbd0c9f7b8e5f1d7c6a6b5e4d3c2b1a09f8e7d6c5b4a392817060"));
  auto sign = [&](crypto::Signer& s) {
    return verity::SignRootHash(root, v.cert, s, {.name = "usr-verity", .role = "verity"});
  };
  ASSERT_OK_AND_ASSIGN(Bytes by_openssl, Offline(d_ + "/o", sign, [&] {
                         Shell("cd " + d_ +
                               "/o && openssl dgst -sha256 -sign ../verity.key "
                               "-out usr-verity.sig usr-verity.bin");
                       }));
  // The same PKCS#7 made by openssl alone from the hex root hash.
  ASSERT_OK(WriteFileAtomic(d_ + "/roothash", HexEncode(root)));
  Shell("cd " + d_ +
        " && openssl cms -sign -binary -noattr -nocerts -nosmimecap -md sha256 "
        "-signer verity.crt -inkey verity.key -in roothash -outform DER -out cms.der");
  ASSERT_OK_AND_ASSIGN(Bytes cms, ReadFileBytes(d_ + "/cms.der"));
  EXPECT_TRUE(by_openssl == cms);
  ASSERT_OK_AND_ASSIGN(std::string payload, ReadFileText(d_ + "/o/usr-verity.bin"));
  EXPECT_EQ(payload, HexEncode(root));
}

TEST_F(OfflineSigning, Ed25519IsIdenticalAndEcdsaVerifies) {
  for (auto kind : {std::pair{crypto::KeyType::kEd25519, crypto::SignatureAlgorithm::kEd25519},
                    {crypto::KeyType::kEcdsaP256, crypto::SignatureAlgorithm::kEcdsaSha256}}) {
    const crypto::KeyType type = kind.first;
    const crypto::SignatureAlgorithm algorithm = kind.second;
    const bool ed = type == crypto::KeyType::kEd25519;
    const std::string dir = d_ + (ed ? "/ed" : "/ec");
    fs::create_directories(dir);
    Keys k = MakeKeys(dir, type, "root");
    const std::string message = R"({"signed":{"_type":"root","version":1}})";
    auto sign = [&](crypto::Signer& s) {
      return s.Sign({.item = {.name = "root.json", .role = "root"},
                     .kind = "tuf-metadata",
                     .algorithm = algorithm,
                     .key = crypto::PublicKey::Of(k.key),
                     .message = AsBytes(message)});
    };
    ASSERT_OK_AND_ASSIGN(Bytes with_key, crypto::SignRaw(k.key, algorithm, AsBytes(message)));
    ASSERT_OK_AND_ASSIGN(
        Bytes by_openssl, Offline(dir + "/o", sign, [&] {
          Shell("cd " + dir + "/o && " +
                (ed ? std::string("openssl pkeyutl -sign -rawin -inkey ../root.key "
                                  "-in root.json.bin -out root.json.sig")
                    : std::string("openssl dgst -sha256 -sign ../root.key -out "
                                  "root.json.sig root.json.bin")));
        }));
    EXPECT_OK(
        crypto::VerifyRaw(crypto::PublicKey::Of(k.key), algorithm, AsBytes(message), by_openssl));
    if (ed) {
      EXPECT_TRUE(with_key == by_openssl);
    } else {
      EXPECT_FALSE(with_key == by_openssl);  // ECDSA: a fresh nonce each time
    }
  }
}

// One run recorded, then each way the injecting run is refused.
class Refusals : public OfflineSigning {
 protected:
  void SetUp() override {
    OfflineSigning::SetUp();
    dir_ = d_ + "/sign";
    db_ = MakeKeys(d_, crypto::KeyType::kRsa2048, "db");
    ASSERT_OK_AND_ASSIGN(boot_, ReadFileBytes(kBoot));
    ASSERT_OK_AND_ASSIGN(auto rec, SigningSession::Open({.sign_offline_dir = dir_}, nullptr));
    ASSERT_OK(Sign(rec.signer(), boot_));
    ASSERT_OK(rec.Finish("test"));
  }
  Result<Bytes> Sign(crypto::Signer& s, const Bytes& image) {
    return pe::SignImage(image, db_.cert, s, {.name = "systemd-boot", .role = "db"});
  }
  Result<Bytes> Inject(const Bytes& image) {
    HULL_ASSIGN_OR_RETURN(auto inj, SigningSession::Open({.inject_dir = dir_}, nullptr));
    HULL_ASSIGN_OR_RETURN(Bytes out, Sign(inj.signer(), image));
    HULL_TRY(inj.Finish("test"));
    return out;
  }
  Keys db_;
  Bytes boot_;
  std::string dir_;
};

TEST_F(Refusals, MissingSignature) {
  auto r = Inject(boot_);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("systemd-boot.sig' is missing"));
}

TEST_F(Refusals, SignatureByAnotherKey) {
  Keys other = MakeKeys(d_, crypto::KeyType::kRsa2048, "other");
  // The payload signed by a key that is not the certificate's.
  ASSERT_OK_AND_ASSIGN(Bytes payload, ReadFileBytes(dir_ + "/systemd-boot.bin"));
  ASSERT_OK_AND_ASSIGN(
      Bytes sig, crypto::SignRaw(other.key, crypto::SignatureAlgorithm::kRsaPkcs1Sha256, payload));
  ASSERT_OK(WriteFileAtomic(dir_ + "/systemd-boot.sig", sig));
  auto r = Inject(boot_);
  ASSERT_ERROR(r, ErrorCode::kBadSignature);
  EXPECT_THAT(r.error().message(), HasSubstr("does not verify against the 'db' key"));
  // and SignDirectory will not sign with it either
  auto d = SignDirectory(dir_, {{.role = "db", .key = other.key}});
  ASSERT_ERROR(d, ErrorCode::kRefused);
}

TEST_F(Refusals, OtherInputs) {
  ASSERT_OK(SignDirectory(dir_, {{.role = "db", .key = db_.key}}));
  ASSERT_OK(Inject(boot_));  // the inputs it was made for
  Bytes changed = boot_;
  changed[changed.size() / 2] ^= 1;  // a section byte: another image hash
  auto r = Inject(changed);
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message(), HasSubstr("was made for other inputs"));
  // a command that asks for fewer signatures than the directory holds
  ASSERT_OK_AND_ASSIGN(auto inj, SigningSession::Open({.inject_dir = dir_}, nullptr));
  EXPECT_ERROR(inj.Finish("test"), ErrorCode::kRefused);
}

TEST_F(Refusals, TamperedPayloadIsNotSignedAndMisspeltRoleIsNamed) {
  ASSERT_OK(WriteFileAtomic(dir_ + "/systemd-boot.bin", std::string("something else")));
  EXPECT_ERROR(SignDirectory(dir_, {{.role = "db", .key = db_.key}}), ErrorCode::kRefused);
  auto r = SignDirectory(dir_, {{.role = "bd", .key = db_.key}});
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("'bd'"));
}

TEST_F(Refusals, AKeyWithoutRoleSignsTheItemsThatAreItsOwn) {
  Keys other = MakeKeys(d_, crypto::KeyType::kRsa2048, "other");
  auto r = SignDirectory(dir_, {{.role = "", .key = other.key, .ref = "other.key"}});
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("--key other.key: no item"));
  EXPECT_FALSE(fs::exists(dir_ + "/systemd-boot.sig"));
  ASSERT_OK_AND_ASSIGN(auto done, SignDirectory(dir_, {{.role = "", .key = db_.key}}));
  EXPECT_THAT(done.signed_items, ::testing::ElementsAre("systemd-boot"));
  EXPECT_TRUE(done.pending.empty());
  ASSERT_OK_AND_ASSIGN(Bytes out, Inject(boot_));
  crypto::KeySigner keys(db_.key);
  ASSERT_OK_AND_ASSIGN(Bytes with_key, Sign(keys, boot_));
  EXPECT_TRUE(out == with_key);
}

TEST(SplitKeyArgument, RoleOnlyBeforeAnEqualsSignThatFollowsARoleName) {
  using P = std::pair<std::string, std::string>;
  const std::pair<std::string, P> cases[] = {
      {"db=keys/db.key", {"db", "keys/db.key"}},
      {"keys/db.key", {"", "keys/db.key"}},
      {"pkcs11:token=Hull;object=db", {"", "pkcs11:token=Hull;object=db"}},
      {"verity=pkcs11:token=Hull;object=v", {"verity", "pkcs11:token=Hull;object=v"}},
      {"dir/a=b.key", {"", "dir/a=b.key"}},
      {"=x", {"", "=x"}},
  };
  for (const auto& [arg, want] : cases) {
    ASSERT_OK_AND_ASSIGN(P got, SplitKeyArgument(arg));
    EXPECT_EQ(got, want) << arg;
  }
  EXPECT_ERROR(SplitKeyArgument("db="), ErrorCode::kInvalidArgument);
  EXPECT_ERROR(SplitKeyArgument(""), ErrorCode::kInvalidArgument);
}

// The state a command stopped in is written into the manifest, and an
// injecting run in another state (another image) is refused before signing.
TEST_F(OfflineSigning, InjectingRefusesAnotherSubject) {
  Keys db = MakeKeys(d_, crypto::KeyType::kRsa2048, "db");
  ASSERT_OK_AND_ASSIGN(Bytes boot, ReadFileBytes(kBoot));
  const std::string dir = d_ + "/s";
  ASSERT_OK_AND_ASSIGN(auto rec, SigningSession::Open({.sign_offline_dir = dir}, nullptr));
  ASSERT_OK(rec.Bind("image a 1"));
  ASSERT_OK(pe::SignImage(boot, db.cert, rec.signer(), {.name = "systemd-boot", .role = "db"}));
  ASSERT_OK(rec.Finish("test"));
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFileText(dir + "/manifest.json"));
  EXPECT_THAT(text, HasSubstr(R"("subject": "image a 1")"));
  ASSERT_OK(SignDirectory(dir, {{.role = "db", .key = db.key}}));
  ASSERT_OK_AND_ASSIGN(auto same, SigningSession::Open({.inject_dir = dir}, nullptr));
  EXPECT_OK(same.Bind("image a 1"));
  ASSERT_OK_AND_ASSIGN(auto other, SigningSession::Open({.inject_dir = dir}, nullptr));
  auto r = other.Bind("image b 1");
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_THAT(r.error().message(),
              HasSubstr("was made for image a 1, not for this run's image b 1"));
}

TEST_F(Refusals, RecordingIntoANonEmptyDirectory) {
  EXPECT_ERROR(SigningSession::Open({.sign_offline_dir = dir_}, nullptr),
               ErrorCode::kAlreadyExists);
  EXPECT_ERROR(SigningSession::Open({.inject_dir = d_ + "/nothing"}, nullptr),
               ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hull::signing

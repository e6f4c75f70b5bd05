// Keys in a PKCS#11 token (SoftHSM 2, made in the test's own directory) sign
// exactly as the same keys do from files: RSA PKCS#1 v1.5 is deterministic,
// so Authenticode signatures and verity root-hash signatures are
// byte-identical; ECDSA (a TUF key: libp11 0.4.12's engine has no EdDSA)
// verifies under the file key's public half. Bad URIs and wrong PINs give one
// line naming the URI and the fault.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "crypto/signature.h"
#include "keys/keys.h"
#include "pe/authenticode.h"
#include "pkcs11/key_ref.h"
#include "pkcs11/token_key.h"
#include "support/status_matchers.h"
#include "tuf/signing_keys.h"
#include "verity/signature.h"

namespace hull::pkcs11 {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSoftHsm = "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so";
constexpr const char* kStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";

class Token : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir(std::move(TempDir::Create("pkcs11").value()));
    const std::string d = dir_->path();
    fs::create_directories(d + "/tokens");
    ASSERT_OK(WriteFileAtomic(d + "/softhsm2.conf", "directories.tokendir = " + d +
                                                        "/tokens\nobjectstore.backend = file\n"
                                                        "log.level = ERROR\n"));
    ::setenv("SOFTHSM2_CONF", (d + "/softhsm2.conf").c_str(), 1);
    ::setenv(kModuleEnv, kSoftHsm, 1);
    ::unsetenv(kPinEnv);
    ASSERT_OK(hull::Run(Command{.argv = {"softhsm2-util", "--init-token", "--free", "--label",
                                         "hull", "--pin", "1234", "--so-pin", "5678"}}));
    // A second token nothing logs in to before the wrong-PIN test (libp11
    // keeps a token's login for the process, so a later wrong PIN for a token
    // already opened is never asked of it).
    for (const char* token : {"other", "fresh"}) {
      ASSERT_OK(hull::Run(Command{.argv = {"softhsm2-util", "--init-token", "--free", "--label",
                                           token, "--pin", "1234", "--so-pin", "5678"}}));
    }
    // The same keys as files and in the token.
    for (auto [name, type, id] : {std::tuple{"db", crypto::KeyType::kRsa2048, "01"},
                                  {"verity", crypto::KeyType::kRsa2048, "02"},
                                  {"root", crypto::KeyType::kEcdsaP256, "03"}}) {
      auto key = crypto::PrivateKey::Generate(type);
      ASSERT_OK(key);
      const std::string pem = d + "/" + name + ".pem";
      ASSERT_OK(WriteFileAtomic(pem, key->ToPem(), 0600));
      for (const char* token : {"hull", "other"}) {
        ASSERT_OK(hull::Run(Command{.argv = {"softhsm2-util", "--import", pem, "--token", token,
                                             "--label", name, "--id", id, "--pin", "1234"}}));
      }
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string Uri(const std::string& object, const std::string& pin = "1234",
                         const std::string& token = "hull") {
    return "pkcs11:token=" + token + ";object=" + object + ";type=private?pin-value=" + pin;
  }
  static std::string Pem(const std::string& name) { return dir_->path() + "/" + name + ".pem"; }

  static TempDir* dir_;
};
TempDir* Token::dir_ = nullptr;

TEST_F(Token, AuthenticodeSignatureIsByteIdenticalToTheKeyFiles) {
  if (!fs::exists(kStub)) GTEST_SKIP() << kStub << " missing (systemd-boot-efi)";
  ASSERT_OK_AND_ASSIGN(auto file_key, LoadPrivateKey(Pem("db")));
  ASSERT_OK_AND_ASSIGN(auto token_key, LoadPrivateKey(Uri("db")));
  EXPECT_FALSE(token_key.exportable());
  ASSERT_OK_AND_ASSIGN(auto cert, crypto::Certificate::CreateSelfSigned(
                                      file_key, {.common_name = "db", .code_signing = true}));
  ASSERT_OK_AND_ASSIGN(Bytes pe, ReadFileBytes(kStub));
  ASSERT_OK_AND_ASSIGN(Bytes from_file, pe::SignImage(pe, file_key, cert));
  ASSERT_OK_AND_ASSIGN(Bytes from_token, pe::SignImage(pe, token_key, cert));
  EXPECT_TRUE(from_file == from_token);
  EXPECT_OK(pe::VerifyImage(from_token, cert));
}

TEST_F(Token, VerityRootHashSignatureIsByteIdentical) {
  ASSERT_OK_AND_ASSIGN(auto file_key, LoadPrivateKey(Pem("verity")));
  // Through a key file holding the URI, as a key directory entry does.
  const std::string ref = dir_->path() + "/verity.key";
  ASSERT_OK(WriteFileAtomic(ref, Uri("verity") + "\n", 0600));
  ASSERT_OK_AND_ASSIGN(auto token_key, LoadPrivateKey(ref));
  ASSERT_OK_AND_ASSIGN(auto cert,
                       crypto::Certificate::CreateSelfSigned(file_key, {.common_name = "v"}));
  Bytes root(32, 0x5a);
  ASSERT_OK_AND_ASSIGN(Bytes a, verity::SignRootHash(root, file_key, cert));
  ASSERT_OK_AND_ASSIGN(Bytes b, verity::SignRootHash(root, token_key, cert));
  EXPECT_TRUE(a == b);
  EXPECT_OK(verity::VerifyRootHashSignature(root, b, cert));
}

TEST_F(Token, EcdsaTufKeySignsWhatTheFileKeyVerifies) {
  ASSERT_OK_AND_ASSIGN(auto file_key, LoadPrivateKey(Pem("root")));
  ASSERT_OK_AND_ASSIGN(auto token_key, LoadPrivateKey(Uri("root")));
  EXPECT_TRUE(token_key.PublicKeyDer() == file_key.PublicKeyDer());
  const std::string msg = R"({"_type":"root","version":1})";
  ASSERT_OK_AND_ASSIGN(Bytes sig, crypto::SignMessage(token_key, AsBytes(msg)));
  EXPECT_OK(crypto::VerifyMessage(crypto::PublicKey::Of(file_key), AsBytes(msg), sig,
                                  crypto::SignatureScheme::kEcdsaP256Sha256));
  Bytes other = sig;
  other[other.size() / 2] ^= 1;
  EXPECT_ERROR(crypto::VerifyMessage(crypto::PublicKey::Of(file_key), AsBytes(msg), other),
               ErrorCode::kBadSignature);
}

// `hull release --root-keys pkcs11:…` and a key directory's root.key holding
// a URI: the role's key is the token's.
TEST_F(Token, TufRoleKeysFromUriAndKeyFile) {
  ASSERT_OK_AND_ASSIGN(auto file_key, LoadPrivateKey(Pem("root")));
  const std::string dir = dir_->path() + "/tufkeys";
  fs::create_directories(dir);
  ASSERT_OK(WriteFileAtomic(dir + "/timestamp.key", Uri("root") + "\n", 0600));
  tuf::KeySources src{dir, {{tuf::Role::kRoot, Uri("root")}}, LoadPrivateKey};
  ASSERT_OK_AND_ASSIGN(tuf::RoleKeySet set, tuf::RoleKeySet::Load(src));
  for (tuf::Role role : {tuf::Role::kRoot, tuf::Role::kTimestamp}) {
    ASSERT_EQ(set.keys[role].size(), 1u);
    EXPECT_TRUE(set.keys[role][0].PublicKeyDer() == file_key.PublicKeyDer());
    EXPECT_FALSE(set.keys[role][0].exportable());
  }
}

TEST_F(Token, UriNamingNoKeyIsOneLineNamingIt) {
  auto r = LoadPrivateKey(Uri("nope"));
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  std::string m = r.error().ToString();
  EXPECT_THAT(m, HasSubstr("pkcs11:object=nope;token=hull;type=private"));
  EXPECT_THAT(m, HasSubstr("no private key in the token matches"));
  EXPECT_THAT(m, Not(HasSubstr("\n")));
  EXPECT_THAT(m, Not(HasSubstr("1234")));
  auto none = LoadPrivateKey("pkcs11:token=hull;type=private?pin-value=1234");
  ASSERT_ERROR(none, ErrorCode::kInvalidArgument);
  EXPECT_THAT(none.error().ToString(), HasSubstr("names no key"));
  auto pub = LoadPrivateKey("pkcs11:token=hull;object=db;type=public?pin-value=1234");
  EXPECT_ERROR(pub, ErrorCode::kInvalidArgument);
}

TEST_F(Token, WrongPinIsRefusedNamingTheUri) {
  auto r = LoadPrivateKey(Uri("db", "0000", "other"));
  ASSERT_ERROR(r, ErrorCode::kRefused);
  std::string m = r.error().ToString();
  EXPECT_THAT(m, HasSubstr("pkcs11:object=db;token=other;type=private"));
  EXPECT_THAT(m, HasSubstr("wrong PIN"));
  EXPECT_THAT(m, Not(HasSubstr("0000")));
}

TEST_F(Token, GeneratedKeyLoadsAndIsNotOverwritten) {
  ::setenv(kPinEnv, "1234", 1);
  ASSERT_OK_AND_ASSIGN(TokenKey made,
                       GenerateTokenKey("pkcs11:token=hull", "made", crypto::KeyType::kRsa2048));
  EXPECT_EQ(made.uri, "pkcs11:object=made;token=hull;type=private");
  ASSERT_OK_AND_ASSIGN(auto key, LoadPrivateKey(made.uri));
  EXPECT_TRUE(key.PublicKeyDer() == made.key.PublicKeyDer());
  ASSERT_OK_AND_ASSIGN(Bytes sig, crypto::SignMessage(key, AsBytes(std::string_view("m"))));
  EXPECT_OK(crypto::VerifyMessage(crypto::PublicKey::Of(key), AsBytes(std::string_view("m")), sig));
  EXPECT_ERROR(GenerateTokenKey("pkcs11:token=hull", "made", crypto::KeyType::kRsa2048),
               ErrorCode::kAlreadyExists);
  ::unsetenv(kPinEnv);
}

// hull keys init --pkcs11: the hierarchy made in the token, the directory
// holding URIs and certificates that sign and verify like hull keys init's.
TEST_F(Token, KeysInitInTokenWritesUrisAndCertificates) {
  const std::string d = dir_->path() + "/tokenkeys";
  ::setenv(kPinEnv, "1234", 1);
  // The token `hull` already holds a db key: refused before anything is made.
  EXPECT_ERROR(keys::InitKeys(d, {.pkcs11_uri = "pkcs11:token=hull"}), ErrorCode::kAlreadyExists);
  EXPECT_FALSE(fs::exists(d + "/PK.key"));
  ASSERT_OK(keys::InitKeys(d, {.pkcs11_uri = "pkcs11:token=fresh"}));
  ASSERT_OK_AND_ASSIGN(std::string ref, ReadFileText(d + "/db.key"));
  EXPECT_EQ(ref, "pkcs11:object=db;token=fresh;type=private\n");
  ASSERT_OK_AND_ASSIGN(auto key, LoadPrivateKey(d + "/db.key"));
  ASSERT_OK_AND_ASSIGN(auto cert, crypto::Certificate::Load(d + "/db.crt"));
  ASSERT_OK_AND_ASSIGN(Bytes verity_sig, verity::SignRootHash(Bytes(32, 1), key, cert));
  EXPECT_ERROR(verity::VerifyRootHashSignature(Bytes(32, 2), verity_sig, cert),
               ErrorCode::kBadSignature);
  EXPECT_OK(verity::VerifyRootHashSignature(Bytes(32, 1), verity_sig, cert));
  // A second init into a fresh directory meets the token's keys.
  EXPECT_ERROR(keys::InitKeys(d + "2", {.pkcs11_uri = "pkcs11:token=fresh"}),
               ErrorCode::kAlreadyExists);
  ::unsetenv(kPinEnv);
}

// hull keys auth with PK and KEK in the token (efitools through the pkcs11
// engine and p11-kit's proxy, which loads the registered SoftHSM module) gives
// the bytes the same keys give as files.
TEST_F(Token, AuthFilesFromTokenKeysAreByteIdentical) {
  if (!fs::exists("/usr/share/p11-kit/modules/softhsm2.module")) {
    GTEST_SKIP() << "SoftHSM is not registered with p11-kit";
  }
  const std::string d = dir_->path();
  ASSERT_OK(keys::InitKeys(d + "/filekeys"));
  fs::create_directories(d + "/refkeys");
  for (const char* name : {"PK", "KEK", "db"}) {
    fs::copy_file(d + "/filekeys/" + std::string(name) + ".crt",
                  d + "/refkeys/" + std::string(name) + ".crt");
  }
  for (auto [name, id] : {std::pair{"PK", "21"}, {"KEK", "22"}}) {
    ASSERT_OK(hull::Run(Command{
        .argv = {"softhsm2-util", "--import", d + "/filekeys/" + name + ".key", "--token", "other",
                 "--label", std::string("auth") + name, "--id", id, "--pin", "1234"}}));
    ASSERT_OK(
        WriteFileAtomic(d + "/refkeys/" + name + ".key",
                        "pkcs11:token=other;object=auth" + std::string(name) + ";type=private\n"));
  }
  ::setenv(kPinEnv, "1234", 1);
  ASSERT_OK(keys::MakeAuthFiles(
      {.key_dir = d + "/filekeys", .out_dir = d + "/auth-file", .timestamp = 1764547200}));
  ASSERT_OK(keys::MakeAuthFiles(
      {.key_dir = d + "/refkeys", .out_dir = d + "/auth-token", .timestamp = 1764547200}));
  ::unsetenv(kPinEnv);
  for (const char* name : {"PK", "KEK", "db"}) {
    ASSERT_OK_AND_ASSIGN(Bytes a, ReadFileBytes(d + "/auth-file/" + name + ".auth"));
    ASSERT_OK_AND_ASSIGN(Bytes b, ReadFileBytes(d + "/auth-token/" + name + ".auth"));
    EXPECT_TRUE(a == b) << name;
  }
}

// The CLI: a wrong PIN is one line on stderr, exit 1 (refused), no output file.
TEST_F(Token, SignCommandWithWrongPinLeavesNoOutput) {
  if (!fs::exists(kStub)) GTEST_SKIP() << kStub << " missing (systemd-boot-efi)";
  if (!std::getenv("HULL_BIN")) GTEST_SKIP() << "HULL_BIN unset (run through ctest)";
  const std::string d = dir_->path();
  ASSERT_OK_AND_ASSIGN(auto file_key, LoadPrivateKey(Pem("db")));
  ASSERT_OK_AND_ASSIGN(auto cert,
                       crypto::Certificate::CreateSelfSigned(file_key, {.common_name = "db"}));
  ASSERT_OK(WriteFileAtomic(d + "/db.crt", cert.ToPem()));
  auto run = [&](const std::string& uri, const std::string& out) {
    return RunAllowFailure(Command{.argv = {std::getenv("HULL_BIN"), "sign", kStub, "--key", uri,
                                            "--cert", d + "/db.crt", "--out", out}});
  };
  ASSERT_OK_AND_ASSIGN(auto bad, run(Uri("db", "0000"), d + "/bad.efi"));
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("pkcs11:object=db;token=hull;type=private"));
  EXPECT_FALSE(fs::exists(d + "/bad.efi"));
  ASSERT_OK_AND_ASSIGN(auto good, run(Uri("db"), d + "/good.efi"));
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(good.term_signal, 0) << good.err;
  ASSERT_OK_AND_ASSIGN(Bytes signed_pe, ReadFileBytes(d + "/good.efi"));
  ASSERT_OK_AND_ASSIGN(Bytes pe, ReadFileBytes(kStub));
  ASSERT_OK_AND_ASSIGN(Bytes expected, pe::SignImage(pe, file_key, cert));
  EXPECT_TRUE(signed_pe == expected);
}

}  // namespace
}  // namespace hull::pkcs11

// `hull container sign` offline (container/sign.h, docs/keys.md): the
// simple-signing payload recorded, signed by SignDirectory (what `hull
// sign-offline` runs), injected. With Ed25519 (deterministic) the layout is
// byte for byte the one signing with the key at hand makes; each refusal
// leaves the layout as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "base/file.h"
#include "container/sign.h"
#include "crypto/signature.h"
#include "oci/layout.h"
#include "oci/sigstore.h"
#include "signing/manifest.h"
#include "support/status_matchers.h"

namespace hull::container {
namespace {

namespace fs = std::filesystem;
constexpr char kIdentity[] = "registry.example.com/hull/static:latest";

std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out[fs::relative(e.path(), dir).string()] = *ReadFileText(e.path().string());
    }
  }
  return out;
}

class OfflineContainerSign : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TempDir t, TempDir::Create("hull-container-sign"));
    dir_ = std::make_unique<TempDir>(std::move(t));
    oci::Layout l;
    oci::ImageConfig c;
    c.platform.architecture = "amd64";
    oci::Descriptor config = l.AddBlob(oci::ConfigJson(c), oci::kMediaTypeConfig);
    oci::Descriptor m = l.AddBlob(oci::ManifestJson(config, {}, {}), oci::kMediaTypeManifest);
    m.annotations[oci::kAnnotationRefName] = "static";
    digest_ = m.digest;
    l.AddToIndex(m);
    for (const char* name : {"with-key", "offline"}) ASSERT_OK(l.Write(Path(name)));
    ASSERT_OK_AND_ASSIGN(key_, crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
  }
  std::string Path(const std::string& name) { return dir_->path() + "/" + name; }
  std::string Sign() { return Path("tosign"); }
  Result<SignResult> Run(signing::OfflineOptions offline, const std::string& identity = kIdentity,
                         const crypto::PublicKey* pub = nullptr) {
    HULL_ASSIGN_OR_RETURN(auto session, signing::SigningSession::Open(offline, nullptr));
    return SignImage({.layout = Path("offline"), .ref = "static", .identity = identity},
                     pub ? *pub : crypto::PublicKey::Of(key_), session);
  }
  Result<SignResult> Record() { return Run({.sign_offline_dir = Sign(), .inject_dir = {}}); }
  Result<SignResult> Inject(const std::string& identity = kIdentity,
                            const crypto::PublicKey* pub = nullptr) {
    return Run({.sign_offline_dir = {}, .inject_dir = Sign()}, identity, pub);
  }
  std::string ItemName() { return "sigstore-" + digest_.substr(7, 16); }

  std::unique_ptr<TempDir> dir_;
  std::string digest_;
  crypto::PrivateKey key_;
};

TEST_F(OfflineContainerSign, SignedOfflineIsTheSameLayoutAsWithTheKey) {
  crypto::PrivateKey copy = key_;
  ASSERT_OK_AND_ASSIGN(auto with_key, signing::SigningSession::Open({}, [&] {
                         return Result<crypto::KeySigner>(crypto::KeySigner(std::move(copy)));
                       }));
  ASSERT_OK(SignImage({.layout = Path("with-key"), .ref = "static", .identity = kIdentity},
                      crypto::PublicKey::Of(key_), with_key));
  const auto before = Files(Path("offline"));
  ASSERT_OK_AND_ASSIGN(SignResult recorded, Record());
  EXPECT_EQ(recorded.digest, digest_);
  EXPECT_EQ(Files(Path("offline")), before) << "the stop changed the layout";
  ASSERT_OK_AND_ASSIGN(auto m, signing::ParseManifest(*ReadFileText(Sign() + "/manifest.json")));
  EXPECT_EQ(m.command, "container sign");
  EXPECT_EQ(m.subject, "container image " + digest_ + " as " + kIdentity);
  ASSERT_EQ(m.items.size(), 1u);
  EXPECT_EQ(m.items[0].name, ItemName());
  EXPECT_EQ(m.items[0].role, "container");
  EXPECT_EQ(m.items[0].kind, "sigstore-payload");
  const Bytes payload = oci::SigstorePayload(digest_, kIdentity);
  EXPECT_EQ(*ReadFileBytes(Sign() + "/" + ItemName() + ".bin"), payload);
  // `hull sign-offline tosign --key container=KEY`.
  ASSERT_OK(signing::SignDirectory(Sign(), {{"container", key_, "c.key"}}));
  ASSERT_OK(Inject());
  const auto want = Files(Path("with-key"));
  EXPECT_EQ(want.size(), before.size() + 3);  // signature manifest, payload, its config
  EXPECT_EQ(Files(Path("offline")), want);
}

TEST_F(OfflineContainerSign, MissingOrForeignSignaturesAndOtherInputsAreRefused) {
  ASSERT_OK(Record());
  const auto before = Files(Path("offline"));
  EXPECT_ERROR(Inject(), ErrorCode::kNotFound);  // not signed yet
  ASSERT_OK_AND_ASSIGN(auto other, crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
  const Bytes payload = oci::SigstorePayload(digest_, kIdentity);
  ASSERT_OK_AND_ASSIGN(Bytes bad,
                       crypto::SignRaw(other, crypto::SignatureAlgorithm::kEd25519, payload));
  ASSERT_OK(WriteFileAtomic(Sign() + "/" + ItemName() + ".sig", bad));
  EXPECT_ERROR(Inject(), ErrorCode::kBadSignature);
  // SignDirectory will not sign with a key that is not the item's either.
  EXPECT_ERROR(signing::SignDirectory(Sign(), {{"container", other, "other.key"}}),
               ErrorCode::kRefused);
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", key_, "c.key"}}));
  // Another identity, another public key: not what was signed.
  EXPECT_ERROR(Inject("registry.example.com/hull/static:stolen"), ErrorCode::kRefused);
  const crypto::PublicKey other_pub = crypto::PublicKey::Of(other);
  EXPECT_ERROR(Inject(kIdentity, &other_pub), ErrorCode::kRefused);
  EXPECT_EQ(Files(Path("offline")), before);
  ASSERT_OK(Inject());
}

TEST_F(OfflineContainerSign, ADirectoryOfAnotherCommandIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto rec, signing::SigningSession::Open(
                                     {.sign_offline_dir = Sign(), .inject_dir = {}}, nullptr));
  const Bytes payload = oci::SigstorePayload(digest_, kIdentity);
  ASSERT_OK(rec.Bind(SignSubject(digest_, kIdentity)));
  ASSERT_OK(rec.signer().Sign({.item = {.name = ItemName(), .role = "container"},
                               .kind = "sigstore-payload",
                               .algorithm = crypto::SignatureAlgorithm::kEd25519,
                               .key = crypto::PublicKey::Of(key_),
                               .message = payload}));
  ASSERT_OK(rec.Finish("sign"));
  ASSERT_OK(signing::SignDirectory(Sign(), {{"", key_, "c.key"}}));
  const auto before = Files(Path("offline"));
  auto r = Inject();
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_NE(r.error().message().find("was made by hull sign, not by hull container sign"),
            std::string::npos)
      << r.error().message();
  EXPECT_EQ(Files(Path("offline")), before);
}

}  // namespace
}  // namespace hull::container

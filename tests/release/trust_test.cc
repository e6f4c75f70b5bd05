// Check before download and key rotation across releases, with real
// repositories (src/release publishes, src/slot applies from the
// directory) and real disk images (tests/slot's fixture). Keys A, B and C
// each sign a release's root hash (PKCS#7) and UKI (Authenticode). Release
// N trusts A and B and is signed by A; N+1, signed by B, is accepted by a
// node running N; a release signed by C is refused before any byte of its
// payload is fetched. Oracle: sbverify (sbsigntool) for the UKI installed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/hex.h"
#include "base/subprocess.h"
#include "pe/authenticode.h"
#include "release/publish.h"
#include "slot/fixture.h"
#include "slot/trust.h"
#include "slot/update.h"
#include "support/status_matchers.h"
#include "tuf/fetcher.h"
#include "verity/signature.h"

namespace hull::slot {
namespace {
namespace fs = std::filesystem;

using testing::Inputs;
using testing::Release;

constexpr const char* kV0 = "202611.24.0";  // the disk's release (N-1)
constexpr const char* kV1 = "202612.01.0";  // N: signed by A, trusts A and B
constexpr const char* kV2 = "202612.08.0";  // N+1: signed by B
constexpr const char* kV3 = "202612.15.0";  // signed by C

struct Signer {
  std::string name;
  crypto::PrivateKey db_key, verity_key;
  crypto::Certificate db_cert, verity_cert;
};

Result<Signer> MakeSigner(const std::string& name) {
  Signer s;
  s.name = name;
  HULL_ASSIGN_OR_RETURN(s.db_key, crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048));
  HULL_ASSIGN_OR_RETURN(s.verity_key, crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048));
  crypto::CertificateOptions co;
  co.common_name = "Hull test db " + name;
  co.code_signing = true;
  HULL_ASSIGN_OR_RETURN(s.db_cert, crypto::Certificate::CreateSelfSigned(s.db_key, co));
  co.common_name = "Hull test verity " + name;
  co.code_signing = false;
  HULL_ASSIGN_OR_RETURN(s.verity_cert, crypto::Certificate::CreateSelfSigned(s.verity_key, co));
  return s;
}

// `r` signed by `s`: the root hash signature (the signature partition
// naming `named`'s certificate, normally the signer's own) and the UKI.
Result<Release> Resign(const Release& r, const Signer& s, const std::string& out,
                       const crypto::Certificate* named = nullptr) {
  fs::create_directories(out);
  for (const char* f : {kUsrFile, kVerityFile})
    fs::copy_file(r.dir + "/" + f, out + "/" + f, fs::copy_options::overwrite_existing);
  HULL_ASSIGN_OR_RETURN(Bytes root, HexDecode(r.root_hash));
  HULL_ASSIGN_OR_RETURN(Bytes sig, verity::SignRootHash(root, s.verity_key, s.verity_cert));
  HULL_ASSIGN_OR_RETURN(
      Bytes part, verity::EncodeSignaturePartition(root, sig, named ? *named : s.verity_cert));
  HULL_TRY(WriteFileAtomic(out + "/" + kSignatureFile, part));
  HULL_ASSIGN_OR_RETURN(Bytes uki, ReadFileBytes(r.dir + "/" + kUkiFile));
  HULL_ASSIGN_OR_RETURN(Bytes signed_uki, pe::SignImage(uki, s.db_key, s.db_cert));
  HULL_TRY(WriteFileAtomic(out + "/" + kUkiFile, signed_uki));
  HULL_TRY(WriteManifest(out, r.version, r.root_hash));
  return Release{r.version, out, r.root_hash};
}

// A trust set directory as an image ships it.
Result<TrustSet> TrustDir(const std::string& dir, const std::vector<const Signer*>& signers) {
  fs::create_directories(dir + "/db");
  fs::create_directories(dir + "/verity");
  for (const Signer* s : signers) {
    HULL_TRY(WriteFileAtomic(dir + "/db/" + s->name + ".crt", s->db_cert.ToPem()));
    HULL_TRY(WriteFileAtomic(dir + "/verity/" + s->name + ".crt", s->verity_cert.ToPem()));
  }
  return LoadTrustSet(dir);
}

// Every path fetched, so a test can tell metadata from payload bytes.
class Recording : public tuf::Fetcher {
 public:
  Recording(std::unique_ptr<tuf::Fetcher> inner, std::vector<std::string>* paths)
      : inner_(std::move(inner)), paths_(paths) {}
  Status FetchTo(const std::string& path, uint64_t max_bytes, const Sink& sink) override {
    paths_->push_back(path);
    return inner_->FetchTo(path, max_bytes, sink);
  }

 private:
  std::unique_ptr<tuf::Fetcher> inner_;
  std::vector<std::string>* paths_;
};

std::vector<std::string> PayloadFetches(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths)
    if (!p.ends_with(".json")) out.push_back(p);
  return out;
}

class TrustTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto in = Inputs::Create();
    ASSERT_OK(in);
    inputs_ = std::move(*in).release();
    for (const char* n : {"A", "B", "C"}) {
      auto s = MakeSigner(n);
      ASSERT_OK(s);
      signers_.push_back(std::move(*s));
    }
    const Signer &a = signers_[0], &b = signers_[1], &c = signers_[2];
    const std::string d = inputs_->dir();
    for (auto [v, s] : {std::pair{kV0, &a}, {kV1, &a}, {kV2, &b}, {kV3, &c}}) {
      auto r = inputs_->MakeRelease(v, 256, /*real_kernel=*/false, "trust content");
      ASSERT_OK(r);
      auto signed_r = Resign(*r, *s, d + "/signed-" + v);
      ASSERT_OK(signed_r);
      releases_[v] = *signed_r;
    }
    auto disk = inputs_->MakeDisk(releases_[kV0], "trust-base");
    ASSERT_OK(disk);
    disk_ = *disk;
    auto only_a = TrustDir(d + "/trust-A", {&a});
    ASSERT_OK(only_a);
    trust_a_ = new TrustSet(std::move(*only_a));
    auto ab = TrustDir(d + "/trust-AB", {&a, &b});
    ASSERT_OK(ab);
    trust_ab_ = new TrustSet(std::move(*ab));
  }
  static void TearDownTestSuite() {
    delete trust_a_;
    delete trust_ab_;
    delete inputs_;
  }

  // A repository publishing `versions` (oldest first).
  static std::string Repo(const std::string& name, const std::vector<const char*>& versions) {
    const std::string repo = inputs_->dir() + "/" + name;
    auto keys = tuf::RoleKeySet::Load(inputs_->dir() + "/tuf-keys", true);
    EXPECT_OK(keys);
    EXPECT_OK(tuf::Repository::Init(repo, *keys));
    release::PublishOptions o;
    o.deltas = 0;
    o.chunk_level = 1;
    for (const char* v : versions) {
      auto r = release::PublishRelease(repo, *keys, releases_[v].dir, o);
      EXPECT_OK(r);
    }
    return repo;
  }

  static Result<ApplyResult> Apply(const std::string& repo, const std::string& image,
                                   const TrustSet& trust, const std::string& active,
                                   std::vector<std::string>* fetched) {
    HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(repo + "/1.root.json"));
    HULL_ASSIGN_OR_RETURN(
        auto client, tuf::Client::Create(
                         std::make_unique<Recording>(tuf::MakeFetcher(repo), fetched), root, ""));
    HULL_ASSIGN_OR_RETURN(auto o, OpenDisk(image, true));
    InstallOptions io;
    io.active_usrhash = active;
    io.trust = &trust;
    return ApplyUpdate(client, *o.disk, *o.esp, {}, io);
  }

  std::string Fresh(const std::string& name) {
    std::string path = inputs_->dir() + "/" + name + ".raw";
    EXPECT_OK(testing::CopyImage(disk_, path));
    return path;
  }

  static std::string Fp(const crypto::Certificate& c) { return HexEncode(c.Fingerprint()); }

  static Inputs* inputs_;
  static std::vector<Signer> signers_;
  static std::map<std::string, Release> releases_;
  static std::string disk_;
  static TrustSet *trust_a_, *trust_ab_;
};
Inputs* TrustTest::inputs_ = nullptr;
std::vector<Signer> TrustTest::signers_;
std::map<std::string, Release> TrustTest::releases_;
std::string TrustTest::disk_;
TrustSet *TrustTest::trust_a_ = nullptr, *TrustTest::trust_ab_ = nullptr;

TEST_F(TrustTest, PublishedReleaseDeclaresItsSizesAndSigners) {
  const std::string repo = Repo("repo-declare", {kV2});
  auto targets = tuf::Repository::ReadTargets(repo);
  ASSERT_OK(targets);
  const std::string name = fmt::format("hull-immutable-amd64-{}.usr.erofs", kV2);
  ASSERT_EQ(targets->targets.count(name), 1u);
  const auto& custom = targets->targets.at(name).custom;
  ASSERT_TRUE(custom.contains("release")) << custom.dump();
  const std::string dir = releases_[kV2].dir;
  // Expected: the files' sizes and the certificates B signed with.
  EXPECT_EQ(custom["release"]["sizes"]["usr"], fs::file_size(dir + "/" + kUsrFile));
  EXPECT_EQ(custom["release"]["sizes"]["verity"], fs::file_size(dir + "/" + kVerityFile));
  EXPECT_EQ(custom["release"]["sizes"]["uki"], fs::file_size(dir + "/" + kUkiFile));
  EXPECT_EQ(custom["release"]["signers"]["verity"], Fp(signers_[1].verity_cert));
  EXPECT_EQ(custom["release"]["signers"]["uki"], Fp(signers_[1].db_cert));
}

// The rotation, step by step, on one disk: N-1 (trusts A) takes N (signed
// by A); N (trusts A and B) takes N+1 (signed by B).
TEST_F(TrustTest, KeyRotationWithoutAFlagDay) {
  const std::string image = Fresh("rotation");
  std::vector<std::string> fetched;
  auto n = Apply(Repo("repo-n", {kV1}), image, *trust_a_, "", &fetched);
  ASSERT_OK(n);
  EXPECT_EQ(n->version, kV1);
  EXPECT_FALSE(n->install.slot.empty());
  // N+1, signed by B, reaches the node running N.
  auto n1 =
      Apply(Repo("repo-n1", {kV1, kV2}), image, *trust_ab_, releases_[kV1].root_hash, &fetched);
  ASSERT_OK(n1);
  EXPECT_EQ(n1->version, kV2);
  // Oracle: sbsigntool's sbverify accepts the installed UKI with B's db
  // certificate, and not with A's.
  auto o = OpenDisk(image, false);
  ASSERT_OK(o);
  auto uki = o->esp->Read(n1->install.uki_file, kMaxUkiBytes);
  ASSERT_OK(uki);
  const std::string d = inputs_->dir();
  ASSERT_OK(WriteFileAtomic(d + "/installed.efi", *uki));
  ASSERT_OK(WriteFileAtomic(d + "/B-db.crt", signers_[1].db_cert.ToPem()));
  ASSERT_OK(WriteFileAtomic(d + "/A-db.crt", signers_[0].db_cert.ToPem()));
  auto ok = RunAllowFailure(
      Command{.argv = {"sbverify", "--cert", d + "/B-db.crt", d + "/installed.efi"}});
  ASSERT_OK(ok);
  EXPECT_EQ(ok->exit_code, 0) << ok->err;
  auto other = RunAllowFailure(
      Command{.argv = {"sbverify", "--cert", d + "/A-db.crt", d + "/installed.efi"}});
  ASSERT_OK(other);
  EXPECT_NE(other->exit_code, 0);
}

// A node that never ran N trusts only A: N+1 (signed by B) is refused
// before any byte of its payload, naming B's certificate.
TEST_F(TrustTest, NodeThatSkippedTheRotationRefusesBeforeDownload) {
  const std::string image = Fresh("skipped");
  auto before = ReadFileBytes(image);
  ASSERT_OK(before);
  std::vector<std::string> fetched;
  auto r = Apply(Repo("repo-skip", {kV2}), image, *trust_a_, "", &fetched);
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_NE(r.error().ToString().find(fmt::format(
                "release {}: its root hash is signed by certificate {}, which is not in the "
                "node's trust set ({}/verity)",
                kV2, Fp(signers_[1].verity_cert), trust_a_->dir)),
            std::string::npos)
      << r.error().ToString();
  EXPECT_FALSE(fetched.empty());  // the metadata was read
  EXPECT_EQ(PayloadFetches(fetched), std::vector<std::string>{});
  EXPECT_TRUE(*ReadFileBytes(image) == *before);
}

TEST_F(TrustTest, ReleaseSignedByAnUnknownKeyIsRefusedBeforeDownload) {
  const std::string image = Fresh("unknown");
  auto before = ReadFileBytes(image);
  ASSERT_OK(before);
  std::vector<std::string> fetched;
  auto r = Apply(Repo("repo-c", {kV3}), image, *trust_ab_, "", &fetched);
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_NE(r.error().ToString().find(Fp(signers_[2].verity_cert)), std::string::npos)
      << r.error().ToString();
  EXPECT_EQ(PayloadFetches(fetched), std::vector<std::string>{});
  EXPECT_TRUE(*ReadFileBytes(image) == *before);
}

// A release that names A's certificate for a root hash C signed passes the
// check before download (A is trusted) and fails after it, against A.
TEST_F(TrustTest, PiecesAreVerifiedAgainstTheDeclaredCertificateAfterDownload) {
  auto lying =
      Resign(releases_[kV3], signers_[2], inputs_->dir() + "/lying", &signers_[0].verity_cert);
  ASSERT_OK(lying);
  // Its UKI signed by A, so only the root hash signature is wrong.
  // (The fixture's unsigned UKI of that version.)
  auto uki = ReadFileBytes(inputs_->dir() + "/release-" + kV3 + "/" + kUkiFile);
  ASSERT_OK(uki);
  auto by_a = pe::SignImage(*uki, signers_[0].db_key, signers_[0].db_cert);
  ASSERT_OK(by_a);
  ASSERT_OK(WriteFileAtomic(lying->dir + "/" + kUkiFile, *by_a));
  ASSERT_OK(WriteManifest(lying->dir, lying->version, lying->root_hash));
  const std::string repo = inputs_->dir() + "/repo-lying";
  auto keys = tuf::RoleKeySet::Load(inputs_->dir() + "/tuf-keys", true);
  ASSERT_OK(keys);
  ASSERT_OK(tuf::Repository::Init(repo, *keys));
  release::PublishOptions o;
  o.deltas = 0;
  ASSERT_OK(release::PublishRelease(repo, *keys, lying->dir, o));

  const std::string image = Fresh("lying");
  auto before = ReadFileBytes(image);
  ASSERT_OK(before);
  std::vector<std::string> fetched;
  auto r = Apply(repo, image, *trust_ab_, "", &fetched);
  ASSERT_ERROR(r, ErrorCode::kBadSignature);
  EXPECT_NE(r.error().ToString().find(fmt::format("release {}: root hash signature", kV3)),
            std::string::npos)
      << r.error().ToString();
  EXPECT_FALSE(PayloadFetches(fetched).empty());  // refused after download
  EXPECT_TRUE(*ReadFileBytes(image) == *before);
}

// The agent remembers a refused release (ApplyRelease's `refused`): an
// untrusted signer is the release's own, so it is flagged, before download.
TEST_F(TrustTest, UntrustedSignerIsFlaggedAsTheReleasesOwn) {
  const std::string repo = Repo("repo-flag", {kV3});
  const std::string image = Fresh("flag");
  auto root = ReadFileBytes(repo + "/1.root.json");
  ASSERT_OK(root);
  std::vector<std::string> fetched;
  auto client =
      tuf::Client::Create(std::make_unique<Recording>(tuf::MakeFetcher(repo), &fetched), *root, "");
  ASSERT_OK(client);
  ASSERT_OK(client->Refresh());
  auto releases = SlotReleases(client->targets());
  ASSERT_EQ(releases.size(), 1u);
  auto o = OpenDisk(image, true);
  ASSERT_OK(o);
  InstallOptions io;
  io.trust = trust_ab_;
  bool refused = false;
  auto r = ApplyRelease(*client, *o->disk, *o->esp, releases[0], io, &refused);
  ASSERT_ERROR(r, ErrorCode::kRefused);
  EXPECT_TRUE(refused);
  EXPECT_EQ(PayloadFetches(fetched), std::vector<std::string>{});
}

// A targets-key holder publishes a usr image that matches its TUF hash but
// not the root hash A signed: the slot fails verification after writing,
// and the release is flagged as the release's own, so the agent does not
// retire the fallback slot and download it again on every cycle.
TEST_F(TrustTest, UsrNotMatchingTheSignedRootHashIsFlaggedAsTheReleasesOwn) {
  const std::string repo = inputs_->dir() + "/repo-bad-usr";
  auto keys = tuf::RoleKeySet::Load(inputs_->dir() + "/tuf-keys", true);
  ASSERT_OK(keys);
  ASSERT_OK(tuf::Repository::Init(repo, *keys));
  release::PublishOptions po;
  po.deltas = 0;
  po.chunks = false;
  auto published = release::PublishRelease(repo, *keys, releases_[kV1].dir, po);
  ASSERT_OK(published);
  // The usr target replaced by the same image with one byte flipped in
  // the middle of its data, re-signed with the targets key.
  const std::string name = fmt::format("hull-immutable-amd64-{}.usr.erofs", kV1);
  auto targets = tuf::Repository::ReadTargets(repo);
  ASSERT_OK(targets);
  ASSERT_EQ(targets->targets.count(name), 1u);
  auto usr = ReadFileBytes(releases_[kV1].dir + "/" + kUsrFile);
  ASSERT_OK(usr);
  (*usr)[usr->size() / 2] ^= 0xff;
  const std::string bad = inputs_->dir() + "/bad-usr.img";
  ASSERT_OK(WriteFileAtomic(bad, *usr));
  ASSERT_OK(tuf::Repository::AddTarget(repo, *keys, bad, name, targets->targets.at(name).custom));

  const std::string image = Fresh("bad-usr");
  auto root = ReadFileBytes(repo + "/1.root.json");
  ASSERT_OK(root);
  auto client = tuf::Client::Create(tuf::MakeFetcher(repo), *root, "");
  ASSERT_OK(client);
  ASSERT_OK(client->Refresh());
  auto releases = SlotReleases(client->targets());
  ASSERT_EQ(releases.size(), 1u);
  auto o = OpenDisk(image, true);
  ASSERT_OK(o);
  InstallOptions io;
  io.trust = trust_a_;
  bool refused = false;
  auto r = ApplyRelease(*client, *o->disk, *o->esp, releases[0], io, &refused);
  ASSERT_ERROR(r, ErrorCode::kVerifyFailed);
  EXPECT_TRUE(refused) << r.error().ToString();
}

// `hull update apply --trust DIR`: the same refusal from the CLI, exit 1.
TEST_F(TrustTest, CliTrustOptionRefusesBeforeDownload) {
  const std::string image = Fresh("cli");
  const std::string repo = Repo("repo-cli", {kV2});
  auto out =
      RunAllowFailure(Command{.argv = {getenv("HULL_BIN"), "update", "apply", "--repo", repo,
                                       "--trusted-root", repo + "/1.root.json", "--disk", image,
                                       "--machine-id", "", "--trust", trust_a_->dir}});
  ASSERT_OK(out);
  EXPECT_EQ(out->exit_code, 1) << out->err;
  EXPECT_NE(out->err.find("which is not in the node's trust set (" + trust_a_->dir + "/verity)"),
            std::string::npos)
      << out->err;
}

// VerifySigners on real pieces: C's UKI and root hash signature against the
// certificates of A (what a release naming A would be checked against).
TEST_F(TrustTest, VerifySignersRefusesPiecesOfAnotherSigner) {
  auto uki = ReadFileBytes(releases_[kV3].dir + "/" + kUkiFile);
  auto sig = ReadFileBytes(releases_[kV3].dir + "/" + kSignatureFile);
  ASSERT_OK(uki);
  ASSERT_OK(sig);
  const Signer &a = signers_[0], &c = signers_[2];
  EXPECT_OK(VerifySigners(kV3, *uki, *sig, {.verity = &c.verity_cert, .db = &c.db_cert}));
  auto bad_uki = VerifySigners(kV3, *uki, *sig, {.verity = &c.verity_cert, .db = &a.db_cert});
  ASSERT_ERROR(bad_uki, ErrorCode::kBadSignature);
  EXPECT_NE(bad_uki.error().ToString().find(fmt::format("release {}: UKI signature", kV3)),
            std::string::npos)
      << bad_uki.error().ToString();
  ASSERT_ERROR(VerifySigners(kV3, *uki, *sig, {.verity = &a.verity_cert, .db = &c.db_cert}),
               ErrorCode::kBadSignature);
  EXPECT_OK(VerifySigners(kV3, *uki, *sig, {}));  // nothing to check against
}

}  // namespace
}  // namespace hull::slot

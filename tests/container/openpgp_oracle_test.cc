// `hull container sign --format openpgp` and `hull container export-key`
// checked with the tools that verify simple-signing OpenPGP signatures: gpg
// reads the exported key (its fingerprint is the one hull names) and
// verifies the signed message; skopeo standalone-verify accepts it; and
// containers/image's own policy check (signedBy, GPGKeys) pulling from
// Debian's docker-registry on loopback with a file:// lookaside accepts the
// Hull-signed image and refuses it unsigned, with a tampered signature and
// signed with another key. A SoftHSM token holding the same key gives the
// same bytes. Needs gpg, skopeo, docker-registry, curl and softhsm2-util.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "oci/layout.h"
#include "support/free_port.h"
#include "support/softhsm.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEpoch[] = "SOURCE_DATE_EPOCH=1764028800";

bool HaveTool(const std::string& tool) {
  return Run(Command{.argv = {"sh", "-c", "command -v " + tool}}).ok();
}

class ContainerOpenPgp : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* t : {"gpg", "skopeo", "docker-registry", "curl", "openssl", "softhsm2-util"}) {
      if (!HaveTool(t)) GTEST_SKIP() << "needs " << t << " (scripts/install-deps.sh installs it)";
    }
    ASSERT_OK_AND_ASSIGN(TempDir t, TempDir::Create("hull-container-openpgp"));
    dir_.emplace(std::move(t));
    d_ = dir_->path();
    fs::create_directories(d_ + "/gnupg");
    fs::permissions(d_ + "/gnupg", fs::perms::owner_all);
    ASSERT_OK_AND_ASSIGN(env_, test_support::MakeSoftHsmToken(d_ + "/hsm", "ctr"));
    env_.insert(env_.end(), {kEpoch, "GNUPGHOME=" + d_ + "/gnupg"});
    // A small image: its config and manifest, named "static" in index.json.
    oci::Layout l;
    oci::ImageConfig c;
    c.platform.architecture = "amd64";
    oci::Descriptor config = l.AddBlob(oci::ConfigJson(c), oci::kMediaTypeConfig);
    oci::Descriptor m = l.AddBlob(oci::ManifestJson(config, {}, {}), oci::kMediaTypeManifest);
    m.annotations[oci::kAnnotationRefName] = "static";
    l.AddToIndex(m);
    ASSERT_OK(l.Write(d_ + "/layout"));
  }

  ProcessOutput Exec(std::vector<std::string> argv) {
    auto r = RunAllowFailure(
        Command{.argv = std::move(argv), .env = env_, .timeout = std::chrono::minutes(2)});
    EXPECT_OK(r);
    return r.ok() ? *r : ProcessOutput{};
  }
  std::string Sh(const std::string& script) {
    ProcessOutput r = Exec({"sh", "-c", script});
    EXPECT_EQ(r.exit_code, 0) << script << "\n" << r.err;
    return r.out;
  }
  ProcessOutput Hull(std::vector<std::string> args) {
    args.insert(args.begin(), std::getenv("HULL_BIN"));
    return Exec(std::move(args));
  }
  json Sign(const std::string& key, const std::string& identity, const std::string& lookaside) {
    ProcessOutput r =
        Hull({"container", "sign", d_ + "/layout", "--key", key, "--identity", identity, "--format",
              "openpgp", "--lookaside", d_ + "/" + lookaside, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  // gpg's fingerprint of the one key in `file`.
  std::string GpgFingerprint(const std::string& file) {
    const std::string colons = Sh("gpg --batch --show-keys --with-colons " + file);
    const size_t at = colons.find("\nfpr:");
    if (at == std::string::npos) return "no fpr line in: " + colons;
    const size_t start = colons.find_first_not_of(':', at + 5);
    return colons.substr(start, colons.find(':', start) - start);
  }

  std::optional<TempDir> dir_;
  std::string d_;
  std::vector<std::string> env_;
};

TEST_F(ContainerOpenPgp, GpgSkopeoAndThePolicyAcceptTheHullSignatureOnly) {
  Sh("cd " + d_ +
     " && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out c.key 2>/dev/null"
     " && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.key"
     " 2>/dev/null && softhsm2-util --import c.key --token ctr --label c --id 01 --pin 1234"
     " >/dev/null");
  const std::string token_key = "pkcs11:token=ctr;object=c;type=private";
  for (auto [key, out] : {std::pair{d_ + "/c.key", "c.gpg"},
                          {token_key, "token.gpg"},
                          {d_ + "/other.key", "other.gpg"}}) {
    ProcessOutput r = Hull({"container", "export-key", "--key", key, "--out", d_ + "/" + out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ProcessOutput armored =
      Hull({"container", "export-key", "--key", d_ + "/c.key", "--armor", "--out", d_ + "/c.asc"});
  ASSERT_EQ(armored.exit_code, 0) << armored.err;
  // The key: gpg reads it whole (its self-signature checked on import), the
  // armor is the binary export, and the token's key is the same bytes.
  const std::string fpr = GpgFingerprint(d_ + "/c.gpg");
  ASSERT_EQ(fpr.size(), 40u) << fpr;
  EXPECT_EQ(GpgFingerprint(d_ + "/c.asc"), fpr);
  EXPECT_EQ(Sh("gpg --batch --dearmor < " + d_ + "/c.asc | cmp - " + d_ + "/c.gpg && echo same"),
            "same\n");
  EXPECT_EQ(*ReadFileBytes(d_ + "/token.gpg"), *ReadFileBytes(d_ + "/c.gpg"));
  EXPECT_THAT(Sh("gpg --batch --import " + d_ + "/c.gpg 2>&1 && gpg --batch --check-sigs " + fpr),
              HasSubstr("sig!3"));

  const std::string repo = "127.0.0.1:" + std::to_string(test_support::FreePort()) + "/hull/static";
  const std::string identity = repo + ":latest";
  const std::string digest =
      json::parse(Sh("skopeo inspect oci:" + d_ + "/layout:static"))["Digest"];
  json s = Sign(d_ + "/c.key", identity, "look");
  EXPECT_EQ(s["fingerprint"], fpr);
  EXPECT_EQ(s["digest"], digest);
  const std::string sig =
      d_ + "/look/hull/static@sha256=" + digest.substr(7) + "/signature-1";  // c/image's path
  EXPECT_EQ(s["signature"], sig);
  json t = Sign(token_key, identity, "look-token");
  EXPECT_EQ(*ReadFileBytes(t["signature"].get<std::string>()), *ReadFileBytes(sig));
  Sign(d_ + "/other.key", identity, "look-other");

  // gpg verifies the signed message and gives back the payload.
  EXPECT_THAT(Sh("gpg --batch --status-fd 1 --verify " + sig + " 2>/dev/null"),
              HasSubstr("[GNUPG:] VALIDSIG " + fpr));
  json payload = json::parse(Sh("gpg --batch -d " + sig + " 2>/dev/null"), nullptr, false);
  EXPECT_EQ(payload["critical"]["identity"]["docker-reference"], identity);
  EXPECT_EQ(payload["critical"]["image"]["docker-manifest-digest"], digest);
  EXPECT_EQ(payload["critical"]["type"], "atomic container signature");
  EXPECT_EQ(payload["optional"]["timestamp"], 1764028800);
  // skopeo's own check of the signature against the manifest.
  Sh("skopeo inspect --raw oci:" + d_ + "/layout:static > " + d_ + "/manifest.json");
  EXPECT_THAT(
      Sh("skopeo standalone-verify " + d_ + "/manifest.json " + identity + " " + fpr + " " + sig),
      HasSubstr("Signature verified, digest " + digest));

  // A tampered signature: the identity inside the literal data altered.
  fs::copy(d_ + "/look", d_ + "/look-tampered", fs::copy_options::recursive);
  const std::string tampered = d_ + "/look-tampered/" + fs::relative(sig, d_ + "/look").string();
  ASSERT_OK_AND_ASSIGN(Bytes b, ReadFileBytes(tampered));
  const std::string text(b.begin(), b.end());
  ASSERT_NE(text.find(":latest"), std::string::npos);
  b[text.find(":latest") + 1] ^= 0x01;  // "latest" -> "matest"
  ASSERT_OK(WriteFileAtomic(tampered, b));
  fs::create_directories(d_ + "/look-empty");

  // containers/image's policy check, pulling from the registry.
  const std::string host = repo.substr(0, repo.find('/'));
  ASSERT_OK(WriteFileAtomic(d_ + "/registry.yml",
                            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + d_ +
                                "/registry\nhttp:\n  addr: " + host + "\n"));
  const std::string pid = Sh("docker-registry serve " + d_ + "/registry.yml > " + d_ +
                             "/registry.log 2>&1 & echo $! | tr -d '\\n'");
  Sh("for i in $(seq 50); do curl -sf http://" + host +
     "/v2/ >/dev/null && exit 0; sleep 0.2; done; exit 1");
  Sh("skopeo copy -q --dest-tls-verify=false oci:" + d_ + "/layout:static docker://" + identity);
  auto pull = [&](const std::string& lookaside, const std::string& key) {
    fs::create_directories(d_ + "/rd-" + lookaside);
    EXPECT_OK(WriteFileAtomic(
        d_ + "/rd-" + lookaside + "/local.yaml",
        "docker:\n  " + host + ":\n    lookaside: file://" + d_ + "/" + lookaside + "\n"));
    const std::string policy = d_ + "/policy.json";
    EXPECT_OK(WriteFileAtomic(
        policy,
        json{
            {"default", {{{"type", "reject"}}}},
            {"transports",
             {{"docker",
               {{host,
                 {{{"type", "signedBy"}, {"keyType", "GPGKeys"}, {"keyPath", d_ + "/" + key}}}}}}}}}
            .dump()));
    fs::remove_all(d_ + "/pulled");
    // No GNUPGHOME: containers/image reads keyPath alone.
    return Sh("env -u GNUPGHOME skopeo --policy " + policy + " --registries.d " + d_ + "/rd-" +
              lookaside + " copy -q --remove-signatures --src-tls-verify=false docker://" +
              identity + " oci:" + d_ + "/pulled:x 2>&1; echo exit=$?");
  };
  EXPECT_THAT(pull("look", "c.gpg"), HasSubstr("exit=0"));
  EXPECT_THAT(pull("look", "c.asc"), HasSubstr("exit=0"));
  const std::string unsigned_ = pull("look-empty", "c.gpg");
  EXPECT_THAT(unsigned_, HasSubstr("no signature exists"));
  EXPECT_THAT(unsigned_, Not(HasSubstr("exit=0")));
  const std::string bad = pull("look-tampered", "c.gpg");
  EXPECT_THAT(bad, HasSubstr("Invalid GPG signature"));
  EXPECT_THAT(bad, Not(HasSubstr("exit=0")));
  const std::string other = pull("look-other", "c.gpg");
  EXPECT_THAT(other, HasSubstr("Invalid GPG signature"));
  EXPECT_THAT(other, Not(HasSubstr("exit=0")));
  // And the other key's policy refuses Hull's key's signature.
  EXPECT_THAT(pull("look", "other.gpg"), Not(HasSubstr("exit=0")));
  Sh("kill " + pid);
}

// An Ed25519 key (GnuPG's EdDSA): the same checks short of the registry.
TEST_F(ContainerOpenPgp, AnEd25519KeySignsWhatGpgAndSkopeoVerify) {
  Sh("cd " + d_ + " && openssl genpkey -algorithm ED25519 -out e.key");
  // A user ID of 300 bytes: its packet takes the two-byte length form.
  const std::string uid = "Hull " + std::string(295, 'x');
  ProcessOutput r = Hull({"container", "export-key", "--key", d_ + "/e.key", "--out", d_ + "/e.gpg",
                          "--user-id", uid});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string fpr = GpgFingerprint(d_ + "/e.gpg");
  EXPECT_THAT(Sh("gpg --batch --show-keys --with-colons " + d_ + "/e.gpg"),
              HasSubstr(":" + uid + ":"));
  EXPECT_THAT(Sh("gpg --batch --import " + d_ + "/e.gpg 2>&1 && gpg --batch --check-sigs " + fpr),
              HasSubstr("sig!3"));
  const std::string identity = "registry.example.com/hull/static:v1";
  json s = Sign(d_ + "/e.key", identity, "look");
  EXPECT_EQ(s["fingerprint"], fpr);
  EXPECT_EQ(s["algorithm"], "openpgp-eddsa-sha256");
  const std::string sig = s["signature"];
  EXPECT_THAT(Sh("gpg --batch --status-fd 1 --verify " + sig + " 2>/dev/null"),
              HasSubstr("[GNUPG:] VALIDSIG " + fpr));
  Sh("skopeo inspect --raw oci:" + d_ + "/layout:static > " + d_ + "/manifest.json");
  EXPECT_THAT(
      Sh("skopeo standalone-verify " + d_ + "/manifest.json " + identity + " " + fpr + " " + sig),
      HasSubstr("Signature verified"));
}

// The key kept offline (docs/keys.md): the stop writes the item openssl
// signs, the injecting run writes the same signature bytes as --key, and
// one at another SOURCE_DATE_EPOCH (the signed time) is refused.
TEST_F(ContainerOpenPgp, SignedOfflineWithOpensslIsTheSameSignature) {
  Sh("cd " + d_ +
     " && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out c.key 2>/dev/null"
     " && openssl pkey -in c.key -pubout -out c.pub");
  const std::string id = "registry.example.com/hull/static:latest";
  const std::string sig = Sign(d_ + "/c.key", id, "look")["signature"];
  auto offline = [&](const std::string& flag, const std::string& epoch) {
    return RunAllowFailure(
        Command{.argv = {std::getenv("HULL_BIN"), "container", "sign", d_ + "/layout", "--public",
                         d_ + "/c.pub", "--identity", id, "--format", "openpgp", "--lookaside",
                         d_ + "/look-offline", flag, d_ + "/tosign"},
                .env = {"SOURCE_DATE_EPOCH=" + epoch}});
  };
  ASSERT_OK_AND_ASSIGN(auto stop, offline("--sign-offline", "1764028800"));
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_FALSE(fs::exists(d_ + "/look-offline"));
  json m = json::parse(*ReadFileText(d_ + "/tosign/manifest.json"), nullptr, false);
  ASSERT_EQ(m["items"].size(), 1u) << m.dump();
  EXPECT_EQ(m["items"][0]["kind"], "openpgp-signature");
  const std::string item = d_ + "/tosign/" + m["items"][0]["name"].get<std::string>();
  Sh("openssl dgst -sha256 -sign " + d_ + "/c.key -out " + item + ".sig " + item + ".bin");
  ASSERT_OK_AND_ASSIGN(auto later, offline("--inject-signatures", "1764028801"));
  EXPECT_NE(later.exit_code, 0);
  EXPECT_THAT(later.err, HasSubstr("OpenPGP signature at 1764028800"));
  EXPECT_FALSE(fs::exists(d_ + "/look-offline"));
  ASSERT_OK_AND_ASSIGN(auto inject, offline("--inject-signatures", "1764028800"));
  ASSERT_EQ(inject.exit_code, 0) << inject.err;
  const std::string injected = d_ + "/look-offline/" + fs::relative(sig, d_ + "/look").string();
  EXPECT_EQ(*ReadFileBytes(injected), *ReadFileBytes(sig));
}

TEST_F(ContainerOpenPgp, BadInputIsOneLineAndWritesNothing) {
  Sh("cd " + d_ + " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key");
  const std::string id = "registry.example.com/hull/static:latest";
  auto sign = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"container",  "sign", d_ + "/layout", "--key", d_ + "/ec.key",
                                  "--identity", id};
    a.insert(a.end(), extra.begin(), extra.end());
    return Hull(a);
  };
  ProcessOutput ec = sign({"--format", "openpgp", "--lookaside", d_ + "/look"});
  EXPECT_NE(ec.exit_code, 0);
  EXPECT_THAT(ec.err, HasSubstr("needs an RSA or Ed25519 key"));
  ProcessOutput no_dir = sign({"--format", "openpgp"});
  EXPECT_NE(no_dir.exit_code, 0);
  EXPECT_THAT(no_dir.err, HasSubstr("give --lookaside DIR"));
  ProcessOutput fmt = sign({"--format", "gpg"});
  EXPECT_NE(fmt.exit_code, 0);
  EXPECT_THAT(fmt.err, HasSubstr("unknown signature format 'gpg'"));
  ProcessOutput stray = sign({"--lookaside", d_ + "/look"});
  EXPECT_NE(stray.exit_code, 0);
  EXPECT_THAT(stray.err, HasSubstr("--lookaside is for --format openpgp"));
  ProcessOutput ex = Hull({"container", "export-key", "--key", d_ + "/ec.key", "--out", d_ + "/k"});
  EXPECT_NE(ex.exit_code, 0);
  EXPECT_THAT(ex.err, HasSubstr("needs an RSA or Ed25519 key"));
  EXPECT_FALSE(fs::exists(d_ + "/look"));
  EXPECT_FALSE(fs::exists(d_ + "/k"));
}

}  // namespace
}  // namespace hull

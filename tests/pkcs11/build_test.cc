// hull build with the db and verity keys in a SoftHSM token (DIR/db.key and
// DIR/verity.key holding PKCS#11 URIs) gives the image the same keys give as
// files, byte for byte (RSA PKCS#1 v1.5 is deterministic); a wrong PIN is one
// line naming the URI, exit 1, and no --out. Offline signing (--sign-offline,
// then hull sign-offline with the token's keys or openssl(1) with the key
// files, then --inject-signatures) gives the same image again, which
// sbverify and openssl cms accept; a missing or wrong signature, or a
// directory recorded for another image, is one line and no --out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/small_image_spec.h"
#include "support/softhsm.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(TokenBuild, ImageIsByteIdenticalToTheKeyFilesAndWrongPinLeavesNoOutput) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("pkcs11-build"));
  const std::string d = tmp.path();
  const std::string hull = std::getenv("HULL_BIN");
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> env, test_support::MakeSoftHsmToken(d, "img"));
  env.push_back("SOURCE_DATE_EPOCH=1764892800");
  auto run = [&](std::vector<std::string> argv, std::vector<std::string> extra = {}) {
    std::vector<std::string> e = env;
    e.insert(e.end(), extra.begin(), extra.end());
    return RunAllowFailure(
        Command{.argv = std::move(argv), .env = e, .timeout = std::chrono::minutes(8)});
  };
  ASSERT_OK(WriteFileAtomic(d + "/spec.yaml",
                            test_support::SmallImageSpec("HullToken", "202612.05.0", "raw")));
  fs::create_directories(d + "/tk");
  ASSERT_OK_AND_ASSIGN(auto init, run({hull, "keys", "init", d + "/fk"}));
  ASSERT_EQ(init.exit_code, 0) << init.err;
  for (auto [name, id] : {std::pair{"db", "01"}, {"verity", "02"}}) {
    const std::string n = name;
    ASSERT_OK_AND_ASSIGN(
        auto imp, run({"softhsm2-util", "--import", d + "/fk/" + n + ".key", "--token", "img",
                       "--label", n, "--id", id, "--pin", "1234"}));
    ASSERT_EQ(imp.exit_code, 0) << imp.err;
    ASSERT_OK(WriteFileAtomic(d + "/tk/" + n + ".key",
                              "pkcs11:token=img;object=" + n + ";type=private\n", 0600));
    fs::copy_file(d + "/fk/" + n + ".crt", d + "/tk/" + n + ".crt");
  }
  auto build = [&](const std::string& keys, const std::string& out,
                   std::vector<std::string> extra = {}) {
    return run({hull, "build", d + "/spec.yaml", "--keys", d + "/" + keys, "--cache", d + "/cache",
                "--init", HULL_INIT_BIN, "--out", d + "/" + out},
               extra);
  };
  ASSERT_OK_AND_ASSIGN(auto a, build("fk", "a"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_OK_AND_ASSIGN(auto b, build("tk", "b"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  int compared = 0;
  for (const auto& e : fs::directory_iterator(d + "/a")) {
    const std::string name = e.path().filename().string();
    if (name == "manifest.json") continue;  // records cache hits and stage times
    ASSERT_OK_AND_ASSIGN(Bytes x, ReadFileBytes(d + "/a/" + name));
    ASSERT_OK_AND_ASSIGN(Bytes y, ReadFileBytes(d + "/b/" + name));
    EXPECT_TRUE(x == y) << name;
    ++compared;
  }
  EXPECT_GE(compared, 2);  // the raw disk and the UKI at least

  // Offline: the key directory holds certificates only.
  fs::create_directories(d + "/certs");
  for (const char* crt : {"db.crt", "verity.crt"}) {
    fs::copy_file(d + "/fk/" + crt, d + "/certs/" + crt);
  }
  auto record =
      run({hull, "build", d + "/spec.yaml", "--keys", d + "/certs", "--cache", d + "/cache",
           "--init", HULL_INIT_BIN, "--out", d + "/r", "--sign-offline", d + "/so"});
  ASSERT_OK(record);
  ASSERT_EQ(record->exit_code, 0) << record->err;
  EXPECT_THAT(record->out, HasSubstr("hull sign-offline"));
  EXPECT_FALSE(fs::exists(d + "/r"));
  ASSERT_OK_AND_ASSIGN(std::string manifest, ReadFileText(d + "/so/manifest.json"));
  for (const char* item : {"usr-verity.bin", "uki.bin", "systemd-boot.bin"}) {
    EXPECT_THAT(manifest, HasSubstr(item));
  }
  EXPECT_THAT(manifest, HasSubstr(R"("subject": "image HullToken 202612.05.0, usr products/)"));
  for (const char* copy : {"so-openssl", "so-missing", "so-wrong", "so-other"}) {
    fs::copy(d + "/so", d + "/" + copy, fs::copy_options::recursive);
  }
  // hull sign-offline: db from the token (a bare URI: the items whose key it
  // is), verity from its file (by role).
  ASSERT_OK_AND_ASSIGN(auto sig, run({hull, "sign-offline", d + "/so", "--key",
                                      "pkcs11:token=img;object=db;type=private", "--key",
                                      "verity=" + d + "/fk/verity.key"}));
  ASSERT_EQ(sig.exit_code, 0) << sig.err;
  EXPECT_THAT(sig.out, HasSubstr("signed uki"));
  EXPECT_THAT(sig.out, ::testing::Not(HasSubstr("not signed yet")));
  // openssl(1), as docs/keys.md writes it.
  ASSERT_OK_AND_ASSIGN(
      auto ossl, run({"sh", "-ec",
                      "cd " + d +
                          "/so-openssl && for i in uki systemd-boot; do openssl dgst -sha256 -sign "
                          "../fk/db.key -out $i.sig $i.bin; done && openssl dgst -sha256 -sign "
                          "../fk/verity.key "
                          "-out usr-verity.sig usr-verity.bin"}));
  ASSERT_EQ(ossl.exit_code, 0) << ossl.err;
  auto inject = [&](const std::string& dir, const std::string& out) {
    return run({hull, "--quiet", "build", d + "/spec.yaml", "--keys", d + "/certs", "--cache",
                d + "/cache", "--init", HULL_INIT_BIN, "--out", d + "/" + out,
                "--inject-signatures", d + "/" + dir});
  };
  for (auto [dir, out] : {std::pair{"so", "e"}, {"so-openssl", "f"}}) {
    ASSERT_OK_AND_ASSIGN(auto r, inject(dir, out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& e : fs::directory_iterator(d + "/a")) {
      const std::string name = e.path().filename().string();
      if (name == "manifest.json") continue;
      ASSERT_OK_AND_ASSIGN(Bytes x, ReadFileBytes(d + "/a/" + name));
      ASSERT_OK_AND_ASSIGN(Bytes y, ReadFileBytes(d + "/" + out + "/" + name));
      EXPECT_TRUE(x == y) << out << "/" << name;
    }
  }
  // The oracles on the image the openssl-signed directory finished: sbverify
  // on the UKI; openssl cms on the root-hash PKCS#7 of the usr-verity-sig
  // partition (DPS type e7bb33fb-…, JSON {"rootHash", "signature": base64}).
  ASSERT_OK_AND_ASSIGN(
      auto oracle,
      run({"sh", "-ec",
           "cd " + d +
               "/f && for e in *.efi; do sbverify --cert ../fk/db.crt $e; done\n"
               "raw=$(ls *.raw) && sfdisk -J $raw > ../pt.json\n"
               "python3 - $raw ../pt.json > ../sigpart <<'EOF'\n"
               "import json, sys\n"
               "t = json.load(open(sys.argv[2]))['partitiontable']\n"
               "p = [p for p in t['partitions'] if p['type'].lower() == "
               "'e7bb33fb-06cf-4e81-8273-e543b413e2e2'][0]\n"
               "f = open(sys.argv[1], 'rb'); f.seek(p['start'] * 512)\n"
               "j = json.loads(f.read(p['size'] * 512).rstrip(b'\\0'))\n"
               "print(j['rootHash'], j['signature'])\n"
               "EOF\n"
               "read rh b64 < ../sigpart && printf %s $rh > ../roothash && "
               "printf %s $b64 | base64 -d > ../roothash.p7s\n"
               "openssl cms -verify -binary -inform DER -in ../roothash.p7s -content ../roothash "
               "-certfile ../fk/verity.crt -nointern -noverify -purpose any > /dev/null"}));
  EXPECT_EQ(oracle.exit_code, 0) << oracle.out << oracle.err;

  // A directory recorded for another image: refused before anything long.
  ASSERT_OK_AND_ASSIGN(std::string other, ReadFileText(d + "/so/manifest.json"));
  other.replace(other.find("usr products/"), 13, "usr products/0");
  ASSERT_OK(WriteFileAtomic(d + "/so-other/manifest.json", other));
  // Refused: a missing signature, a signature by another key.
  ASSERT_OK(WriteFileAtomic(d + "/so-wrong/usr-verity.sig", std::string(256, 'x')));
  for (auto [dir, out, says, code] :
       {std::tuple{"so-missing", "m", "usr-verity.sig' is missing", 2},
        {"so-wrong", "w", "does not verify against the 'verity' key", 1},
        {"so-other", "o", "was made for image HullToken 202612.05.0, usr products/0", 1}}) {
    ASSERT_OK_AND_ASSIGN(auto r, inject(dir, out));
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(says));
    EXPECT_FALSE(fs::exists(d + "/" + out));
  }

  // The state between the stop and the injection is the cached usr image:
  // without it (another cache, or none) the injecting run refuses.
  for (auto [cache, says, code] :
       {std::tuple{std::vector<std::string>{"--cache", d + "/empty-cache"},
                   "is no longer in the cache", 2},
        {std::vector<std::string>{"--no-cache"}, "need the cache", 2}}) {
    std::vector<std::string> argv = {
        hull,          "--quiet", "build",  d + "/spec.yaml",      "--keys", d + "/certs", "--init",
        HULL_INIT_BIN, "--out",   d + "/n", "--inject-signatures", d + "/so"};
    argv.insert(argv.end(), cache.begin(), cache.end());
    ASSERT_OK_AND_ASSIGN(auto r, run(argv));
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(says));
    EXPECT_FALSE(fs::exists(d + "/n"));
  }

  ASSERT_OK_AND_ASSIGN(auto c, build("tk", "c", {"HULL_PKCS11_PIN=0000"}));
  EXPECT_EQ(c.exit_code, 1) << c.err;
  EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << c.err;
  EXPECT_THAT(c.err, HasSubstr("pkcs11:object=db;token=img;type=private"));
  EXPECT_THAT(c.err, HasSubstr("wrong PIN"));
  EXPECT_FALSE(fs::exists(d + "/c"));
}

}  // namespace
}  // namespace hull

// hull sysext build end to end, judged by reference tools: systemd-dissect
// reads the image (partitions, signed verity, extension-release, SELinux
// labels), veritysetup verifies the root partition against its root-verity
// partition and the root hash, openssl checks the root-hash signature with the
// verity certificate. A small package (hello) keeps the composes short; the
// base is a small spec with the default SELinux policy.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/flip_byte.h"
#include "support/image_checks.h"
#include "support/status_matchers.h"

namespace hull {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kEpoch[] = "SOURCE_DATE_EPOCH=1764028800";
constexpr char kBase[] = "name: SysextBase\npackages: [selinux-policy-default]\n";
constexpr char kSpec[] = R"(name: hello
version: 2.10-3
compatibility: {id: hull, sysext_level: "12"}
packages: [hello]
files: [extra]
)";
constexpr char kImage[] = "hello_2.10-3_amd64";

Result<ProcessOutput> Sh(const std::string& script) {
  return RunAllowFailure(
      Command{.argv = {"sh", "-ec", script}, .env = {kEpoch}, .timeout = std::chrono::minutes(15)});
}

class SysextOracle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto t = TempDir::Create("hull-sysext-oracle");
    ASSERT_OK(t);
    dir_ = new std::string(t->Release());
    const std::string& d = *dir_;
    ASSERT_OK(WriteFileAtomic(d + "/base.yaml", std::string(kBase)));
    ASSERT_OK(WriteFileAtomic(d + "/hello.yaml", std::string(kSpec)));
    fs::create_directories(d + "/extra/usr/share/hello-extra");
    ASSERT_OK(WriteFileAtomic(d + "/extra/usr/share/hello-extra/README", std::string("extra\n")));
    auto k = Sh(fmt::format("{} keys init {}/keys", std::getenv("HULL_BIN"), d));
    ASSERT_OK(k);
    ASSERT_EQ(k->exit_code, 0) << k->err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static Result<ProcessOutput> Build(const std::string& spec, const std::string& out) {
    return Sh(
        fmt::format("{} sysext build {}/{} --keys {}/keys --base {}/base.yaml --cache "
                    "{}/cache --out {}/{}",
                    std::getenv("HULL_BIN"), *dir_, spec, *dir_, *dir_, *dir_, *dir_, out));
  }
  static std::string* dir_;
};
std::string* SysextOracle::dir_ = nullptr;

TEST_F(SysextOracle, FileOutsideUsrIsRefusedAtBuild) {
  const std::string& d = *dir_;
  fs::create_directories(d + "/bad/etc");
  ASSERT_OK(WriteFileAtomic(d + "/bad/etc/hello.conf", std::string("x\n")));
  ASSERT_OK(WriteFileAtomic(d + "/bad.yaml",
                            std::string("name: bad\nversion: '1'\ncompatibility: {id: hull, "
                                        "sysext_level: '12'}\nfiles: [bad]\n")));
  ASSERT_OK_AND_ASSIGN(auto r, Build("bad.yaml", "bad-out"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("/etc/hello.conf outside /usr"));
  EXPECT_THAT(r.err, HasSubstr("bad"));
  EXPECT_FALSE(fs::exists(d + "/bad-out/bad_1_amd64.raw"));
}

TEST_F(SysextOracle, ReproducibleImageThatSystemdAndVeritysetupAccept) {
  const std::string& d = *dir_;
  ASSERT_OK_AND_ASSIGN(auto a, Build("hello.yaml", "out-a"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_OK_AND_ASSIGN(auto b, Build("hello.yaml", "out-b"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string img = fmt::format("{}/out-a/{}.raw", d, kImage);
  for (const char* ext : {".raw", ".spdx.json", ".json"}) {
    ASSERT_OK_AND_ASSIGN(auto cmp, Sh(fmt::format("cmp {}/out-a/{}{} {}/out-b/{}{}", d, kImage, ext,
                                                  d, kImage, ext)));
    EXPECT_EQ(cmp.exit_code, 0) << ext << ": " << cmp.out;
  }
  ASSERT_OK_AND_ASSIGN(auto mtext, ReadFileText(fmt::format("{}/out-a/{}.json", d, kImage)));
  auto manifest = nlohmann::json::parse(mtext);
  const std::string root_hash = manifest["root_hash"];
  EXPECT_EQ(manifest["packages"], nlohmann::json::array({"hello"}));

  // systemd-dissect: root (erofs), root-verity and root-verity-sig, the
  // first two named by the halves of the root hash (Discoverable Partitions
  // Specification; the pairing by UUID is what shows it recognised the
  // verity). Root, not usr: the file system carries usr/ itself, so that the
  // node mounts it as a directory extension (docs/sysext.md). Looked at under its extension
  // name, as systemd-sysext would, so the Ext. Rel. metadata is read too.
  ASSERT_OK_AND_ASSIGN(auto dis,
                       Sh(fmt::format("cp {} {}/hello.raw && systemd-dissect --json=short "
                                      "{}/hello.raw",
                                      img, d, d)));
  ASSERT_EQ(dis.exit_code, 0) << dis.err;
  auto j = nlohmann::json::parse(dis.out);
  std::map<std::string, nlohmann::json> by;
  for (const auto& m : j["mounts"]) by[m["designator"]] = m;
  ASSERT_EQ(by.size(), 3u) << dis.out;
  EXPECT_EQ(by["root"]["fstype"], "erofs");
  EXPECT_EQ(by["root"]["partition_uuid"], test_support::UuidOfHex(root_hash.substr(0, 32)));
  EXPECT_EQ(by["root-verity"]["fstype"], "DM_verity_hash");
  EXPECT_EQ(by["root-verity"]["partition_uuid"], test_support::UuidOfHex(root_hash.substr(32, 32)));
  EXPECT_EQ(by["root-verity-sig"]["fstype"], "verity_hash_signature");
  for (const auto& [name, m] : by) EXPECT_EQ(m["rw"], "ro") << name;
  EXPECT_EQ(j["useSystemExtension"], true) << dis.out;
  EXPECT_EQ(j["extensionRelease"],
            nlohmann::json::array({"ID=hull", "SYSEXT_LEVEL=12", "ARCHITECTURE=x86-64",
                                   "SYSEXT_ID=hello", "SYSEXT_VERSION_ID=2.10-3"}));

  // veritysetup on the root and root-verity partitions (cut out with sfdisk's
  // offsets) with the manifest's root hash; then one flipped byte fails.
  const std::string cut = fmt::format(
      "img={0}; cd {1}; sfdisk --json $img > table.json; "
      "part() {{ jq -r \".partitiontable.partitions[$1] | \\\"\\(.start) \\(.size)\\\"\" "
      "table.json; }}; "
      "set -- $(part 0); dd if=$img of=root.img bs=512 skip=$1 count=$2 status=none; "
      "set -- $(part 1); dd if=$img of=verity.img bs=512 skip=$1 count=$2 status=none; "
      "set -- $(part 2); dd if=$img of=sig.img bs=512 skip=$1 count=$2 status=none; ",
      img, d);
  ASSERT_OK_AND_ASSIGN(auto v, Sh(cut + "veritysetup verify root.img verity.img " + root_hash));
  EXPECT_EQ(v.exit_code, 0) << v.err;

  // The extension-release file, the package's binary and its SELinux label
  // (refpolicy labels /usr/bin as bin_t, /usr/share as usr_t), on the root
  // partition mounted read-only without verity (systemd-dissect --mount
  // would map it with device-mapper): usr/ is at the file system's top, and
  // nothing else is.
  ASSERT_OK_AND_ASSIGN(
      auto mnt,
      Sh(fmt::format("cd {0}; m={0}/mnt; mkdir -p $m; mount -t erofs -o ro,loop root.img $m; "
                     "trap 'umount $m' EXIT; "
                     "cat $m/usr/lib/extension-release.d/extension-release.hello; "
                     "label() {{ python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "
                     "\"security.selinux\").rstrip(b\"\\0\").decode())' $1; }}; "
                     "label $m/usr/bin/hello; label $m/usr/share/hello-extra/README; "
                     "test -x $m/usr/bin/hello && echo hello-present; "
                     "test ! -e $m/usr/bin/sh && echo no-base-files; "
                     "echo top: $(ls -A $m)",
                     d)));
  EXPECT_EQ(mnt.exit_code, 0) << mnt.err;
  EXPECT_THAT(mnt.out, HasSubstr("ID=hull\nSYSEXT_LEVEL=12\nARCHITECTURE=x86-64\n"));
  EXPECT_THAT(mnt.out, HasSubstr("system_u:object_r:bin_t:s0\n"));
  EXPECT_THAT(mnt.out, HasSubstr("system_u:object_r:usr_t:s0\n"));
  EXPECT_THAT(mnt.out, HasSubstr("hello-present\nno-base-files\ntop: usr\n"));
  ASSERT_OK_AND_ASSIGN(
      auto sig,
      Sh(fmt::format("cd {}; tr -d '\\000' < sig.img > sig.json; "
                     "jq -r .rootHash sig.json | tr -d '\\n' > rh.txt; "
                     "jq -r .signature sig.json | base64 -d > sig.der; cat rh.txt; echo; "
                     "openssl cms -verify -binary -inform DER -in sig.der -content rh.txt "
                     "-certfile keys/verity.crt -nointern -noverify > /dev/null",
                     d)));
  EXPECT_EQ(sig.exit_code, 0) << sig.err;
  EXPECT_EQ(sig.out, root_hash + "\n");
  ASSERT_OK(test_support::FlipByte(d + "/root.img", 8192));
  ASSERT_OK_AND_ASSIGN(
      auto t, Sh(fmt::format("cd {}; veritysetup verify root.img verity.img {}", d, root_hash)));
  EXPECT_NE(t.exit_code, 0);

  // The SBOM is SPDX 2.3 and lists the added package only.
  const std::string sbom_path = fmt::format("{}/out-a/{}.spdx.json", d, kImage);
  test_support::ExpectValidSpdx23(sbom_path, d);
  ASSERT_OK_AND_ASSIGN(auto stext, ReadFileText(sbom_path));
  auto sbom = nlohmann::json::parse(stext);
  std::vector<std::string> names;
  for (const auto& p : sbom["packages"]) names.push_back(p["name"]);
  EXPECT_THAT(names, ::testing::Contains("hello"));
  EXPECT_THAT(names, ::testing::Not(::testing::Contains("libc6")));
}

}  // namespace
}  // namespace hull

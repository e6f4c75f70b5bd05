// End-to-end oracle test of `hull build` on a small spec (a kernel and little
// else): three builds with one SOURCE_DATE_EPOCH and a shared cache (cold;
// warm from the usr product cache; from the cached tree only) must give
// byte-identical disks, and independent tools must accept what was built:
// hull inspect (verdict good), sbverify (UKI, systemd-boot), veritysetup
// verify (usr + verity partitions cut out with dd at sfdisk --json offsets),
// qemu-img check (qcow2), systemd-dissect (ESP, root, /usr with its verity
// and signature partitions), and the SBOM against the vendored SPDX 2.3 JSON
// schema (python3-jsonschema). A spec typo, missing keys, a package the
// mirror lacks, an unreachable mirror and a full output file system are clear
// errors that leave nothing in --out.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/image_checks.h"
#include "support/small_image_spec.h"
#include "support/status_matchers.h"

namespace hull {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kEpoch[] = "SOURCE_DATE_EPOCH=1764028800";

// The image every test here builds: raw and qcow2 outputs.
std::string Spec() { return test_support::SmallImageSpec("HullE2E", "202611.25.0", "raw, qcow2"); }

std::string Bin() { return std::getenv("HULL_BIN"); }

Result<ProcessOutput> Sh(const std::string& script) {
  return hull::Run(
      Command{.argv = {"sh", "-ec", script}, .env = {kEpoch}, .timeout = std::chrono::minutes(8)});
}

Result<ProcessOutput> Hull(std::vector<std::string> args) {
  args.insert(args.begin(), Bin());
  return RunAllowFailure(
      Command{.argv = args, .env = {kEpoch}, .timeout = std::chrono::minutes(8)});
}

class BuildE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto t = TempDir::Create("hull-build-e2e");
    ASSERT_OK(t);
    dir_ = new std::string(t->Release());
    ASSERT_OK(WriteFileAtomic(*dir_ + "/spec.yaml", Spec()));
    auto k = Hull({"keys", "init", *dir_ + "/keys"});
    ASSERT_OK(k);
    ASSERT_EQ(k->exit_code, 0) << k->err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::vector<std::string> BuildArgs(const std::string& out) {
    return {"build",   *dir_ + "/spec.yaml", "--keys", *dir_ + "/keys",
            "--cache", *dir_ + "/cache",     "--init", HULL_INIT_BIN,
            "--out",   *dir_ + "/" + out,    "--json"};
  }
  static std::string* dir_;
};
std::string* BuildE2e::dir_ = nullptr;

TEST_F(BuildE2e, SpecTypoIsAClearErrorAndNoOutput) {
  ASSERT_OK(WriteFileAtomic(*dir_ + "/typo.yaml", std::string("name: X\npackges: [a]\n")));
  auto r = Hull(
      {"build", *dir_ + "/typo.yaml", "--keys", *dir_ + "/keys", "--out", *dir_ + "/typo-out"});
  ASSERT_OK(r);
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_THAT(r->err, HasSubstr("typo.yaml:2:1"));
  EXPECT_THAT(r->err, HasSubstr("packges"));
  EXPECT_FALSE(fs::exists(*dir_ + "/typo-out"));
}

TEST_F(BuildE2e, MissingKeysRefusedAndNoOutput) {
  auto r = Hull(
      {"build", *dir_ + "/spec.yaml", "--init", HULL_INIT_BIN, "--out", *dir_ + "/nokeys-out"});
  ASSERT_OK(r);
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_THAT(r->err, HasSubstr("no signing keys: pass --keys DIR"));
  EXPECT_FALSE(fs::exists(*dir_ + "/nokeys-out"));
  auto m = Hull({"build", *dir_ + "/spec.yaml", "--keys", *dir_ + "/nowhere", "--init",
                 HULL_INIT_BIN, "--out", *dir_ + "/nokeys-out"});
  ASSERT_OK(m);
  EXPECT_EQ(m->exit_code, 2);
  EXPECT_THAT(m->err, HasSubstr("nowhere/db.key' is missing"));
  EXPECT_FALSE(fs::exists(*dir_ + "/nokeys-out"));
  for (const auto& e : fs::directory_iterator(*dir_)) {
    EXPECT_EQ(e.path().filename().string().find("hull-build"), std::string::npos) << e.path();
  }
}

// Nothing of a failed build is left next to --out: no output, no work dir.
void ExpectNoBuildLeftIn(const std::string& dir, const std::string& out) {
  EXPECT_FALSE(fs::exists(dir + "/" + out));
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_EQ(e.path().filename().string().find(out + ".hull-build"), std::string::npos)
        << e.path();
  }
}

TEST_F(BuildE2e, UnknownPackageAndUnreachableMirrorAreClearErrors) {
  const std::string d = *dir_;
  std::string spec = Spec();
  spec.replace(spec.find("[linux-image-cloud-amd64]"), 25, "[no-such-package-hull-e2e]");
  ASSERT_OK(WriteFileAtomic(d + "/nopkg.yaml", spec));
  auto r = Hull({"build", d + "/nopkg.yaml", "--keys", d + "/keys", "--init", HULL_INIT_BIN,
                 "--cache", d + "/nopkg-cache", "--out", d + "/nopkg-out"});
  ASSERT_OK(r);
  EXPECT_NE(r->exit_code, 0);
  EXPECT_THAT(r->err, HasSubstr("no package no-such-package-hull-e2e in bookworm (main) of "
                                "http://deb.debian.org/debian: fix the spec's packages list"));
  ExpectNoBuildLeftIn(d, "nopkg-out");
  for (const auto& e : fs::directory_iterator(d + "/nopkg-cache/trees")) {
    ADD_FAILURE() << "a failed compose left " << e.path();
  }

  std::string spec2 = Spec();
  const std::string variant = "  variant: essential";
  spec2.replace(spec2.find(variant), variant.size(),
                variant + "\n  mirror: http://127.0.0.1:9/debian");
  ASSERT_OK(WriteFileAtomic(d + "/nomirror.yaml", spec2));
  auto m = Hull({"build", d + "/nomirror.yaml", "--keys", d + "/keys", "--init", HULL_INIT_BIN,
                 "--cache", d + "/nopkg-cache", "--out", d + "/nomirror-out"});
  ASSERT_OK(m);
  EXPECT_NE(m->exit_code, 0);
  EXPECT_THAT(m->err, HasSubstr("fetching http://127.0.0.1:9/debian/dists/bookworm/InRelease"));
  EXPECT_THAT(m->err, HasSubstr("check the spec's distribution.mirror"));
  ExpectNoBuildLeftIn(d, "nomirror-out");
}

TEST_F(BuildE2e, TwoBuildsAgreeAndOraclesAccept) {
  auto a = Hull(BuildArgs("a"));
  ASSERT_OK(a);
  ASSERT_EQ(a->exit_code, 0) << a->err;
  auto b = Hull(BuildArgs("b"));
  ASSERT_OK(b);
  ASSERT_EQ(b->exit_code, 0) << b->err;
  // c: the composed tree cached, the usr products not (moved away): extract,
  // shape and pack again.
  const std::string d = *dir_;
  fs::rename(d + "/cache/products", d + "/products-a");
  auto c = Hull(BuildArgs("c"));
  ASSERT_OK(c);
  ASSERT_EQ(c->exit_code, 0) << c->err;
  auto ma = nlohmann::json::parse(a->out), mb = nlohmann::json::parse(b->out),
       mc = nlohmann::json::parse(c->out);
  EXPECT_FALSE(ma["compose_cache_hit"].get<bool>());
  EXPECT_FALSE(ma["products_cache_hit"].get<bool>());
  // b is warm: neither mmdebstrap, tar, shape nor mkfs.erofs ran.
  EXPECT_TRUE(mb["compose_cache_hit"].get<bool>());
  EXPECT_TRUE(mb["products_cache_hit"].get<bool>());
  EXPECT_TRUE(mc["compose_cache_hit"].get<bool>());
  EXPECT_FALSE(mc["products_cache_hit"].get<bool>());
  // Cold, warm and compose-cached builds give the same bytes.
  EXPECT_EQ(ma["outputs"], mc["outputs"]);
  const std::string raw = "HullE2E_202611.25.0.raw", qcow = "HullE2E_202611.25.0.qcow2";
  const std::string uki = "hull_202611.25.0+3.efi";
  EXPECT_EQ(ma["outputs"], mb["outputs"]);
  ASSERT_OK(Sh("cmp " + d + "/a/" + raw + " " + d + "/b/" + raw));
  ASSERT_OK(Sh("cmp " + d + "/a/" + raw + " " + d + "/c/" + raw));
  ASSERT_OK(Sh("cmp " + d + "/a/" + uki + " " + d + "/b/" + uki));
  auto sum = Sh("sha256sum " + d + "/a/" + raw);
  ASSERT_OK(sum);
  EXPECT_EQ(sum->out.substr(0, 64), ma["outputs"][raw]["sha256"]);

  auto insp = Hull({"inspect", d + "/a/" + raw, "--verity-cert", d + "/keys/verity.crt",
                    "--db-cert", d + "/keys/db.crt", "--json"});
  ASSERT_OK(insp);
  EXPECT_EQ(insp->exit_code, 0) << insp->out << insp->err;
  EXPECT_EQ(nlohmann::json::parse(insp->out)["verdict"], "good");

  // Partitions cut out at sfdisk's offsets: 1 ESP, 2 usr, 3 usr-verity.
  auto table = Sh("sfdisk --json " + d + "/a/" + raw);
  ASSERT_OK(table);
  auto parts = nlohmann::json::parse(table->out)["partitiontable"]["partitions"];
  ASSERT_EQ(parts.size(), 8u);
  const char* names[] = {"esp.img", "usr.img", "verity.img"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(Sh(fmt::format("dd if={}/a/{} of={}/a/{} bs=512 skip={} count={} status=none", d, raw,
                             d, names[i], parts[i]["start"].get<uint64_t>(),
                             parts[i]["size"].get<uint64_t>())));
  }
  const std::string root = ma["usr"]["root_hash"];
  auto v = Sh("veritysetup verify " + d + "/a/usr.img " + d + "/a/verity.img " + root);
  EXPECT_OK(v);
  auto sb = Sh("cd " + d +
               "/a; mcopy -n -i esp.img ::/EFI/BOOT/BOOTX64.EFI boot.efi; "
               "mcopy -n -i esp.img ::/EFI/Linux/" +
               uki + " esp-uki.efi; cmp esp-uki.efi " + uki +
               "; sbverify --cert ../keys/db.crt boot.efi; sbverify --cert ../keys/db.crt " + uki +
               "; mtype -i esp.img ::/loader/loader.conf");
  ASSERT_OK(sb);
  EXPECT_THAT(sb->out, HasSubstr("timeout 0"));
  // hull.roottemplate= on the signed UKI's command line (objcopy) is the
  // SHA-256 of the root partition (8) cut out at sfdisk's offsets, and of the
  // root template partition of an install medium made from the image.
  auto tmpl = Sh(fmt::format(
      "cd {0}/a; objcopy -O binary --only-section=.cmdline {1} cmdline.txt; "
      "dd if={2} bs=512 skip={3} count={4} status=none | sha256sum | cut -c1-64; "
      "{5} disk iso {2} --out medium.iso >/dev/null; "
      "sfdisk --dump medium.iso | sed -n 's/.*start= *\\([0-9]*\\), size= *\\([0-9]*\\),.*"
      "name=\"hull-root-image\".*/\\1 \\2/p' >tmpl.txt; "
      "dd if=medium.iso bs=512 skip=$(cut -d' ' -f1 tmpl.txt) count=$(cut -d' ' -f2 tmpl.txt) "
      "status=none | sha256sum | cut -c1-64; rm medium.iso",
      d, uki, raw, parts[7]["start"].get<uint64_t>(), parts[7]["size"].get<uint64_t>(), Bin()));
  ASSERT_OK(tmpl);
  const std::string root_sum = tmpl->out.substr(0, 64);
  EXPECT_EQ(tmpl->out, root_sum + "\n" + root_sum + "\n") << "the medium's template differs";
  auto cmdline = ReadFileText(d + "/a/cmdline.txt");
  ASSERT_OK(cmdline);
  EXPECT_THAT(*cmdline, HasSubstr("usrhash=" + root + " hull.roottemplate=" + root_sum + " "));
  auto q = Sh("qemu-img check " + d + "/a/" + qcow);
  EXPECT_OK(q);

  auto sbom_text = ReadFileText(d + "/a/HullE2E_202611.25.0.spdx.json");
  ASSERT_OK(sbom_text);
  auto sbom = nlohmann::json::parse(*sbom_text);
  EXPECT_EQ(sbom["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(sbom["dataLicense"], "CC0-1.0");
  EXPECT_EQ(sbom["SPDXID"], "SPDXRef-DOCUMENT");
  EXPECT_FALSE(sbom["documentNamespace"].get<std::string>().empty());
  EXPECT_FALSE(sbom["creationInfo"]["created"].get<std::string>().empty());
  ASSERT_GT(sbom["packages"].size(), 10u);
  for (const auto& p : sbom["packages"]) {
    EXPECT_TRUE(p.contains("SPDXID") && p.contains("name") && p.contains("downloadLocation"))
        << p.dump();
  }
  test_support::ExpectValidSpdx23(d + "/a/HullE2E_202611.25.0.spdx.json", d);
  test_support::ExpectDissectSeesDpsImage(d + "/a/" + raw, root, "202611.25.0");
}

// Without a cache the build composes straight into its work dir, and still
// gives the cached builds' bytes: the same disk and an SBOM with every .deb's
// checksum (the .debs are kept in the work dir until the SBOM is written).
TEST_F(BuildE2e, NoCacheBuildGivesTheSameBytes) {
  auto args = BuildArgs("nc");
  auto cache = std::find(args.begin(), args.end(), "--cache");
  ASSERT_NE(cache, args.end());
  *cache = "--no-cache";
  args.erase(cache + 1);
  auto r = Hull(args);
  ASSERT_OK(r);
  ASSERT_EQ(r->exit_code, 0) << r->err;
  const std::string d = *dir_;
  const std::string raw = "HullE2E_202611.25.0.raw", sbom = "HullE2E_202611.25.0.spdx.json";
  ASSERT_TRUE(fs::exists(d + "/a/" + raw)) << "needs TwoBuildsAgreeAndOraclesAccept's build a";
  EXPECT_OK(Sh("cmp " + d + "/a/" + raw + " " + d + "/nc/" + raw));
  EXPECT_OK(Sh("cmp " + d + "/a/" + sbom + " " + d + "/nc/" + sbom));
  auto text = ReadFileText(d + "/nc/" + sbom);
  ASSERT_OK(text);
  const auto spdx = nlohmann::json::parse(*text);
  size_t with_checksum = 0, debs = 0;
  for (const auto& p : spdx["packages"]) {
    if (p["SPDXID"] == "SPDXRef-OperatingSystem") continue;  // the image itself
    ++debs;
    if (p.contains("checksums")) ++with_checksum;
  }
  EXPECT_GT(debs, 10u);
  EXPECT_EQ(with_checksum, debs);
}

// After the builds above (the tree is cached): --out on a 64 MiB tmpfs. The
// build fails with the file system's ENOSPC named, and the tmpfs is left empty.
TEST_F(BuildE2e, FullOutputFileSystemFailsCleanly) {
  const std::string small = *dir_ + "/small";
  fs::create_directories(small);
  auto mnt = Sh("mount -t tmpfs -o size=64m hull-e2e-full " + small);
  if (!mnt.ok()) GTEST_SKIP() << "cannot mount a tmpfs here: " << mnt.error().ToString();
  auto r = Hull(BuildArgs("small/out"));
  auto listing = Sh("ls -A " + small);
  ASSERT_OK(Sh("umount " + small));
  ASSERT_OK(r);
  EXPECT_NE(r->exit_code, 0) << r->err;
  EXPECT_THAT(r->err, HasSubstr("No space left on device"));
  ASSERT_OK(listing);
  EXPECT_EQ(listing->out, "");  // no output, no work dir
}

}  // namespace
}  // namespace hull

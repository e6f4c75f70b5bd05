// hull customize on a small built image: a base checked against certificates
// that did not sign it is refused (exit 1, one line, no --out); the result
// passes hull inspect with the customizer's certificates (verdict good) and
// sbverify; the added file is in the new /usr (fsck.erofs --extract) and the
// extra argument in the UKI's command line; a run as an unprivileged user
// (setpriv to nobody) gives the same bytes as the first run, and so does a
// run signed offline (--sign-offline, hull sign-offline, --inject-signatures);
// a misspelt field and a module the image lacks are one line each (with -q:
// no progress lines), exit 2 and no --out; the new UKI names the root
// partition's SHA-256 (hull.roottemplate=, sha256sum of the partition cut
// out with dd), and a base whose root was changed is refused (exit 1). The
// trust set under each trust.mode: a release signed by the base's keys (the
// base's UKI and image) verifies against the result's trust set with keep
// and add, not with replace (the default), and one signed by the
// customizer's keys with replace and add; the keep run reads the base as a
// qcow2 and writes a VHD, which the add run reads (Hull's own VHD, its size
// exact) and writes as qcow2. The build records its spec (the base's /usr
// and manifest hold the text given, sha256sum of it). --from-release: the
// base published with hull release, customized through TUF into a payload
// (the disk run's root hash and UKI bytes), veritysetup verify and sbverify
// of it, published with hull release add into a second repository that
// hull update check reads; an unknown version, another repository's root, a
// tampered target and a disk format refused, one line each, no --out.
// --rebuild with one package added: in the result's SBOM, recorded spec
// and /usr (the spec's file there too, from the base's copy: the host's is
// removed first), with a hostname too (the rebuilt image customized), hull inspect good, a second
// run byte-identical; os.packages without --rebuild and removing a package the spec lacks refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "base/file.h"
#include "base/subprocess.h"
#include "crypto/file_digest.h"
#include "support/flip_byte.h"
#include "support/small_image_spec.h"
#include "support/status_matchers.h"

namespace hull {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const char kConfig[] = R"(os:
  hostname: node-one
  additionalFiles:
    - source: ca.pem
      destination: /etc/ssl/certs/site-ca.pem
    - content: "net.ipv4.tcp_keepalive_time = 120\n"
      destination: /etc/sysctl.d/90-site.conf
  users:
    - name: ops
      sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0ffee ops@site"]
  kernelCommandLine:
    extraCommandLine: [hull.site=1]
update:
  repository: https://updates.example.com/hull
  trusted_root: root.json
)";

TEST(CustomizeE2e, ResealedImageVerifiesIsReproducibleUnprivilegedAndBadInputLeavesNothing) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("customize-e2e"));
  const std::string d = tmp.path();
  ::chmod(d.c_str(), 0755);
  const std::string hull = std::getenv("HULL_BIN");
  auto run = [&](std::vector<std::string> argv) {
    return RunAllowFailure(Command{.argv = std::move(argv),
                                   .env = {"SOURCE_DATE_EPOCH=1764892800"},
                                   .timeout = std::chrono::minutes(8)});
  };
  ASSERT_OK(WriteFileAtomic(d + "/spec.yaml",
                            test_support::SmallImageSpec("HullCustom", "202612.05.0", "raw") +
                                "files:\n  - {source: motd, dest: /etc/hull-motd}\n"));
  // The spec's file: --rebuild takes it from the base's /usr, not from here.
  ASSERT_OK(WriteFileAtomic(d + "/motd", std::string("built with a file\n")));
  ASSERT_OK(WriteFileAtomic(d + "/site.yaml", std::string(kConfig)));
  ASSERT_OK(WriteFileAtomic(d + "/ca.pem", std::string("site ca\n")));
  ASSERT_OK(WriteFileAtomic(d + "/root.json", std::string("{}\n")));
  for (const char* k : {"base-keys", "keys"}) {
    ASSERT_OK_AND_ASSIGN(auto init, run({hull, "keys", "init", d + "/" + k}));
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }
  ASSERT_OK_AND_ASSIGN(auto b,
                       run({hull, "build", d + "/spec.yaml", "--keys", d + "/base-keys", "--cache",
                            d + "/cache", "--init", HULL_INIT_BIN, "--out", d + "/base"}));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string image = d + "/base/HullCustom_202612.05.0.raw";
  // A base checked against certificates that did not sign it: refused before
  // anything else is read, one line, exit 1, no --out.
  ASSERT_OK_AND_ASSIGN(
      auto wrong, run({hull, "-q", "customize", image, "--config", d + "/site.yaml", "--base-keys",
                       d + "/keys", "--keys", d + "/keys", "--out", d + "/wrong"}));
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_THAT(wrong.err, HasSubstr("checked against --base-keys " + d + "/keys"));
  EXPECT_EQ(std::count(wrong.err.begin(), wrong.err.end(), '\n'), 1) << wrong.err;
  EXPECT_FALSE(fs::exists(d + "/wrong"));

  ASSERT_OK_AND_ASSIGN(
      auto c1, run({hull, "customize", image, "--config", d + "/site.yaml", "--base-keys",
                    d + "/base-keys", "--keys", d + "/keys", "--out", d + "/c1", "--json"}));
  ASSERT_EQ(c1.exit_code, 0) << c1.err;
  auto manifest = nlohmann::json::parse(c1.out);
  const std::string disk = d + "/c1/hullcustom_202612.05.0.raw";
  EXPECT_EQ(manifest["base"]["version"], "202612.05.0");
  ASSERT_OK_AND_ASSIGN(std::string base_sha, crypto::FileSha256Hex(image));
  EXPECT_EQ(manifest["base"]["sha256"], base_sha);
  EXPECT_THAT(manifest["uki"]["cmdline"].get<std::string>(), HasSubstr(" hull.site=1"));
  EXPECT_GE(manifest["changes"].size(), 5u);

  ASSERT_OK_AND_ASSIGN(auto insp, run({hull, "inspect", disk, "--verity-cert",
                                       d + "/keys/verity.crt", "--db-cert", d + "/keys/db.crt"}));
  EXPECT_EQ(insp.exit_code, 0) << insp.out << insp.err;
  EXPECT_THAT(insp.out, HasSubstr("verdict: good"));
  ASSERT_OK_AND_ASSIGN(auto old_key,
                       run({hull, "inspect", disk, "--db-cert", d + "/base-keys/db.crt"}));
  EXPECT_NE(old_key.exit_code, 0) << "the base's db key no longer signs the boot chain";
  ASSERT_OK_AND_ASSIGN(
      auto sbv, run({"sbverify", "--cert", d + "/keys/db.crt", d + "/c1/hull_202612.05.0+3.efi"}));
  EXPECT_EQ(sbv.exit_code, 0) << sbv.err;

  // The new /usr, cut out with dd at sfdisk's offsets and extracted.
  auto extract_usr = [&](const std::string& raw, const std::string& into) {
    return run({"sh", "-ec",
                "start=$(sfdisk --json \"$1\" | python3 -c 'import json,sys; "
                "print([p for p in json.load(sys.stdin)[\"partitiontable\"][\"partitions\"] "
                "if p.get(\"name\",\"\").startswith(\"usr_\") and "
                "p[\"name\"].count(\"_\")==1][0][\"start\"])'); "
                "dd if=\"$1\" of=\"$2.img\" bs=512 skip=$start count=204800 status=none; "
                "fsck.erofs --extract=\"$2\" \"$2.img\" >/dev/null",
                "sh", raw, into});
  };
  ASSERT_OK_AND_ASSIGN(auto cut, extract_usr(disk, d + "/usr"));
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  ASSERT_OK_AND_ASSIGN(std::string ca, ReadFileText(d + "/usr/etc/ssl/certs/site-ca.pem"));
  EXPECT_EQ(ca, "site ca\n");
  ASSERT_OK_AND_ASSIGN(std::string host, ReadFileText(d + "/usr/etc/hostname"));
  EXPECT_EQ(host, "node-one\n");
  EXPECT_TRUE(fs::is_symlink(d + "/usr/etc/systemd/system/timers.target.wants/hull-update.timer"));
  ASSERT_OK_AND_ASSIGN(std::string upd, ReadFileText(d + "/usr/lib/hull/update.json"));
  EXPECT_THAT(upd, HasSubstr("https://updates.example.com/hull"));
  // The spec the base was built from, as given: recorded by the build in
  // its /usr and its manifest, and kept in the customized /usr.
  ASSERT_OK_AND_ASSIGN(std::string spec_text, ReadFileText(d + "/spec.yaml"));
  ASSERT_OK_AND_ASSIGN(std::string spec_record, ReadFileText(d + "/usr/lib/hull/spec.yaml"));
  EXPECT_EQ(spec_record, spec_text);
  ASSERT_OK_AND_ASSIGN(std::string base_manifest_text, ReadFileText(d + "/base/manifest.json"));
  auto base_manifest = nlohmann::json::parse(base_manifest_text);
  EXPECT_EQ(base_manifest["spec"]["file"], "/usr/lib/hull/spec.yaml");
  EXPECT_EQ(base_manifest["spec"]["text"], spec_text);
  ASSERT_OK_AND_ASSIGN(auto spec_sum, run({"sha256sum", d + "/spec.yaml"}));
  EXPECT_EQ(base_manifest["spec"]["sha256"], spec_sum.out.substr(0, 64));

  // --rebuild: the recorded spec plus one package, built again with KEYS at
  // the base's version and build time. The result lists the package in its
  // SBOM and its recorded spec, passes hull inspect, and a second run gives
  // the same disk bytes (its compose and usr image come from the cache the
  // first filled; the rest is made again). Without --rebuild os.packages is
  // refused naming it; a package removed that the spec lacks is one line.
  const auto rebuild_start = std::chrono::steady_clock::now();
  fs::remove(d + "/motd");
  ASSERT_OK(
      WriteFileAtomic(d + "/pkg.yaml", std::string("os:\n  packages:\n    install: [less]\n")));
  auto rebuild = [&](const std::string& config, const std::string& out) {
    return run({hull, "-q", "customize", image, "--rebuild", "--config", config, "--base-keys",
                d + "/base-keys", "--keys", d + "/keys", "--cache", d + "/cache", "--init",
                HULL_INIT_BIN, "--out", out, "--json"});
  };
  ASSERT_OK_AND_ASSIGN(auto r1, rebuild(d + "/pkg.yaml", d + "/r1"));
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  auto rm = nlohmann::json::parse(r1.out);
  EXPECT_EQ(rm["version"], "202612.05.0");
  EXPECT_EQ(rm["source_date_epoch"], base_manifest["source_date_epoch"]);
  EXPECT_EQ(rm["rebuild"]["base"]["sha256"], base_sha);
  EXPECT_EQ(rm["rebuild"]["install"], nlohmann::json::array({"less"}));
  const std::string new_spec = rm["spec"]["text"].get<std::string>();
  EXPECT_THAT(new_spec, StartsWith("# hull customize --rebuild: +less\n"));
  EXPECT_THAT(new_spec, HasSubstr("- less\n"));
  const std::string rebuilt = d + "/r1/HullCustom_202612.05.0.raw";
  ASSERT_OK_AND_ASSIGN(std::string sbom_text,
                       ReadFileText(d + "/r1/HullCustom_202612.05.0.spdx.json"));
  auto sbom = nlohmann::json::parse(sbom_text);
  size_t less = 0;
  for (const auto& p : sbom["packages"]) less += p.value("name", "") == "less";
  EXPECT_EQ(less, 1u) << "the rebuilt image's SBOM lists less";
  ASSERT_OK_AND_ASSIGN(auto rinsp, run({hull, "inspect", rebuilt, "--verity-cert",
                                        d + "/keys/verity.crt", "--db-cert", d + "/keys/db.crt"}));
  EXPECT_EQ(rinsp.exit_code, 0) << rinsp.out << rinsp.err;
  EXPECT_THAT(rinsp.out, HasSubstr("verdict: good"));
  ASSERT_OK_AND_ASSIGN(auto rcut, extract_usr(rebuilt, d + "/r1usr"));
  ASSERT_EQ(rcut.exit_code, 0) << rcut.err;
  EXPECT_TRUE(fs::is_regular_file(d + "/r1usr/bin/less"));
  ASSERT_OK_AND_ASSIGN(std::string motd, ReadFileText(d + "/r1usr/etc/hull-motd"));
  EXPECT_EQ(motd, "built with a file\n") << "the spec's file, from the base's copy";
  ASSERT_OK_AND_ASSIGN(auto r2, rebuild(d + "/pkg.yaml", d + "/r2"));
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  ASSERT_OK_AND_ASSIGN(std::string r1_sha, crypto::FileSha256Hex(rebuilt));
  ASSERT_OK_AND_ASSIGN(std::string r2_sha,
                       crypto::FileSha256Hex(d + "/r2/HullCustom_202612.05.0.raw"));
  EXPECT_EQ(r1_sha, r2_sha) << "same base, configuration and keys: same bytes";
  EXPECT_NE(r1_sha, base_sha);
  // Packages and a hostname: the rebuilt image customized (the build's
  // compose and usr image cached by now, so this is the customization's time).
  ASSERT_OK(WriteFileAtomic(
      d + "/pkg-host.yaml",
      std::string("os:\n  hostname: rebuilt-one\n  packages:\n    install: [less]\n")));
  ASSERT_OK_AND_ASSIGN(auto r3, rebuild(d + "/pkg-host.yaml", d + "/r3"));
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  auto m3 = nlohmann::json::parse(r3.out);
  EXPECT_EQ(m3["rebuild"]["install"], nlohmann::json::array({"less"}));
  EXPECT_EQ(m3["base"]["sha256"], r1_sha) << "the customization's base is the rebuilt image";
  const std::string r3_disk = d + "/r3/hullcustom_202612.05.0.raw";
  ASSERT_OK_AND_ASSIGN(auto insp3, run({hull, "inspect", r3_disk, "--verity-cert",
                                        d + "/keys/verity.crt", "--db-cert", d + "/keys/db.crt"}));
  EXPECT_THAT(insp3.out, HasSubstr("verdict: good")) << insp3.err;
  ASSERT_OK_AND_ASSIGN(auto cut3, extract_usr(r3_disk, d + "/r3usr"));
  ASSERT_EQ(cut3.exit_code, 0) << cut3.err;
  EXPECT_TRUE(fs::is_regular_file(d + "/r3usr/bin/less"));
  ASSERT_OK_AND_ASSIGN(std::string host3, ReadFileText(d + "/r3usr/etc/hostname"));
  EXPECT_EQ(host3, "rebuilt-one\n");
  ASSERT_OK(WriteFileAtomic(d + "/rm.yaml", std::string("os:\n  packages:\n    remove: [vim]\n")));
  for (auto [argv, code, want] :
       {std::tuple{std::vector<std::string>{hull, "-q", "customize", image, "--config",
                                            d + "/pkg.yaml", "--base-keys", d + "/base-keys",
                                            "--keys", d + "/keys", "--out", d + "/bad-rb"},
                   1, "os.packages cannot be honoured on a sealed image"},
        {std::vector<std::string>{hull, "-q", "customize", image, "--rebuild", "--config",
                                  d + "/rm.yaml", "--base-keys", d + "/base-keys", "--keys",
                                  d + "/keys", "--cache", d + "/cache", "--out", d + "/bad-rb"},
         2, "rm.yaml:3:14: os.packages.remove[0]: package 'vim' is not in the image's spec"}}) {
    ASSERT_OK_AND_ASSIGN(auto bad, run(argv));
    EXPECT_EQ(bad.exit_code, code) << bad.err;
    EXPECT_THAT(bad.err, HasSubstr(want));
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
    EXPECT_FALSE(fs::exists(d + "/bad-rb"));
  }
  std::cout
      << "[ rebuild part: "
      << std::chrono::duration<double>(std::chrono::steady_clock::now() - rebuild_start).count()
      << " s ]" << std::endl;

  // The trust set in the new /usr (trust.mode, default replace): how many of
  // its db certificates verify a release's UKI (sbverify) and of its verity
  // certificates the release image's root hash signature (hull inspect).
  auto trusted = [&](const std::string& usr, const std::string& uki, const std::string& img) {
    auto r = run({"sh", "-ec",
                  "n=0; for c in \"$1\"/lib/hull/trust/db/*.crt; do sbverify --cert \"$c\" "
                  "\"$2\" >/dev/null 2>&1 && n=$((n+1)); done; m=0; for c in "
                  "\"$1\"/lib/hull/trust/verity/*.crt; do \"$4\" inspect \"$3\" --verity-cert "
                  "\"$c\" >/dev/null 2>&1 && m=$((m+1)); done; echo \"db:$n verity:$m\"",
                  "sh", usr, uki, img, hull});
    return r.ok() ? r->out : r.error().message();
  };
  const std::string base_uki = d + "/base/hull_202612.05.0+3.efi";
  const std::string c1_uki = d + "/c1/hull_202612.05.0+3.efi";
  EXPECT_EQ(trusted(d + "/usr", base_uki, image), "db:0 verity:0\n") << "replace";
  EXPECT_EQ(trusted(d + "/usr", c1_uki, disk), "db:1 verity:1\n") << "replace";

  // trust.mode keep, from the base as qcow2 to a VHD (Hull's writer);
  // then add, on that VHD (signed by KEYS: --base-keys KEYS), to a qcow2.
  // Each result read back through qemu-img, whose output is the raw disk.
  ASSERT_OK(hull::Run(Command{
      .argv = {"qemu-img", "convert", "-f", "raw", "-O", "qcow2", image, d + "/base.qcow2"}}));
  ASSERT_OK(WriteFileAtomic(d + "/keep.yaml", std::string(kConfig) +
                                                  "trust:\n  mode: keep\noutput:\n  image:\n"
                                                  "    format: vhd\n"));
  ASSERT_OK(WriteFileAtomic(d + "/add.yaml", std::string(kConfig) +
                                                 "trust:\n  mode: add\noutput:\n  image:\n"
                                                 "    format: qcow2\n"));
  ASSERT_OK_AND_ASSIGN(auto keep, run({hull, "-q", "customize", d + "/base.qcow2", "--config",
                                       d + "/keep.yaml", "--base-keys", d + "/base-keys", "--keys",
                                       d + "/keys", "--out", d + "/keep", "--json"}));
  ASSERT_EQ(keep.exit_code, 0) << keep.err;
  EXPECT_EQ(nlohmann::json::parse(keep.out)["base"]["format"], "qcow2");
  const std::string keep_vhd = d + "/keep/hullcustom_202612.05.0.vhd";
  ASSERT_OK_AND_ASSIGN(
      auto add, run({hull, "-q", "customize", keep_vhd, "--config", d + "/add.yaml", "--base-keys",
                     d + "/keys", "--keys", d + "/keys", "--out", d + "/add", "--json"}));
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(nlohmann::json::parse(add.out)["base"]["format"], "vhd");
  ASSERT_OK(hull::Run(
      Command{.argv = {"qemu-img", "convert", "--image-opts",
                       "driver=vpc,force_size_calc=current_size,file.filename=" + keep_vhd, "-O",
                       "raw", d + "/keep.raw"}}));
  ASSERT_OK(hull::Run(Command{.argv = {"qemu-img", "convert", "-f", "qcow2", "-O", "raw",
                                       d + "/add/hullcustom_202612.05.0.qcow2", d + "/add.raw"}}));
  for (const char* m : {"keep", "add"}) {
    ASSERT_OK_AND_ASSIGN(auto x, extract_usr(d + "/" + m + ".raw", d + "/usr-" + m));
    ASSERT_EQ(x.exit_code, 0) << m << x.err;
  }
  EXPECT_EQ(fs::file_size(keep_vhd), fs::file_size(d + "/keep.raw") + 512);
  EXPECT_EQ(trusted(d + "/usr-keep", base_uki, image), "db:1 verity:1\n") << "keep";
  EXPECT_EQ(trusted(d + "/usr-keep", c1_uki, disk), "db:0 verity:0\n") << "keep";
  EXPECT_EQ(trusted(d + "/usr-add", base_uki, image), "db:1 verity:1\n") << "add";
  EXPECT_EQ(trusted(d + "/usr-add", c1_uki, disk), "db:1 verity:1\n") << "add";

  // The root is the base's, so the new UKI's hull.roottemplate= is the
  // SHA-256 of either image's root partition, cut out at sfdisk's offsets.
  const std::string root_sum =
      "sum() { f=$1; set -- $(sfdisk --dump \"$1\" | sed -n 's/.*start= *\\([0-9]*\\), "
      "size= *\\([0-9]*\\),.*name=\"root\".*/\\1 \\2/p') && "
      "dd if=\"$f\" bs=512 skip=$1 count=$2 status=none | sha256sum | cut -c1-64; }; ";
  ASSERT_OK_AND_ASSIGN(auto sums,
                       run({"sh", "-ec", root_sum + "sum \"$1\"; sum \"$2\"", "sh", image, disk}));
  ASSERT_EQ(sums.exit_code, 0) << sums.err;
  ASSERT_EQ(sums.out.size(), 130u) << sums.out;
  EXPECT_EQ(sums.out.substr(0, 64), sums.out.substr(65, 64));
  EXPECT_THAT(manifest["uki"]["cmdline"].get<std::string>(),
              HasSubstr(" hull.roottemplate=" + sums.out.substr(0, 64) + " "));

  // Again, as nobody: the same bytes.
  fs::create_directories(d + "/nobody");
  ::chmod((d + "/nobody").c_str(), 0777);
  fs::copy(d + "/keys", d + "/nobody/keys");  // the keys are 0600: nobody needs its own copy
  for (const auto& e : fs::directory_iterator(d + "/nobody/keys"))
    ASSERT_EQ(::chown(e.path().c_str(), 65534, 65534), 0);
  ASSERT_OK_AND_ASSIGN(
      auto c2, run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", hull,
                    "customize", image, "--config", d + "/site.yaml", "--base-keys",
                    d + "/base-keys", "--keys", d + "/nobody/keys", "--out", d + "/nobody/c2"}));
  ASSERT_EQ(c2.exit_code, 0) << c2.err;
  for (const char* f : {"hullcustom_202612.05.0.raw", "hull_202612.05.0+3.efi", "manifest.json",
                        "hullcustom_202612.05.0.spdx.json"}) {
    ASSERT_OK_AND_ASSIGN(Bytes x, ReadFileBytes(d + "/c1/" + f));
    ASSERT_OK_AND_ASSIGN(Bytes y, ReadFileBytes(d + "/nobody/c2/" + f));
    EXPECT_TRUE(x == y) << f << " differs between the two runs";
  }

  // Offline: recorded with the certificates alone, signed by hull
  // sign-offline with the key files, injected: the same bytes as the key run.
  fs::create_directories(d + "/certs");
  for (const char* f : {"db.crt", "verity.crt"}) fs::copy(d + "/keys/" + f, d + "/certs/" + f);
  const std::vector<std::string> offline = {
      hull,          "customize",      image,    "--config",   d + "/site.yaml",
      "--base-keys", d + "/base-keys", "--keys", d + "/certs", "--out",
      d + "/c3"};
  auto with = [](std::vector<std::string> argv, std::vector<std::string> more) {
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  };
  ASSERT_OK_AND_ASSIGN(auto rec, run(with(offline, {"--sign-offline", d + "/so"})));
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  EXPECT_TRUE(fs::exists(d + "/so/manifest.json"));
  EXPECT_FALSE(fs::exists(d + "/c3")) << "recording writes no outputs";
  // Bound to the base image: a copy claiming another base is refused.
  ASSERT_OK_AND_ASSIGN(std::string so_manifest, ReadFileText(d + "/so/manifest.json"));
  const std::string base_subject = "customize of base image sha256 ";
  const size_t at = so_manifest.find(base_subject);
  ASSERT_NE(at, std::string::npos) << so_manifest;
  ASSERT_OK_AND_ASSIGN(
      auto so, run({hull, "sign-offline", d + "/so", "--key", "db=" + d + "/keys/db.key", "--key",
                    "verity=" + d + "/keys/verity.key"}));
  ASSERT_EQ(so.exit_code, 0) << so.err;
  fs::copy(d + "/so", d + "/so-other", fs::copy_options::recursive);
  so_manifest[at + base_subject.size()] = so_manifest[at + base_subject.size()] == '0' ? '1' : '0';
  ASSERT_OK(WriteFileAtomic(d + "/so-other/manifest.json", so_manifest));
  std::vector<std::string> other = with(offline, {"--inject-signatures", d + "/so-other"});
  other[other.size() - 3] = d + "/c4";  // --out
  other.insert(other.begin() + 1, "-q");
  ASSERT_OK_AND_ASSIGN(auto other_base, run(other));
  EXPECT_EQ(other_base.exit_code, 1) << other_base.err;
  EXPECT_THAT(other_base.err, HasSubstr("was made for customize of base image sha256"));
  EXPECT_EQ(std::count(other_base.err.begin(), other_base.err.end(), '\n'), 1) << other_base.err;
  EXPECT_FALSE(fs::exists(d + "/c4"));
  ASSERT_OK_AND_ASSIGN(auto inj, run(with(offline, {"--inject-signatures", d + "/so"})));
  ASSERT_EQ(inj.exit_code, 0) << inj.err;
  for (const char* f : {"hullcustom_202612.05.0.raw", "hull_202612.05.0+3.efi", "manifest.json"}) {
    ASSERT_OK_AND_ASSIGN(Bytes x, ReadFileBytes(d + "/c1/" + f));
    ASSERT_OK_AND_ASSIGN(Bytes y, ReadFileBytes(d + "/c3/" + f));
    EXPECT_TRUE(x == y) << f << " differs between the key run and the offline run";
  }

  // Bad input: one line, exit 2, nothing in --out.
  ASSERT_OK(WriteFileAtomic(d + "/typo.yaml", std::string("os:\n  hostnme: x\n")));
  ASSERT_OK(WriteFileAtomic(d + "/module.yaml",
                            std::string("os:\n  modules:\n    - name: no_such_module\n")));
  for (auto [cfg, want] : {std::pair{"typo.yaml", "typo.yaml:2:3: unknown key 'hostnme'"},
                           {"module.yaml",
                            "module.yaml:3:7: os.modules[0]: the image's kernel "
                            "has no module 'no_such_module'"}}) {
    ASSERT_OK_AND_ASSIGN(
        auto bad, run({hull, "-q", "customize", image, "--config", d + "/" + cfg, "--base-keys",
                       d + "/base-keys", "--keys", d + "/keys", "--out", d + "/bad"}));
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_THAT(bad.err, HasSubstr(want));
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
    EXPECT_FALSE(fs::exists(d + "/bad"));
  }

  // A base whose root was changed after the build (one byte 1 MiB into the
  // root partition): refused, exit 1, one line, nothing in --out.
  ASSERT_OK_AND_ASSIGN(
      auto root_start,
      run({"sh", "-ec",
           "sfdisk --dump \"$1\" | sed -n 's/.*start= *\\([0-9]*\\),.*name=\"root\".*/\\1/p'", "sh",
           image}));
  ASSERT_EQ(root_start.exit_code, 0) << root_start.err;
  ASSERT_OK(hull::Run(Command{.argv = {"cp", "--sparse=always", image, d + "/tampered.raw"}}));
  ASSERT_OK(
      test_support::FlipByte(d + "/tampered.raw", std::stoull(root_start.out) * 512 + 1048576));
  ASSERT_OK_AND_ASSIGN(auto refused, run({hull, "-q", "customize", d + "/tampered.raw", "--config",
                                          d + "/site.yaml", "--base-keys", d + "/base-keys",
                                          "--keys", d + "/keys", "--out", d + "/tampered"}));
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("the root was changed after the build"));
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  EXPECT_FALSE(fs::exists(d + "/tampered"));
  // --from-release: the base published with hull release into a TUF
  // repository (a directory), customized from it through TUF; the payload
  // is published into a second repository and read back there (hull update
  // check's TUF client, hull release add's payload checks), its /usr against
  // its hash tree with veritysetup and its UKI against the customizer's db
  // certificate with sbverify. The same base and configuration as the disk
  // run give the same /usr and UKI bytes as that run.
  ASSERT_OK_AND_ASSIGN(auto ri,
                       run({hull, "-q", "release", "init", d + "/repo", "--keys", d + "/rkeys"}));
  ASSERT_EQ(ri.exit_code, 0) << ri.err;
  ASSERT_OK_AND_ASSIGN(auto ra, run({hull, "-q", "release", "add", d + "/repo", image, "--keys",
                                     d + "/rkeys", "--deltas", "0", "--no-chunks"}));
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  const std::vector<std::string> from = {hull,
                                         "-q",
                                         "customize",
                                         "--from-release",
                                         d + "/repo",
                                         "202612.05.0",
                                         "--trusted-root",
                                         d + "/repo/1.root.json",
                                         "--config",
                                         d + "/site.yaml",
                                         "--base-keys",
                                         d + "/base-keys",
                                         "--keys",
                                         d + "/keys"};
  ASSERT_OK_AND_ASSIGN(auto rel, run(with(from, {"--out", d + "/rel", "--json"})));
  ASSERT_EQ(rel.exit_code, 0) << rel.err;
  auto rel_manifest = nlohmann::json::parse(rel.out);
  EXPECT_EQ(rel_manifest["base"]["repository"], d + "/repo");
  EXPECT_EQ(rel_manifest["base"]["format"], "payload");
  EXPECT_EQ(rel_manifest["usr"]["root_hash"], manifest["usr"]["root_hash"]);
  for (auto [x, y] : {std::pair{"rel/uki.efi", "c1/hull_202612.05.0+3.efi"}}) {
    ASSERT_OK_AND_ASSIGN(Bytes a, ReadFileBytes(d + "/" + x));
    ASSERT_OK_AND_ASSIGN(Bytes b2, ReadFileBytes(d + "/" + y));
    EXPECT_TRUE(a == b2) << x << " differs from " << y;
  }
  const std::string rel_root = rel_manifest["usr"]["root_hash"];
  ASSERT_OK_AND_ASSIGN(auto vs, run({"veritysetup", "verify", d + "/rel/usr.erofs",
                                     d + "/rel/usr.verity", rel_root}));
  EXPECT_EQ(vs.exit_code, 0) << vs.err;
  ASSERT_OK_AND_ASSIGN(auto rel_sbv,
                       run({"sbverify", "--cert", d + "/keys/db.crt", d + "/rel/uki.efi"}));
  EXPECT_EQ(rel_sbv.exit_code, 0) << rel_sbv.err;
  ASSERT_OK_AND_ASSIGN(auto rel_usr,
                       run({"fsck.erofs", "--extract=" + d + "/rel-usr", d + "/rel/usr.erofs"}));
  ASSERT_EQ(rel_usr.exit_code, 0) << rel_usr.err;
  ASSERT_OK_AND_ASSIGN(std::string rel_ca, ReadFileText(d + "/rel-usr/etc/ssl/certs/site-ca.pem"));
  EXPECT_EQ(rel_ca, "site ca\n");
  ASSERT_OK_AND_ASSIGN(auto r2i,
                       run({hull, "-q", "release", "init", d + "/repo2", "--keys", d + "/rkeys2"}));
  ASSERT_EQ(r2i.exit_code, 0) << r2i.err;
  ASSERT_OK_AND_ASSIGN(auto r2a, run({hull, "-q", "release", "add", d + "/repo2", d + "/rel",
                                      "--keys", d + "/rkeys2", "--deltas", "0", "--no-chunks"}));
  ASSERT_EQ(r2a.exit_code, 0) << r2a.err;
  ASSERT_OK_AND_ASSIGN(auto chk,
                       run({hull, "update", "check", "--repo", d + "/repo2", "--trusted-root",
                            d + "/repo2/1.root.json", "--arch", "amd64", "--json"}));
  ASSERT_EQ(chk.exit_code, 0) << chk.err;
  EXPECT_EQ(nlohmann::json::parse(chk.out)["release"]["version"], "202612.05.0");
  // Refused, one line each, nothing in --out: a version the repository does
  // not have (exit 2), metadata checked against another repository's root
  // (exit 1), a target whose bytes are not the signed ones (exit 1), a
  // disk format for a payload (exit 1).
  fs::copy(d + "/repo", d + "/repo-t", fs::copy_options::recursive);
  for (const auto& e : fs::directory_iterator(d + "/repo-t/targets")) {
    if (e.path().string().ends_with(".usr.erofs")) {
      ASSERT_OK(test_support::FlipByte(e.path().string(), 4096));
    }
  }
  ASSERT_OK(WriteFileAtomic(
      d + "/vhd.yaml", std::string("os:\n  hostname: x\noutput:\n  image:\n    format: vhd\n")));
  struct Refusal {
    std::vector<std::string> argv;
    int code;
    std::string want;
  };
  std::vector<std::string> unknown = from, untrusted = from, tampered = from, vhd = from;
  unknown[5] = "202612.06.0";
  untrusted[7] = d + "/repo2/1.root.json";
  tampered[4] = d + "/repo-t";
  vhd[9] = d + "/vhd.yaml";
  for (const Refusal& r :
       {Refusal{unknown, 2, "no release 202612.06.0 with a complete slot payload"},
        Refusal{untrusted, 1, "release 202612.05.0 of " + d + "/repo: "},
        Refusal{tampered, 1, ".usr.erofs"},
        Refusal{vhd, 1,
                "vhd.yaml:5:13: output.image.format cannot be honoured with "
                "--from-release"}}) {
    ASSERT_OK_AND_ASSIGN(auto bad, run(with(r.argv, {"--out", d + "/bad-rel"})));
    EXPECT_EQ(bad.exit_code, r.code) << bad.err;
    EXPECT_THAT(bad.err, HasSubstr(r.want));
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
    EXPECT_FALSE(fs::exists(d + "/bad-rel"));
  }
}

}  // namespace
}  // namespace hull

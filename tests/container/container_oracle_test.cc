// `hull container build` checked with the tools people run images with:
// skopeo reads the layout, umoci unpacks it, runc runs it as the nonroot
// user; sizes are compared with distroless's published ones; bad input
// leaves nothing behind. Needs root, the mirror, skopeo, umoci and runc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kEpoch[] = "1764028800";  // 2025-11-25T00:00:00Z

std::string Hull() {
  const char* b = std::getenv("HULL_BIN");
  return b ? b : "hull";
}

bool HaveTool(const std::string& tool) {
  return Run(Command{.argv = {"sh", "-c", "command -v " + tool}}).ok();
}

bool HaveTools() {
  if (::geteuid() != 0) return false;
  for (const char* t : {"skopeo", "umoci", "runc", "mmdebstrap"}) {
    if (!HaveTool(t)) return false;
  }
  return true;
}

class ContainerOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTools()) GTEST_SKIP() << "needs root, skopeo, umoci, runc and mmdebstrap";
    auto t = TempDir::Create("hull-container-oracle");
    ASSERT_OK(t);
    dir_.emplace(std::move(*t));
    d_ = dir_->path();
  }

  Result<ProcessOutput> Build(std::vector<std::string> args) {
    std::vector<std::string> argv = {Hull(), "container", "build"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--cache", HULL_CONTAINER_CACHE, "--json"});
    return RunAllowFailure(Command{.argv = argv,
                                   .env = {std::string("SOURCE_DATE_EPOCH=") + kEpoch},
                                   .timeout = std::chrono::minutes(15)});
  }

  json BuildOk(std::vector<std::string> args) {
    auto r = Build(args);
    EXPECT_OK(r);
    if (!r.ok()) return {};
    EXPECT_EQ(r->exit_code, 0) << r->err;
    return json::parse(r->out, nullptr, false);
  }

  std::string Sh(const std::string& script) {
    auto r = hull::Run(Command{.argv = {"sh", "-c", script}, .timeout = std::chrono::minutes(5)});
    EXPECT_OK(r) << script;
    return r.ok() ? r->out : "";
  }

  // skopeo's view of oci:DIR:NAME, with the manifest digest checked against
  // sha256sum of the blob skopeo names.
  json Inspect(const std::string& layout, const std::string& name) {
    json j = json::parse(Sh("skopeo inspect oci:" + layout + ":" + name), nullptr, false);
    std::string digest = j.value("Digest", "sha256:");
    EXPECT_EQ(Sh("sha256sum " + layout + "/blobs/sha256/" + digest.substr(7) + " | cut -c1-64"),
              digest.substr(7) + "\n");
    return j;
  }

  // umoci unpack, then runc run with `args` as the image's user; returns
  // what the container printed.
  std::string RunImage(const std::string& layout, const std::string& name,
                       const std::vector<std::string>& args, const std::string& add_binary = "") {
    const std::string bundle = d_ + "/bundle-" + name;
    Sh("umoci unpack --image " + layout + ":" + name + " " + bundle + " 2>&1");
    if (!add_binary.empty()) Sh("cp " + add_binary + " " + bundle + "/rootfs/hello");
    json config = json::parse(*ReadFileText(bundle + "/config.json"));
    EXPECT_EQ(config["process"]["user"]["uid"], 65532);
    config["process"]["args"] = args;
    config["process"]["terminal"] = false;
    EXPECT_OK(WriteFileAtomic(bundle + "/config.json", config.dump()));
    auto r = hull::Run(Command{.argv = {"runc", "run", "--bundle", bundle, "hull-test-" + name},
                               .timeout = std::chrono::minutes(2)});
    EXPECT_OK(r);
    return r.ok() ? r->out : "";
  }

  // `hull container sign` (docs/containers.md, "Signing"): the layout goes
  // to Debian's docker-registry with skopeo, image and signature tag alike;
  // read back from the registry, the signature manifest's payload names the
  // digest skopeo reports for the pushed image and the identity signed, and
  // openssl verifies its signature with the public key (and not with
  // another key, nor over a changed payload). Where skopeo verifies sigstore
  // signatures (Debian's build has them disabled), a policy.json requiring
  // sigstoreSigned accepts the image with the right key only; everywhere, a
  // signedBy policy accepts its OpenPGP signature (--format openpgp).
  void ExpectSignatureThroughRegistry(const std::string& layout) {
    // Named here rather than failing later at the push with skopeo's error.
    for (const char* t : {"docker-registry", "openssl", "curl", "python3", "gpg"}) {
      ASSERT_TRUE(HaveTool(t)) << "the signature check needs " << t
                               << " (scripts/install-deps.sh installs it)";
    }
    const std::string k = d_ + "/sign";
    fs::create_directories(k);
    Sh("cd " + k +
       " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out c.key"
       " && openssl pkey -in c.key -pubout -out c.pub && openssl genpkey -algorithm RSA"
       " -pkeyopt rsa_keygen_bits:2048 -out other.key 2>/dev/null && openssl pkey -in other.key"
       " -pubout -out other.pub");
    const std::string port =
        Sh("python3 -c 'import socket;s=socket.socket();s.bind((\"127.0.0.1\",0));"
           "print(s.getsockname()[1])' | tr -d '\\n'");
    const std::string repo = "127.0.0.1:" + port + "/hull/static";
    auto signed_ =
        RunAllowFailure(Command{.argv = {Hull(), "container", "sign", layout, "--key", k + "/c.key",
                                         "--identity", repo + ":latest", "--json"}});
    ASSERT_OK(signed_);
    ASSERT_EQ(signed_->exit_code, 0) << signed_->err;
    json s = json::parse(signed_->out);
    EXPECT_EQ(s["algorithm"], "ecdsa-sha256");
    const std::string tag = s["signature"];
    // The layout still reads as the image alone for skopeo and umoci.
    EXPECT_EQ(Inspect(layout, "static")["Digest"], s["digest"]);

    ASSERT_OK(WriteFileAtomic(k + "/registry.yml",
                              "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + k +
                                  "/registry\nhttp:\n  addr: 127.0.0.1:" + port + "\n"));
    const std::string pid = Sh("docker-registry serve " + k + "/registry.yml > " + k +
                               "/registry.log 2>&1 & echo $! | tr -d '\\n'");
    Sh("for i in $(seq 50); do curl -sf http://127.0.0.1:" + port +
       "/v2/ >/dev/null && break; sleep 0.2; done");
    auto push = [&](const std::string& from, const std::string& to) {
      Sh("skopeo copy -q --dest-tls-verify=false oci:" + layout + ":" + from + " docker://" + repo +
         ":" + to + " 2>&1");
    };
    push("static", "latest");
    push(tag, tag);
    const std::string pushed =
        json::parse(Sh("skopeo inspect --tls-verify=false docker://" + repo + ":latest"), nullptr,
                    false)
            .value("Digest", "");
    EXPECT_EQ(pushed, s["digest"]);
    EXPECT_EQ("sha256-" + pushed.substr(7) + ".sig", tag);
    json man = json::parse(
        Sh("skopeo inspect --raw --tls-verify=false docker://" + repo + ":" + tag), nullptr, false);
    ASSERT_TRUE(man.is_object());
    ASSERT_EQ(man["layers"].size(), 1u) << man.dump();
    const json& layer = man["layers"][0];
    EXPECT_EQ(layer["mediaType"], "application/vnd.dev.cosign.simplesigning.v1+json");
    const std::string blob_url =
        "http://127.0.0.1:" + port + "/v2/hull/static/blobs/" + layer["digest"].get<std::string>();
    Sh("curl -sf -o " + k + "/payload " + blob_url);
    ASSERT_OK(WriteFileAtomic(
        k + "/sig.b64",
        layer["annotations"]["dev.cosignproject.cosign/signature"].get<std::string>()));
    Sh("base64 -d " + k + "/sig.b64 > " + k + "/sig");
    json payload = json::parse(*ReadFileText(k + "/payload"), nullptr, false);
    EXPECT_EQ(payload["critical"]["image"]["docker-manifest-digest"], pushed);
    EXPECT_EQ(payload["critical"]["identity"]["docker-reference"], repo + ":latest");
    EXPECT_EQ(payload["critical"]["type"], "cosign container image signature");
    auto verify = [&](const std::string& pub, const std::string& file) {
      return Sh("openssl dgst -sha256 -verify " + k + "/" + pub + " -signature " + k + "/sig " + k +
                "/" + file + " 2>&1 || true");
    };
    EXPECT_EQ(verify("c.pub", "payload"), "Verified OK\n");
    EXPECT_NE(verify("other.pub", "payload"), "Verified OK\n");
    Sh("sed 's/latest/stolen/' " + k + "/payload > " + k + "/changed");
    EXPECT_NE(verify("c.pub", "changed"), "Verified OK\n");

    // containers/image's own check, where this skopeo has it.
    fs::create_directories(k + "/registries.d");
    ASSERT_OK(WriteFileAtomic(
        k + "/registries.d/local.yaml",
        "docker:\n  127.0.0.1:" + port + ":\n    use-sigstore-attachments: true\n"));
    auto pull = [&](const std::string& pub) {
      const std::string policy = k + "/policy-" + pub + ".json";
      EXPECT_OK(WriteFileAtomic(
          policy, json{{"default", {{{"type", "reject"}}}},
                       {"transports",
                        {{"docker",
                          {{"127.0.0.1:" + port,
                            {{{"type", "sigstoreSigned"}, {"keyPath", k + "/" + pub}}}}}}}}}
                      .dump()));
      fs::remove_all(k + "/pulled");
      return Sh("skopeo --policy " + policy + " --registries.d " + k +
                "/registries.d copy -q --src-tls-verify=false docker://" + repo +
                ":latest oci:" + k + "/pulled:x 2>&1; echo exit=$?");
    };
    const std::string right = pull("c.pub");
    if (right.find("sigstore disabled") != std::string::npos) {
      std::printf("skopeo: %s(this build of skopeo verifies no sigstore signatures)\n",
                  right.c_str());
    } else {
      EXPECT_THAT(right, HasSubstr("exit=0"));
      EXPECT_THAT(pull("other.pub"), ::testing::Not(HasSubstr("exit=0")));
    }

    // The OpenPGP scheme, which this skopeo verifies (gpgme): the same image
    // signed into a file:// lookaside, a signedBy policy with the exported
    // key accepts the pull, and refuses it with another key's policy or
    // without the lookaside (tests/container/openpgp_oracle_test.cc checks
    // the scheme in depth on a small layout).
    auto openpgp = [&](const std::vector<std::string>& args) {
      std::vector<std::string> argv = {Hull(), "container"};
      argv.insert(argv.end(), args.begin(), args.end());
      auto r = RunAllowFailure(Command{.argv = argv});
      EXPECT_OK(r);
      if (r.ok()) {
        EXPECT_EQ(r->exit_code, 0) << r->err;
      }
    };
    openpgp({"sign", layout, "--key", k + "/other.key", "--identity", repo + ":latest", "--format",
             "openpgp", "--lookaside", k + "/lookaside"});
    openpgp({"export-key", "--key", k + "/other.key", "--out", k + "/other.gpg"});
    Sh("openssl genpkey -algorithm ED25519 -out " + k + "/third.key");
    openpgp({"export-key", "--key", k + "/third.key", "--out", k + "/third.gpg"});
    auto pull_gpg = [&](const std::string& key, bool with_lookaside) {
      fs::create_directories(k + "/rd-gpg");
      EXPECT_OK(WriteFileAtomic(
          k + "/rd-gpg/local.yaml",
          with_lookaside
              ? "docker:\n  127.0.0.1:" + port + ":\n    lookaside: file://" + k + "/lookaside\n"
              : std::string("docker: {}\n")));
      const std::string policy = k + "/policy-gpg.json";
      EXPECT_OK(WriteFileAtomic(policy, json{{"default", {{{"type", "reject"}}}},
                                             {"transports",
                                              {{"docker",
                                                {{"127.0.0.1:" + port,
                                                  {{{"type", "signedBy"},
                                                    {"keyType", "GPGKeys"},
                                                    {"keyPath", k + "/" + key}}}}}}}}}
                                            .dump()));
      fs::remove_all(k + "/pulled");
      return Sh("skopeo --policy " + policy + " --registries.d " + k +
                "/rd-gpg copy -q --remove-signatures --src-tls-verify=false docker://" + repo +
                ":latest oci:" + k + "/pulled:x 2>&1; echo exit=$?");
    };
    EXPECT_THAT(pull_gpg("other.gpg", true), HasSubstr("exit=0"));
    EXPECT_THAT(pull_gpg("third.gpg", true), ::testing::Not(HasSubstr("exit=0")));
    EXPECT_THAT(pull_gpg("other.gpg", false), HasSubstr("no signature exists"));
    Sh("kill " + pid);
  }

  std::optional<TempDir> dir_;
  std::string d_;
};

constexpr uint64_t kMiB = 1 << 20;

TEST_F(ContainerOracle, StaticRunsAStaticBinaryAndIsReproducible) {
  json a = BuildOk({"--preset", "static", "--out", d_ + "/a"});
  json b = BuildOk({"--preset", "static", "--out", d_ + "/b"});
  ASSERT_TRUE(a.is_object() && b.is_object());
  EXPECT_EQ(a["digest"], b["digest"]);  // same spec, mirror state and epoch
  EXPECT_EQ(*ReadFileBytes(d_ + "/a/index.json"), *ReadFileBytes(d_ + "/b/index.json"));
  json j = Inspect(d_ + "/a", "static");
  EXPECT_EQ(j["Digest"], a["digest"]);
  EXPECT_EQ(j["Architecture"], "amd64");
  EXPECT_EQ(j["Created"], "2025-11-25T00:00:00Z");
  const uint64_t compressed = a["images"][0]["compressed_bytes"];
  std::printf("static: %.2f MiB compressed, %.2f MiB uncompressed\n", double(compressed) / kMiB,
              double(a["images"][0]["uncompressed_bytes"]) / kMiB);
  EXPECT_LE(compressed, 2 * kMiB);  // distroless static-debian12: about 2 MiB

  // The SBOM referrer beside the image: its subject is the manifest skopeo
  // resolved, its SPDX document passes the SPDX 2.3 schema, and each
  // package's checksum is sha256sum of a cached .deb (each package set
  // holds its own copy).
  json index = json::parse(*ReadFileText(d_ + "/a/index.json"));
  ASSERT_EQ(index["manifests"].size(), 2u);
  const json& ref = index["manifests"][1];
  EXPECT_EQ(ref["artifactType"], "application/spdx+json");
  json referrer = json::parse(
      *ReadFileText(d_ + "/a/blobs/sha256/" + ref["digest"].get<std::string>().substr(7)));
  EXPECT_EQ(referrer["subject"]["digest"], j["Digest"]);
  const std::string sbom =
      d_ + "/a/blobs/sha256/" + referrer["layers"][0]["digest"].get<std::string>().substr(7);
  const std::string src = std::getenv("HULL_SOURCE_DIR") ? std::getenv("HULL_SOURCE_DIR") : ".";
  Sh("python3 " + src + "/tests/data/spdx/validate.py " + src +
     "/tests/data/spdx/spdx-schema-2.3.json " + sbom);
  json spdx = json::parse(*ReadFileText(sbom));
  size_t checked = 0;
  for (const auto& p : spdx["packages"]) {
    if (!p.contains("checksums")) continue;
    const std::string sum = p["checksums"][0]["checksumValue"];
    EXPECT_EQ(Sh("find " + std::string(HULL_CONTAINER_CACHE) + "/debsets -name '" +
                 p["name"].get<std::string>() +
                 "_*.deb' -exec sha256sum {} + | cut -c1-64 | grep -qx " + sum + " && echo found"),
              "found\n");
    ++checked;
  }
  EXPECT_EQ(checked, 5u);  // the preset's five packages

  ASSERT_OK(WriteFileAtomic(d_ + "/hello.c", std::string(R"(#include <stdio.h>
#include <unistd.h>
int main(void) { printf("static uid %d\n", (int)getuid()); return 0; }
)")));
  Sh("cc -static -o " + d_ + "/hello " + d_ + "/hello.c");
  EXPECT_EQ(RunImage(d_ + "/a", "static", {"/hello"}, d_ + "/hello"), "static uid 65532\n");
  // What the layer holds: status.d stanzas and copyrights, the CA bundle,
  // no dpkg or apt.
  const std::string root = d_ + "/bundle-static/rootfs";
  EXPECT_THAT(*ReadFileText(root + "/var/lib/dpkg/status.d/tzdata"),
              HasSubstr("Package: tzdata\nStatus: install ok installed\n"));
  EXPECT_TRUE(fs::exists(root + "/usr/share/doc/tzdata/copyright"));
  EXPECT_FALSE(fs::exists(root + "/usr/share/doc/tzdata/changelog.Debian.gz"));
  EXPECT_THAT(Sh("grep -c 'BEGIN CERTIFICATE' " + root + "/etc/ssl/certs/ca-certificates.crt"),
              ::testing::Not("0\n"));
  EXPECT_FALSE(fs::exists(root + "/usr/bin/dpkg"));
  EXPECT_FALSE(fs::exists(root + "/var/lib/dpkg/status"));
  EXPECT_FALSE(fs::exists(root + "/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_EQ(Sh("stat -c %a " + root + "/tmp"), "1777\n");
  ExpectSignatureThroughRegistry(d_ + "/b");
}

// The debug form's shell runs even without a libc.
TEST_F(ContainerOracle, StaticDebugHasAShell) {
  json a = BuildOk({"--preset", "static:debug", "--out", d_ + "/dbg"});
  ASSERT_TRUE(a.is_object());
  json j = Inspect(d_ + "/dbg", "static-debug");
  EXPECT_EQ(j["Digest"], a["digest"]);
  EXPECT_EQ(
      RunImage(d_ + "/dbg", "static-debug", {"/usr/bin/busybox", "sh", "-c", "id -u; echo $HOME"}),
      "65532\n/home/nonroot\n");
}

TEST_F(ContainerOracle, CcRunsACxxProgram) {
  json a = BuildOk({"--preset", "cc", "--out", d_ + "/cc"});
  ASSERT_TRUE(a.is_object());
  json j = Inspect(d_ + "/cc", "cc");
  EXPECT_EQ(j["Digest"], a["digest"]);
  const uint64_t compressed = a["images"][0]["compressed_bytes"];
  std::printf("cc: %.2f MiB compressed, %.2f MiB uncompressed\n", double(compressed) / kMiB,
              double(a["images"][0]["uncompressed_bytes"]) / kMiB);
  EXPECT_LE(compressed, 23 * kMiB);  // distroless cc-debian12: about 23 MiB
  ASSERT_OK(WriteFileAtomic(d_ + "/hello.cc", std::string(R"(#include <iostream>
#include <string>
int main() { std::string s("cc"); std::cout << s << " hello" << std::endl; }
)")));
  Sh("c++ -O2 -o " + d_ + "/hello-cc " + d_ + "/hello.cc");
  EXPECT_EQ(RunImage(d_ + "/cc", "cc", {"/hello"}, d_ + "/hello-cc"), "cc hello\n");
}

TEST_F(ContainerOracle, Python3RunsPython) {
  json a = BuildOk({"--preset", "python3", "--out", d_ + "/py"});
  ASSERT_TRUE(a.is_object());
  json j = Inspect(d_ + "/py", "python3");
  std::printf("python3: %.2f MiB compressed, %.2f MiB uncompressed\n",
              double(a["images"][0]["compressed_bytes"]) / kMiB,
              double(a["images"][0]["uncompressed_bytes"]) / kMiB);
  EXPECT_EQ(RunImage(d_ + "/py", "python3",
                     {"/usr/bin/python3", "-c",
                      "import os, ssl, json, sqlite3; print('python', os.getuid(), "
                      "json.dumps(ssl.OPENSSL_VERSION.split()[0]))"}),
            "python 65532 \"OpenSSL\"\n");
}

TEST_F(ContainerOracle, MultiArchIndex) {
  ASSERT_OK(WriteFileAtomic(d_ + "/multi.yaml", std::string(R"(name: multi
packages: [base-files, libc6, libgcc-s1, gcc-12-base]
architectures: [amd64, arm64]
)")));
  json a = BuildOk({d_ + "/multi.yaml", "--out", d_ + "/m"});
  ASSERT_TRUE(a.is_object());
  json raw = json::parse(Sh("skopeo inspect --raw oci:" + d_ + "/m:multi"), nullptr, false);
  EXPECT_EQ(raw["mediaType"], "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(raw["manifests"].size(), 2u);
  EXPECT_EQ(raw["manifests"][1]["platform"]["architecture"], "arm64");
  json arm = json::parse(
      Sh("skopeo inspect --override-arch arm64 --override-variant v8 oci:" + d_ + "/m:multi"),
      nullptr, false);
  EXPECT_EQ(arm["Architecture"], "arm64");
  ASSERT_EQ(arm["Layers"].size(), 1u);
  // The arm64 layer's libc is an AArch64 ELF (readelf), and runs under
  // qemu-user when binfmt has it registered.
  const std::string layer = arm["Layers"][0].get<std::string>().substr(7);
  Sh("mkdir -p " + d_ + "/arm && tar -xzf " + d_ + "/m/blobs/sha256/" + layer + " -C " + d_ +
     "/arm");
  EXPECT_THAT(Sh("readelf -h " + d_ + "/arm/usr/lib/aarch64-linux-gnu/libc.so.6"),
              HasSubstr("AArch64"));
  if (fs::exists("/proc/sys/fs/binfmt_misc/qemu-aarch64")) {
    EXPECT_THAT(Sh("chroot " + d_ + "/arm /usr/lib/aarch64-linux-gnu/libc.so.6"),
                HasSubstr("GNU C Library"));
  }
}

TEST_F(ContainerOracle, BadInputOneLineNothingLeft) {
  auto spec = [&](const std::string& name, const std::string& text) {
    std::string p = d_ + "/" + name + ".yaml";
    EXPECT_OK(WriteFileAtomic(p, text));
    return p;
  };
  struct Case {
    std::vector<std::string> args;
    std::string names;
  } cases[] = {
      {{spec("pkg", "name: pkg\npackages: [base-files, hull-no-such-package]\n")},
       "hull-no-such-package"},
      {{spec(
           "conflict",
           "name: c\npackages: [base-files]\nfiles: [{path: /etc/debian_version, content: x}]\n")},
       "/etc/debian_version"},
      {{"--preset", "distroless"}, "'distroless'"},
      {{spec("arch", "name: a\npackages: [base-files]\narchitectures: [riscv64]\n")}, "'riscv64'"},
      {{spec("entry", "name: e\npackages: [base-files]\nentrypoint: [/usr/bin/hull-missing]\n")},
       "/usr/bin/hull-missing"},
  };
  for (auto& c : cases) {
    const std::string out = d_ + "/out";
    c.args.insert(c.args.end(), {"--out", out});
    auto r = Build(c.args);
    ASSERT_OK(r);
    EXPECT_NE(r->exit_code, 0) << c.names;
    EXPECT_EQ(std::count(r->err.begin(), r->err.end(), '\n'), 1) << r->err;
    EXPECT_THAT(r->err, HasSubstr(c.names));
    EXPECT_FALSE(fs::exists(out)) << c.names;
    EXPECT_EQ(Sh("ls -A " + d_ + " | grep -c oci-layout || true"), "0\n");
  }
}

}  // namespace
}  // namespace hull

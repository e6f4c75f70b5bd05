// The container spec, the presets and the pure parts of the build.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "container/build.h"
#include "container/spec.h"
#include "container/unpack.h"
#include "rootfs/extract.h"
#include "support/status_matchers.h"

namespace hull::container {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ContainerSpec, ParsesEveryKey) {
  ASSERT_OK_AND_ASSIGN(ContainerSpec s, ParseContainerSpec(R"(
name: app
distribution: {suite: trixie, mirror: http://mirror.example/debian}
packages: [libc6, base-files]
files:
  - {path: /app, source: app.bin, mode: "0755"}
  - {path: /etc/app.conf, content: "a=1\n"}
  - {path: /usr/bin/sh, symlink: busybox}
  - {path: /data, directory: true, uid: "65532", gid: "65532"}
user: root
entrypoint: [/app, --serve]
cmd: [--port, "80"]
env: [A=1]
workdir: /data
labels: {org.opencontainers.image.source: https://example.org/app}
annotations: {org.opencontainers.image.version: "1.0"}
architectures: [amd64, arm64]
compression: zstd
)",
                                                           "app.yaml"));
  EXPECT_EQ(s.name, "app");
  EXPECT_EQ(s.suite, "trixie");
  EXPECT_THAT(s.packages, ElementsAre("libc6", "base-files"));
  ASSERT_EQ(s.files.size(), 4u);
  EXPECT_EQ(s.files[0].mode, 0755u);
  EXPECT_EQ(s.files[2].symlink, "busybox");
  EXPECT_TRUE(s.files[3].directory);
  EXPECT_EQ(s.files[3].uid, 65532u);
  EXPECT_EQ(s.user, User::kRoot);
  EXPECT_THAT(s.entrypoint, ElementsAre("/app", "--serve"));
  EXPECT_THAT(s.architectures, ElementsAre("amd64", "arm64"));
  EXPECT_EQ(s.compression, oci::Compression::kZstd);
  EXPECT_EQ(s.annotations.at("org.opencontainers.image.version"), "1.0");
}

TEST(ContainerSpec, StrictErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"name: a\npackages: []\nextra: 1\n", "app.yaml:3:1: unknown key 'extra'"},
      {"name: a\npackages: []\nuser: admin\n", "app.yaml:3:7"},
      {"name: a\npackages: []\ncompression: lz4\n", "compression"},
      {"name: a\npackages: []\narchitectures: [vax]\n", "'vax' has no OCI name"},
      {"name: a\npackages: []\nentrypoint: [app]\n", "absolute path"},
      {"name: a\npackages: []\nfiles: [{path: etc/x, content: y}]\n", "must be absolute"},
      {"name: a\npackages: []\nfiles: [{path: /x, content: y, symlink: z}]\n", "exactly one of"},
      {"name: a\npackages: []\nfiles: [{path: /x, content: y, mode: '999'}]\n", "octal"},
      {"name: a b\npackages: []\n", "single word"},
  };
  for (const auto& c : cases) {
    auto r = ParseContainerSpec(c.text, "app.yaml");
    EXPECT_ERROR(r, ErrorCode::kInvalidArgument) << c.text;
    if (!r.ok()) {
      EXPECT_THAT(r.error().ToString(), HasSubstr(c.message)) << c.text;
    }
  }
}

TEST(ContainerPresets, AllParseAndDebugAddsBusybox) {
  EXPECT_THAT(PresetNames(), ElementsAre("base", "base:debug", "cc", "cc:debug", "python3",
                                         "python3:debug", "static", "static:debug"));
  for (const auto& n : PresetNames()) EXPECT_OK(Preset(n)) << n;
  ASSERT_OK_AND_ASSIGN(ContainerSpec cc, Preset("cc:debug"));
  EXPECT_EQ(cc.name, "cc-debug");
  EXPECT_THAT(cc.packages, ::testing::Contains("busybox-static"));
  EXPECT_THAT(cc.entrypoint, ElementsAre("/usr/bin/busybox", "sh"));
  ASSERT_OK_AND_ASSIGN(ContainerSpec st, Preset("static"));
  EXPECT_THAT(st.packages, ::testing::Not(::testing::Contains("libc6")));
  EXPECT_EQ(st.user, User::kNonroot);
  auto bad = Preset("nope");
  EXPECT_ERROR(bad, ErrorCode::kNotFound);
  if (!bad.ok()) {
    EXPECT_THAT(bad.error().ToString(), HasSubstr("'nope'"));
  }
}

TEST(ContainerBuild, StatusStanzaAndPlatforms) {
  // dpkg's status file puts Status right after Package (dpkg(1) status).
  EXPECT_EQ(StatusStanza("Package: tzdata\nVersion: 1\nArchitecture: all\n\n"),
            "Package: tzdata\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n");
  ASSERT_OK_AND_ASSIGN(auto arm, OciPlatform("arm64"));
  EXPECT_EQ(arm, (std::pair<std::string, std::string>{"arm64", "v8"}));
  ASSERT_OK_AND_ASSIGN(auto x86, OciPlatform("i386"));
  EXPECT_EQ(x86.first, "386");
  EXPECT_ERROR(OciPlatform("vax"), ErrorCode::kUnsupported);
  // The nonroot user of the distroless convention.
  auto files = ImageFiles();
  EXPECT_THAT(files[0].content, HasSubstr("nonroot:x:65532:65532:"));
  EXPECT_EQ(files[3].path, "/tmp");
  EXPECT_EQ(files[3].mode, 01777u);
}

TEST(ContainerBuild, ReleaseArchitectures) {
  const char* in_release =
      "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\nSuite: stable\n"
      "Architectures: all amd64 arm64 armel\nComponents: main\n";
  EXPECT_THAT(rootfs::ReleaseArchitectures(in_release),
              ElementsAre("all", "amd64", "arm64", "armel"));
  EXPECT_TRUE(rootfs::ReleaseArchitectures("Origin: x\n").empty());
  rootfs::ComposeOptions o{.arch = "arm64", .packages = {"b", "a", "b"}};
  auto argv = rootfs::BuildDownloadArgv(o, "/t");
  EXPECT_THAT(argv, ::testing::Contains("--variant=extract"));
  EXPECT_THAT(argv, ::testing::Contains("--include=a,b"));
  EXPECT_THAT(argv, ::testing::Contains("--architectures=arm64"));
}

}  // namespace
}  // namespace hull::container

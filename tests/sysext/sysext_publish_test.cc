// hull release add-sysext's library side: the target name and custom metadata
// from a build's manifest, the image checked against it, one target added to
// a TUF repository (read back from its signed targets), a second publication
// refused; the node's reading of that target (agent::PublishedExtensions).
// The images are real: the build's sealing step (sysext::SealStagedTree, the
// steps of `hull sysext build` after its compose) for amd64 and arm64, with
// the manifest the build writes beside them (sysext::Manifest); sfdisk names
// their partition types' architecture.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "agent/extension_plan.h"
#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/file_digest.h"
#include "keys/keys.h"
#include "release/sysext.h"
#include "support/status_matchers.h"
#include "sysext/build.h"
#include "tuf/signing_keys.h"

namespace hull::release {
namespace {
using ::testing::HasSubstr;

constexpr char kRootHash[] = "74e3d9a1797e9a776c8d9dba5ea251e0e48a8e4862a77226c147acb4480c7fe0";

nlohmann::json Manifest() {
  return {{"name", "cni"},
          {"version", "1.1.1-2"},
          {"arch", "amd64"},
          {"compatibility", {{"id", "hull"}, {"sysext_level", "12"}}},
          {"root_hash", kRootHash},
          {"sha256", ""},
          {"size", 0}};
}

TEST(SysextTarget, NameAndCustomFromTheManifest) {
  ASSERT_OK_AND_ASSIGN(auto t, SysextTarget(Manifest()));
  EXPECT_EQ(t.target, "hull-sysext-cni-amd64-1.1.1-2.raw");
  EXPECT_EQ(t.custom, nlohmann::json({{"payload", "sysext"},
                                      {"sysext", "cni"},
                                      {"version", "1.1.1-2"},
                                      {"arch", "amd64"},
                                      {"compatibility", {{"id", "hull"}, {"sysext_level", "12"}}},
                                      {"root_hash", kRootHash}}));
  const std::pair<const char*, nlohmann::json> kBad[] = {
      {"name", nullptr},      {"name", "../x"}, {"root_hash", "abc"},
      {"compatibility", "x"}, {"version", 3},   {"arch", ""},
  };
  for (const auto& [key, value] : kBad) {
    auto m = Manifest();
    if (value.is_null()) {
      m.erase(key);
    } else {
      m[key] = value;
    }
    EXPECT_ERROR(SysextTarget(m), ErrorCode::kInvalidArgument) << key << "=" << value;
  }
  // The services to restart: copied into the custom metadata, strictly.
  auto restarts = Manifest();
  restarts["restarts"] = {"kubelet.service"};
  ASSERT_OK_AND_ASSIGN(auto r, SysextTarget(restarts));
  EXPECT_EQ(r.custom["restarts"], nlohmann::json({"kubelet.service"}));
  for (const nlohmann::json& bad :
       {nlohmann::json("kubelet.service"), nlohmann::json::array(), nlohmann::json({"kubelet"}),
        nlohmann::json({"a.service", "a.service"}), nlohmann::json({"-a.service"}),
        nlohmann::json({"hull-update.service"})}) {
    restarts["restarts"] = bad;
    EXPECT_ERROR(SysextTarget(restarts), ErrorCode::kInvalidArgument) << bad;
  }
  auto both = Manifest();
  both["compatibility"]["version_id"] = "202612.05.0";
  EXPECT_ERROR(SysextTarget(both), ErrorCode::kInvalidArgument);
}

// One sealed image of `arch` under `dir`/out-ARCH/NAME_VERSION_ARCH.raw
// with its manifest beside it, as `hull sysext build` leaves them.
struct Built {
  std::string image, manifest_path;
  nlohmann::json manifest;
};

Result<Built> Seal(const std::string& dir, const std::string& arch) {
  namespace fs = std::filesystem;
  const std::string work = dir + "/work-" + arch, stage = work + "/stage",
                    out = dir + "/out-" + arch;
  fs::create_directories(stage + "/usr/lib/cni");
  fs::create_directories(out);
  HULL_TRY(WriteFileAtomic(stage + "/usr/lib/cni/bridge", std::string(20000, 'b')));
  sysext::BuildOptions o;
  o.spec.name = "cni";
  o.spec.version = "1.1.1-2";
  o.spec.arch = arch;
  o.spec.compatibility = {
      .id = "hull", .kind = sysext::Compatibility::Kind::kSysextLevel, .value = "12"};
  o.key_dir = dir + "/keys";
  o.source_date_epoch = 1700000000;
  HULL_ASSIGN_OR_RETURN(auto sealed, sysext::SealStagedTree(o, stage, "", work));
  Built b;
  b.image = out + "/" + sysext::ImageBaseName(o.spec) + ".raw";
  b.manifest_path = out + "/" + sysext::ImageBaseName(o.spec) + ".json";
  fs::rename(sealed.image, b.image);
  HULL_ASSIGN_OR_RETURN(std::string sha256, crypto::FileSha256Hex(b.image));
  b.manifest =
      sysext::Manifest(o.spec, HexEncode(sealed.root_hash), sha256, fs::file_size(b.image), {});
  HULL_TRY(WriteFileAtomic(b.manifest_path, b.manifest.dump()));
  return b;
}

class PublishSysextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto d = TempDir::Create("sysext-publish");
    ASSERT_OK(d);
    dir_ = new TempDir(std::move(*d));
    ASSERT_OK(keys::InitKeys(dir_->path() + "/keys"));
    for (const char* arch : {"amd64", "arm64"}) {
      auto b = Seal(dir_->path(), arch);
      ASSERT_OK(b);
      built_[arch] = *b;
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override {
    repo_ =
        dir_->path() + "/repo-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_OK_AND_ASSIGN(keys_, tuf::RoleKeySet::Load(dir_->path() + "/tuf-keys", true));
    ASSERT_OK(tuf::Repository::Init(repo_, keys_));
  }
  // Writes `b`'s manifest with `edit` applied.
  static void WriteManifest(const Built& b, const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json m = b.manifest;
    edit(m);
    ASSERT_OK(WriteFileAtomic(b.manifest_path, m.dump()));
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::map<std::string, Built> built_;
  std::string repo_;
  tuf::RoleKeySet keys_;
};

TEST_F(PublishSysextTest, AddsOneTargetAndRefusesAMismatchOrARepeat) {
  const Built& b = built_["amd64"];
  WriteManifest(b, [](nlohmann::json& m) { m["sha256"] = std::string(64, '0'); });
  auto wrong = PublishSysext(repo_, keys_, b.image);
  ASSERT_ERROR(wrong, ErrorCode::kVerifyFailed);
  EXPECT_THAT(wrong.error().message(), HasSubstr("size or SHA-256 differ"));

  WriteManifest(b, [](nlohmann::json&) {});
  ASSERT_OK_AND_ASSIGN(auto r, PublishSysext(repo_, keys_, b.image));
  ASSERT_OK_AND_ASSIGN(tuf::Targets t, tuf::Repository::ReadTargets(repo_));
  ASSERT_EQ(t.targets.count("hull-sysext-cni-amd64-1.1.1-2.raw"), 1u);
  const auto& f = t.targets.at("hull-sysext-cni-amd64-1.1.1-2.raw");
  EXPECT_EQ(f.length, std::filesystem::file_size(b.image));
  EXPECT_EQ(f.hashes.at("sha256"), b.manifest["sha256"]);
  EXPECT_EQ(f.custom["payload"], "sysext");
  EXPECT_EQ(f.custom["arch"], "amd64");
  EXPECT_EQ(f.custom["compatibility"]["sysext_level"], "12");
  EXPECT_EQ(f.custom["root_hash"], b.manifest["root_hash"]);
  // The node reads the signed target back as the build named it.
  ASSERT_OK_AND_ASSIGN(auto published, agent::PublishedExtensions(t.targets));
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].FileName(), "cni_1.1.1-2_amd64.raw");
  EXPECT_EQ(published[0].compatibility, (node::OsRelease{{"ID", "hull"}, {"SYSEXT_LEVEL", "12"}}));
  EXPECT_EQ(published[0].root_hash, b.manifest["root_hash"]);

  EXPECT_ERROR(PublishSysext(repo_, keys_, b.image), ErrorCode::kAlreadyExists);
}

// The arch nodes choose an extension by (its manifest's, then its target's)
// must be the one its partitions are for: an image whose manifest names the
// other arch is refused in one line and nothing is published. sfdisk, not
// Hull's GPT reader, says which architecture each image's types are.
TEST_F(PublishSysextTest, ManifestArchMustBeTheImagesPartitionTypes) {
  const std::pair<const char*, const char*> kSfdiskArch[] = {{"amd64", "x86-64"},
                                                             {"arm64", "ARM-64"}};
  for (const auto& [arch, sfdisk_arch] : kSfdiskArch) {
    ASSERT_OK_AND_ASSIGN(auto out,
                         hull::Run(Command{.argv = {"sfdisk", "-l", built_[arch].image}}));
    for (const char* type : {"Linux root ", "Linux root verity ", "Linux root verity sign. "})
      EXPECT_THAT(out.out, HasSubstr(std::string(type) + "(" + sfdisk_arch + ")")) << out.out;
  }
  ASSERT_OK_AND_ASSIGN(tuf::Targets before, tuf::Repository::ReadTargets(repo_));
  for (const auto& [arch, other] : {std::pair{"amd64", "arm64"}, {"arm64", "amd64"}}) {
    const Built& b = built_[arch];
    WriteManifest(b, [other = other](nlohmann::json& m) { m["arch"] = other; });
    auto refused = PublishSysext(repo_, keys_, b.image);
    ASSERT_ERROR(refused, ErrorCode::kVerifyFailed);
    const std::string dps = arch == std::string("amd64") ? "x86-64" : "arm64";
    EXPECT_EQ(refused.error().message(),
              fmt::format("'{}' is an {} image (DPS {} partition types) but its manifest says "
                          "arch {}: publish the pair one build wrote",
                          b.image, arch, dps, other));
  }
  ASSERT_OK_AND_ASSIGN(tuf::Targets after, tuf::Repository::ReadTargets(repo_));
  EXPECT_EQ(after.version, before.version);
  EXPECT_TRUE(after.targets.empty());

  // Each with the manifest its build wrote: published under its own arch.
  for (const char* arch : {"amd64", "arm64"}) {
    WriteManifest(built_[arch], [](nlohmann::json&) {});
    ASSERT_OK_AND_ASSIGN(auto r, PublishSysext(repo_, keys_, built_[arch].image));
    EXPECT_EQ(r.target, fmt::format("hull-sysext-cni-{}-1.1.1-2.raw", arch));
    EXPECT_EQ(r.custom["arch"], arch);
  }
}

// A manifest naming an architecture Hull does not build is refused before
// the image is read.
TEST(SysextTarget, UnknownArchIsRefused) {
  auto m = Manifest();
  m["arch"] = "x86_64";  // the kernel's name, not Debian's
  auto r = SysextTarget(m);
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(),
            "the sysext manifest's arch 'x86_64' is not one Hull builds (amd64, arm64)");
}

}  // namespace
}  // namespace hull::release

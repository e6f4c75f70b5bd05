// hull release add-sysext's library side: the target name and custom metadata
// from a build's manifest, the image checked against it, one target added to
// a TUF repository (read back from its signed targets), a second publication
// refused; the node's reading of that target (agent::PublishedExtensions).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/extension_plan.h"
#include "base/file.h"
#include "crypto/file_digest.h"
#include "release/sysext.h"
#include "support/status_matchers.h"
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
        nlohmann::json({"a.service", "a.service"}), nlohmann::json({"-a.service"})}) {
    restarts["restarts"] = bad;
    EXPECT_ERROR(SysextTarget(restarts), ErrorCode::kInvalidArgument) << bad;
  }
  auto both = Manifest();
  both["compatibility"]["version_id"] = "202612.05.0";
  EXPECT_ERROR(SysextTarget(both), ErrorCode::kInvalidArgument);
}

TEST(PublishSysext, AddsOneTargetAndRefusesAMismatchOrARepeat) {
  ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("sysext-publish"));
  ASSERT_OK_AND_ASSIGN(auto keys, tuf::RoleKeySet::Load(d.path() + "/keys", true));
  const std::string repo = d.path() + "/repo";
  ASSERT_OK(tuf::Repository::Init(repo, keys));
  const std::string image = d.path() + "/cni_1.1.1-2_amd64.raw";
  ASSERT_OK(WriteFileAtomic(image, std::string(8192, 'x')));
  auto m = Manifest();
  m["size"] = 8192;
  m["sha256"] = "0000000000000000000000000000000000000000000000000000000000000000";
  ASSERT_OK(WriteFileAtomic(d.path() + "/cni_1.1.1-2_amd64.json", m.dump()));
  auto wrong = PublishSysext(repo, keys, image);
  ASSERT_ERROR(wrong, ErrorCode::kVerifyFailed);
  EXPECT_THAT(wrong.error().message(), HasSubstr("size or SHA-256 differ"));

  ASSERT_OK_AND_ASSIGN(m["sha256"], crypto::FileSha256Hex(image));
  ASSERT_OK(WriteFileAtomic(d.path() + "/cni_1.1.1-2_amd64.json", m.dump()));
  ASSERT_OK_AND_ASSIGN(auto r, PublishSysext(repo, keys, image));
  ASSERT_OK_AND_ASSIGN(tuf::Targets t, tuf::Repository::ReadTargets(repo));
  ASSERT_EQ(t.targets.count("hull-sysext-cni-amd64-1.1.1-2.raw"), 1u);
  const auto& f = t.targets.at("hull-sysext-cni-amd64-1.1.1-2.raw");
  EXPECT_EQ(f.length, 8192u);
  EXPECT_EQ(f.hashes.at("sha256"), m["sha256"]);
  EXPECT_EQ(f.custom["payload"], "sysext");
  EXPECT_EQ(f.custom["compatibility"]["sysext_level"], "12");
  EXPECT_EQ(f.custom["root_hash"], kRootHash);
  // The node reads the signed target back as the build named it.
  ASSERT_OK_AND_ASSIGN(auto published, agent::PublishedExtensions(t.targets));
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].FileName(), "cni_1.1.1-2_amd64.raw");
  EXPECT_EQ(published[0].compatibility, (node::OsRelease{{"ID", "hull"}, {"SYSEXT_LEVEL", "12"}}));
  EXPECT_EQ(published[0].root_hash, kRootHash);

  EXPECT_ERROR(PublishSysext(repo, keys, image), ErrorCode::kAlreadyExists);
}

}  // namespace
}  // namespace hull::release

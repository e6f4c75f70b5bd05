// `hull release add` records the release's SYSEXT_LEVEL (its UKI's .osrel,
// the image's os-release) in the usr target's custom metadata, so that a
// node picks the extensions of release N+1 by N+1's level before it installs
// it (docs/sysext.md); a level the node would refuse is refused here, one
// line, nothing published. The oracle is the os-release text the fixture
// wrote into the UKI (uki::BuildUki), read back from the signed targets.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "release/publish.h"
#include "slot/fixture.h"
#include "support/status_matchers.h"
#include "tuf/repository.h"

namespace hull::slot {
namespace {

using testing::Inputs;

TEST(ReleaseSysextLevel, TheUsrTargetCarriesTheReleasesOwnLevel) {
  ASSERT_OK_AND_ASSIGN(auto inputs, Inputs::Create());
  ASSERT_OK_AND_ASSIGN(auto without, inputs->MakeRelease("202612.01.0", 64, false));
  inputs->sysext_level = "13";
  ASSERT_OK_AND_ASSIGN(auto trixie, inputs->MakeRelease("202612.08.0", 64, false));
  ASSERT_OK_AND_ASSIGN(auto repo,
                       testing::PublishRepository(*inputs, {without.dir, trixie.dir}, 0));
  ASSERT_OK_AND_ASSIGN(tuf::Targets t, tuf::Repository::ReadTargets(repo.dir));
  const auto& with = t.targets.at("hull-immutable-amd64-202612.08.0.usr.erofs").custom;
  EXPECT_EQ(with["sysext_level"], "13") << with.dump();
  // Only the usr target says it; a release that declares none says nothing.
  EXPECT_FALSE(
      t.targets.at("hull-immutable-amd64-202612.08.0.uki.efi").custom.contains("sysext_level"));
  EXPECT_FALSE(
      t.targets.at("hull-immutable-amd64-202612.01.0.usr.erofs").custom.contains("sysext_level"));

  // A value os-release(5) does not allow: refused, nothing of it published.
  inputs->sysext_level = "Thirteen 13";
  ASSERT_OK_AND_ASSIGN(auto bad, inputs->MakeRelease("202612.15.0", 64, false));
  ASSERT_OK_AND_ASSIGN(auto keys, tuf::RoleKeySet::Load(repo.keydir, true));
  auto r = release::PublishRelease(repo.dir, keys, bad.dir, {});
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(),
            "the release's os-release (its UKI's .osrel) says SYSEXT_LEVEL='Thirteen 13': not a "
            "level (lower-case letters, digits, '.', '_', '-', at most 64); rebuild the image");
  ASSERT_OK_AND_ASSIGN(tuf::Targets after, tuf::Repository::ReadTargets(repo.dir));
  EXPECT_EQ(after.targets.size(), t.targets.size());
}

}  // namespace
}  // namespace hull::slot

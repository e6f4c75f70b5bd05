// Changing what a published release says about itself (docs/update.md
// "Withdrawing a release", "Raising a staged rollout"): the one rule of which
// targets make up release V of a flavor and arch (its pieces, the deltas and
// chunk index that lead to it: every target whose custom "version" is V), and
// of how a change to their custom metadata is published (one new targets
// version, snapshot and timestamp re-signed; the files stay). `hull release
// pull` (pull.h) and `hull release rollout` (rollout.h) edit through it.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tuf/repository.h"

namespace hull::release {

struct ReleaseRef {
  std::string version;
  std::string flavor, arch;  // empty: every flavor / architecture publishing the version
};

// Target name -> its custom metadata.
using CustomOf = std::map<std::string, nlohmann::json>;

// Given every target of the release, returns the ones to change with their
// new custom metadata (empty: nothing to sign), or an error (nothing written).
using ReleaseEditFn = std::function<Result<CustomOf>(const CustomOf& of_release)>;

struct EditResult {
  std::vector<std::string> targets;  // every target of the release
  bool changed = false;              // false: nothing signed
};

// Errors: kInvalidArgument for a malformed version; kNotFound when no target
// names the version (for the flavor and arch given), or the keys are not at
// hand (before any write); `edit`'s errors; the repository's errors.
// With `sign_offline` the change is composed and the signing directory
// written (release/offline.h; `command` names the command), nothing signed.
Result<EditResult> EditRelease(const std::string& repo, const tuf::RoleKeySet& keys,
                               const ReleaseRef& ref, const tuf::Expiry& expiry,
                               const ReleaseEditFn& edit, const std::string& sign_offline = {},
                               const std::string& command = {});

}  // namespace hull::release

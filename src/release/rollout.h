// Raising a published release's staged rollout (`hull release rollout`,
// docs/update.md "Raising a staged rollout"): every target of the release
// (release/edit.h) gets custom "rollout_percent": P in one new targets
// version, signed and published like a release. A node installs a release at
// P% when its bucket (slot::RolloutBucket) is below P, so raising P only adds
// nodes. Lowering P is refused unless asked for: it stops the release from
// reaching more nodes, but a node already running it stays on it (the node
// never moves to an older version by itself; slot::ChooseRelease).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tuf/repository.h"

namespace hull::release {

struct RolloutOptions {
  std::string flavor, arch;  // empty: every flavor / architecture publishing the version
  bool allow_lower = false;  // permit a percentage below the current one
  tuf::Expiry expiry;        // of the targets, snapshot and timestamp signed
  std::string sign_offline;  // non-empty: write this signing directory, sign nothing
};

struct RolloutResult {
  std::vector<std::string> targets;  // every target of the release
  uint64_t from = 100;               // the percentage before (the highest any target named)
  bool changed = false;              // false: already at that percentage, nothing signed
};

// Errors: kInvalidArgument for a percentage above 100 or a malformed
// version; kRefused for a withdrawn release (`hull release pull --undo`
// first) and for a percentage below the current one without allow_lower;
// kNotFound when the release is not published or the keys are not at hand
// (before any write); the repository's errors.
Result<RolloutResult> SetRollout(const std::string& repo, const tuf::RoleKeySet& keys,
                                 const std::string& version, uint64_t percent,
                                 const RolloutOptions& opts);

}  // namespace hull::release

// Withdrawing a published release (`hull release pull`, docs/update.md
// "Withdrawing a release"): the operator's manual stop, in the repository.
// Every target of the release (its pieces, the deltas and chunk index that
// lead to it) gets custom "withdrawn": true (tuf::kWithdrawnKey) in one new
// targets version, signed and published like a release; nodes pass it over
// (slot::ChooseRelease). Undoing removes the key again. The files stay.
// The targets and the signing are release/edit.h's.
#pragma once

#include <string>
#include <vector>

#include "tuf/repository.h"

namespace hull::release {

struct PullOptions {
  std::string flavor, arch;  // empty: every flavor / architecture publishing the version
  bool undo = false;         // restore: withdrawn no more
  tuf::Expiry expiry;        // of the targets, snapshot and timestamp signed
  std::string sign_offline;  // non-empty: write this signing directory, sign nothing
};

struct PullResult {
  std::vector<std::string> targets;  // every target of the release
  bool changed = false;              // false: already in that state, nothing signed
};

// Errors: kInvalidArgument for a malformed version; kNotFound when no target
// names the version (for the flavor and arch given), or the keys are not at
// hand (before any write); the repository's errors.
Result<PullResult> PullRelease(const std::string& repo, const tuf::RoleKeySet& keys,
                               const std::string& version, const PullOptions& opts);

}  // namespace hull::release

// The check before download (slot/trust.h) for a release read from a TUF
// repository: its pieces' signed lengths, its declaration (the usr
// target's custom "release"), the slot the installer will write (the same
// choice: `target_slot` when >= 0, else TargetSlot from the active root
// hash) and the node's trust set.
#pragma once

#include <string>

#include "slot/choose.h"
#include "slot/trust.h"
#include "tuf/client.h"

namespace hull::slot {

// CheckBeforeDownload's errors and result; kCorrupt for a malformed
// declaration; kUnavailable when the disk has no inactive slot (or
// `target_slot` is not one of its slots). `trust` null: an empty set.
Result<Signers> CheckReleaseBeforeDownload(tuf::Client& client, const DiskState& st,
                                           const SlotRelease& release,
                                           const std::string& active_root_hash, int target_slot,
                                           const TrustSet* trust);

// Whether an error of CheckReleaseBeforeDownload or VerifySigners is the
// release's own (its declaration, sizes or signers: checking it again gives
// the same answer) rather than this node's or this run's.
bool IsReleasesOwn(ErrorCode code);

}  // namespace hull::slot

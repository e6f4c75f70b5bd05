// The check before download (slot/trust.h) for a release read from a TUF
// repository: its pieces' signed lengths, its declaration (the usr
// target's custom "release"), the slot the installer will write (the same
// choice: TargetSlot from the active root hash) and the node's trust set.
#pragma once

#include <string>

#include "slot/choose.h"
#include "slot/trust.h"
#include "tuf/client.h"

namespace hull::slot {

// CheckBeforeDownload's errors and result; kCorrupt for a malformed
// declaration; kUnavailable when the disk has no inactive slot. `trust`
// null: an empty set.
Result<Signers> CheckReleaseBeforeDownload(tuf::Client& client, const DiskState& st,
                                           const SlotRelease& release,
                                           const std::string& active_root_hash,
                                           const TrustSet* trust);

}  // namespace hull::slot

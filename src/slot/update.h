// Releases as slot payloads in a TUF repository (docs/update.md), and the
// node-side apply: TUF client workflow -> newest eligible release -> the
// four payload targets downloaded and checked against their TUF length and
// hashes -> the slot installer.
//
// Target layout: one target per payload piece, named
//   hull-<flavor>-<arch>-<version>.<file>   (file: usr.erofs, usr.verity,
//                                            usr.verity-sig, uki.efi)
// each with custom {"flavor", "arch", "version", "channel",
// "rollout_percent", "payload": "usr"|"verity"|"signature"|"uki",
// "root_hash"}, so `hull update check` and `hull release ls` see each piece
// as part of the release <version>.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "slot/installer.h"
#include "tuf/client.h"
#include "tuf/repository.h"

namespace hull::slot {

struct ReleaseInfo {
  std::string flavor = "immutable", arch = "amd64", channel = "stable";
  uint64_t rollout_percent = 100;
};

// Publishes the payload directory's four pieces (LoadPayload checks it first).
// Returns the target names.
Result<std::vector<std::string>> PublishPayload(const std::string& repo,
                                                const tuf::RoleKeySet& keys,
                                                const std::string& payload_dir,
                                                const ReleaseInfo& info);

struct ApplyFilters {
  std::string flavor, arch, channel;  // empty = any
  std::set<std::string> skip_versions;  // recorded as bad on this node: never chosen
};

struct ApplyResult {
  std::string version, root_hash;
  bool up_to_date = false;  // the active slot already runs it: nothing done
  uint64_t downloaded = 0;  // bytes fetched
  uint64_t full_size = 0;   // bytes of the four pieces
  InstallResult install;
};

// Refreshes the client's metadata, picks the newest release that has all four
// payload targets and matches the filters, and installs it unless the active
// slot already holds its root hash. kNotFound when no release is eligible;
// TUF errors (kVerifyFailed for a hash or length mismatch, ...) before
// anything is written; then Install's errors.
Result<ApplyResult> ApplyUpdate(tuf::Client& client, DiskIo& disk, EspIo& esp,
                                const ApplyFilters& filters, const InstallOptions& options = {});

}  // namespace hull::slot

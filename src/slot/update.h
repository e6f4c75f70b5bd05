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
// as part of the release <version>. The host writes these targets
// (src/release, release/publish.h); this is the node's reading of them.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "slot/installer.h"
#include "tuf/client.h"

namespace hull::slot {

struct ApplyFilters {
  std::string flavor, arch, channel;  // empty = any
  // Versions this node recorded as bad: never chosen.
  std::set<std::string> skip_versions;
  // Staged rollout: a release with rollout_percent P is eligible when
  // RolloutBucket(machine_id, version) < P. Empty = every release eligible.
  std::string machine_id;
};

// SHA-256("hull-rollout\0" + version + "\0" + machine_id): its first 8 bytes
// as a big-endian integer, mod 100. Stable per (node, release), independent
// between releases, so each release reaches its own P% of the fleet.
uint32_t RolloutBucket(const std::string& machine_id, const std::string& version);

// How one piece was obtained.
struct PieceMethod {
  std::string method;   // "delta from <v>", "chunks: F of N fetched", "recomputed", "full"
  uint64_t downloaded = 0;
  uint64_t full_size = 0;  // the piece's target length
  std::string fallback;    // why a cheaper method was not used ("" when none was tried)
};

struct ApplyResult {
  std::string version, root_hash;
  bool up_to_date = false;  // the active slot already runs it: nothing done
  uint64_t downloaded = 0;  // bytes fetched (targets, chunks)
  uint64_t full_size = 0;   // bytes of the four pieces
  // "usr", "verity", "signature", "uki" -> how it was obtained.
  std::map<std::string, PieceMethod> pieces;
  // Newer releases passed over: "<version>: <reason>" (rollout bucket, skipped).
  std::vector<std::string> held_back;
  uint64_t peak_rss = 0;  // bytes (getrusage ru_maxrss) after the apply
  InstallResult install;
};

// Refreshes the client's metadata, picks the newest eligible release (all
// four payload targets, the filters, not skipped, inside its rollout), and
// installs it unless the active slot already holds its root hash. Per piece
// the cheapest verified path: usr from the delta whose from_root_hash is the
// active slot's, else chunks seeded from the active slot, else the full
// target; verity recomputed from the usr image when its parameters are
// published (kept only when it matches the target's SHA-256), else
// downloaded; the UKI from a delta against the active slot's UKI, else full.
// Every piece matches its target's length and SHA-256 before the installer
// sees it. kNotFound when no release is eligible; TUF errors (kVerifyFailed
// naming the target for a hash or length mismatch) before anything is
// written; then Install's errors.
Result<ApplyResult> ApplyUpdate(tuf::Client& client, DiskIo& disk, EspIo& esp,
                                const ApplyFilters& filters, const InstallOptions& options = {});

}  // namespace hull::slot

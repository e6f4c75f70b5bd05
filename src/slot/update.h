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

#include "slot/choose.h"
#include "slot/installer.h"
#include "tuf/client.h"

namespace hull::slot {

// How one piece was obtained.
struct PieceMethod {
  std::string method;  // "delta from <v>", "chunks: F of N fetched", "recomputed", "full"
  uint64_t downloaded = 0;
  uint64_t full_size = 0;  // the piece's target length
  std::string fallback;    // why a cheaper method was not used ("" when none was tried)
};

struct ApplyResult {
  std::string version, root_hash;
  bool up_to_date = false;  // nothing newer is eligible: nothing done
  // The channel's newest release (`version`) is older than the active one:
  // nothing done (a node never downgrades).
  bool ahead_of_channel = false;
  uint64_t downloaded = 0;  // bytes fetched (targets, chunks)
  uint64_t full_size = 0;   // bytes of the four pieces
  // "usr", "verity", "signature", "uki" -> how it was obtained.
  std::map<std::string, PieceMethod> pieces;
  // Newer releases passed over: "<version>: <reason>" (rollout bucket, skipped).
  std::vector<std::string> held_back;
  uint64_t peak_rss = 0;  // bytes (getrusage ru_maxrss) after the apply
  InstallResult install;
};

// Downloads go into a fresh "<DownloadParent()>/hull-update-XXXXXX",
// removed when the apply returns; a process killed before leaves it behind
// for its next start to sweep. DownloadParent: $TMPDIR, else /var/tmp.
inline constexpr const char* kDownloadPrefix = "hull-update";
std::string DownloadParent();

// The releases among `targets` with a complete slot payload: all four
// pieces, one root hash; the rollout of the usr piece.
std::vector<SlotRelease> SlotReleases(const tuf::Targets& targets);

// Refreshes the client's metadata and makes the choice of ChooseRelease
// (choose.h) for the disk as Installed (choose.h) reads it (the agent's
// decision reads it the same way), then ApplyRelease.
// Without an install: `up_to_date` (with the version reached) or
// `ahead_of_channel` (with the channel's newest), nothing written.
// Only releases of the disk's architecture (ReleaseArchOfDisk) are chosen:
// an empty filters.arch is the disk's, another is kInvalidArgument.
// kNotFound when no release matches or every newer one is held back; TUF
// errors before anything is written; then ApplyRelease's.
// The Debian architecture (node/arch.h) of a disk: that of the DPS type of
// its first slot's usr partition whose type names one. kCorrupt when none.
Result<std::string> DiskArch(const DiskState& st);

// The architecture whose releases a disk takes (`hull update apply`, and
// `hull update check --disk`): its own (DiskArch). `given` (an --arch) may
// be empty or that one; another is kInvalidArgument naming both and the fix.
Result<std::string> ReleaseArchOfDisk(const DiskState& st, const std::string& given);

Result<ApplyResult> ApplyUpdate(tuf::Client& client, DiskIo& disk, EspIo& esp,
                                const ApplyFilters& filters, const InstallOptions& options = {});

// Installs `release` (one of SlotReleases(client.targets()), the client
// refreshed). Before any byte of it: CheckReleaseBeforeDownload
// (release_check.h; its sizes against the target slot, its declared
// signers against options.trust), whose errors come first; after the
// download, VerifySigners (trust.h) against the certificates matched.
// Per piece the cheapest verified path: usr from the delta whose
// from_root_hash is the active slot's, else chunks seeded from the active
// slot, else the full target; verity recomputed from the usr image when its
// parameters are published (kept only when it matches the target's
// SHA-256), else downloaded; the UKI from a delta against the active slot's
// UKI, else full. Every piece matches its target's length and SHA-256
// before the installer sees it: TUF errors (kVerifyFailed naming the target
// for a hash or length mismatch) before anything is written; then Install's
// errors. `refused` as Install sets it: the error is the release's own (a
// download error, which another run may not meet, is not).
Result<ApplyResult> ApplyRelease(tuf::Client& client, DiskIo& disk, EspIo& esp,
                                 const SlotRelease& release, const InstallOptions& options = {},
                                 bool* refused = nullptr);

}  // namespace hull::slot

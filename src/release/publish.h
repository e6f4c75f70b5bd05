// Publishing a release into a TUF repository with what a node needs to
// download only what changed (docs/update.md, docs/delta.md "In releases"):
//
//   hull-<F>-<A>-<V>.usr.erofs / .usr.verity / .usr.verity-sig / .uki.efi
//       the four payload pieces (payload "usr", "verity", "signature", "uki");
//       the verity target's custom "verity" object holds the tree parameters
//       (verity::PublishedParams) so a client can recompute the tree from the
//       usr image;
//   hull-<F>-<A>-<V>.usr.from-<W>.zst   payload "usr-delta": zstd patch
//       (src/delta MakePatch) from release W's usr image to V's;
//   hull-<F>-<A>-<V>.uki.from-<W>.zst   payload "uki-delta": the same for the UKI;
//       both with custom "from": W, "from_root_hash": W's root hash;
//   hull-<F>-<A>-<V>.usr.cidx           payload "usr-chunks": the chunk index
//       of the usr image; its chunks live in the repository's shared store
//       <repo>/chunks/ab/<sha256>.zst (no targets of their own: the signed
//       index names each chunk's SHA-256).
// W ranges over the last K releases of the same flavor and arch (any
// channel) older than V; the old pieces are read from <repo>/targets. All
// targets of a release are added in one signed targets version.
//
// Host side: a node reads these targets with slot::ApplyUpdate (slot/update.h,
// which documents the target names and custom fields both sides keep).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "delta/chunk_store.h"
#include "tuf/repository.h"

namespace hull::release {

struct ReleaseInfo {
  // arch: Debian's name (node/arch.h). Empty: the payload's, from its UKI's
  // COFF machine; given, it must be the payload's (kInvalidArgument otherwise).
  std::string flavor = "immutable", arch, channel = "stable";
  uint64_t rollout_percent = 100;
};

struct PublishOptions {
  ReleaseInfo info;
  unsigned deltas = 4;   // K: deltas from the last K releases of flavor+arch
  int delta_level = 15;  // zstd level of the patches (19: smallest, minutes per GB)
  int chunk_level = 9;   // zstd level of new chunks
  bool chunks = true;    // false: no chunk index (nodes without a delta download whole)
  unsigned threads = 0;  // zstd workers for patches; 0 = single-threaded
  delta::ChunkerParams chunker;
  std::string expect_version;  // non-empty: refuse (kInvalidArgument) a payload of another version
  tuf::Expiry expiry;          // of the targets, snapshot and timestamp signed for the release
  // Non-empty: compose the targets and stop, writing this signing directory
  // (release/offline.h); no keys are needed, the metadata stays as it is.
  std::string sign_offline;
};

struct PublishStep {
  std::string name;  // "extract", "verify", "delta usr from <W>", "chunks", "sign", ...
  double seconds = 0;
  uint64_t bytes = 0;  // output size of the step (0 when none)
};

struct PublishResult {
  std::string version, root_hash;
  std::vector<std::string> targets;     // names added
  std::vector<std::string> delta_from;  // versions W
  delta::SplitStats chunks;
  uint64_t full_bytes = 0;  // the four payload pieces
  std::vector<PublishStep> steps;
};

// SOURCE: a payload directory (payload.json), a build output directory
// holding disk.raw, or a disk image (its default slot is extracted as `hull
// slot extract` does, into a temp dir). Errors: kInvalidArgument for another
// kind of source or an arch that is not the payload's UKI's, kAlreadyExists
// when V of F/A is already published,
// LoadPayload/VerifyPayload errors, the delta and repository errors; kNotFound
// before any work when the targets, snapshot or timestamp keys are not at hand
// (none are needed with opts.sign_offline; kAlreadyExists, before any work,
// when its directory is not new or empty).
Result<PublishResult> PublishRelease(const std::string& repo, const tuf::RoleKeySet& keys,
                                     const std::string& source, const PublishOptions& opts);

// Publishes the payload directory as PublishRelease does with default
// options. Returns the target names, the four pieces first.
Result<std::vector<std::string>> PublishPayload(const std::string& repo,
                                                const tuf::RoleKeySet& keys,
                                                const std::string& payload_dir,
                                                const ReleaseInfo& info);

}  // namespace hull::release

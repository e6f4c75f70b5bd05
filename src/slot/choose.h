// Which release a node installs (docs/update.md "Which release"): one pure
// rule shared by `hull update apply` (slot::ApplyUpdate) and the agent's
// decision (agent/decide.h), so the two cannot choose differently.
//
// Versions compare with CompareVersions (boot_count.h), the order
// systemd-boot boots entries in: for YYYYMM.DD.N it is part by part as
// integers. A node never moves to an older version: an entry that sorts
// below the installed ones would never boot, and the update would repeat
// at every boot.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "slot/state.h"

namespace hull::slot {

struct Delta {
  std::string target, from, from_root_hash;
};

// A release with a complete slot payload (all four pieces, one root hash),
// as the repository describes it; plain data, so the choice is testable
// without a repository.
struct SlotRelease {
  std::string version, root_hash;
  std::string flavor, arch, channel;
  uint64_t rollout_percent = 100;
  bool withdrawn = false;  // by its publisher (tuf::IsWithdrawn on any of its targets)
  std::map<std::string, std::string> targets;  // piece key -> target name
  std::vector<Delta> usr_deltas, uki_deltas;
  std::string chunks;  // the usr-chunks target ("" when none)
  uint64_t bytes = 0;  // the four pieces
};

// A release this node downloaded and refused for what its own signed bytes
// are (a failed payload check, a piece larger than its partition): checking
// it again would give the same answer, so it is not downloaded again.
struct Refusal {
  std::string version, root_hash, reason;
};

struct ApplyFilters {
  std::string flavor, arch, channel;  // empty = any
  // Versions this node recorded as bad: never chosen. Compared with
  // CompareVersions, so "202612.08.0" and "202612.8.0" are one version.
  std::set<std::string> skip_versions;
  // Releases refused earlier: never chosen while their root hash is the
  // refused one (a release published again with other bytes is tried).
  std::vector<Refusal> refused;
  // Staged rollout: a release with rollout_percent P < 100 is eligible when
  // RolloutBucket(machine_id, version) < P. Empty (no machine id): only
  // releases at 100% are eligible.
  std::string machine_id;
};

// SHA-256("hull-rollout\0" + version + "\0" + machine_id): its first 8 bytes
// as a big-endian integer, mod 100. Stable per (node, release), independent
// between releases, so each release reaches its own P% of the fleet.
uint32_t RolloutBucket(const std::string& machine_id, const std::string& version);

// What the disk runs and holds, as far as the choice needs it.
struct InstalledFacts {
  std::string active_version;    // "" when unknown: every release is newer
  std::string active_root_hash;  // hex
  // Versions of the boot entries on the ESP (bad ones included: a release
  // not newer than an entry could sort below it).
  std::vector<std::string> entry_versions;
};

// The one reading of what a disk runs, for `hull update apply` and the
// agent alike: the active root hash is `active_usrhash` (the booted one),
// else the default entry's; versions are those of the entries' file names
// ("hull_<v>", the order systemd-boot boots them in, node::VersionOfStem);
// the active version is that of the first entry naming the active root
// hash, else the active slot's label ("usr_<v>"), else "".
InstalledFacts Installed(const DiskState& st, const std::string& active_usrhash);

enum class ChoiceKind {
  kInstall,         // `release` is newer than what runs and every entry
  kUpToDate,        // nothing newer is eligible (`newest`: the eligible release reached, if any)
  kAheadOfChannel,  // the newest matching release is older than the active version
  kNoRelease,       // no release matches the flavor, arch and channel
};

struct Choice {
  ChoiceKind kind = ChoiceKind::kNoRelease;
  const SlotRelease* release = nullptr;  // kInstall: into `releases`
  std::string newest;                    // kUpToDate / kAheadOfChannel: a version
  // Newer releases passed over: "<version>: <reason>" (bad, rollout, not
  // newer than an installed entry).
  std::vector<std::string> held_back;
};

// Why a withdrawn release is not installed (held back, or refused by name).
inline constexpr const char* kWithdrawnReason =
    "withdrawn by its publisher (hull release pull): never installed";

// `releases` in any order. Walking the matching releases newest first: a
// bad (skipped) or refused release is held back; the first one not newer than the
// active version, or holding the active root hash, ends the walk (up to
// date: a node running a withdrawn release stays on it); one withdrawn, not
// newer than every entry, or outside its rollout, is held back; the first
// left is installed. When the newest matching release is
// older than the active version the node is ahead of its channel and
// nothing is chosen, whatever the other rules say.
Choice ChooseRelease(const std::vector<SlotRelease>& releases, const ApplyFilters& filters,
                     const InstalledFacts& installed);

}  // namespace hull::slot

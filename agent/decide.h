// The agent's update policy as one pure function (docs/agent.md "The
// decision"): what this node should do now, from what it knows. `hull-agent
// update` gathers the facts, calls Decide, carries the action out, and asks
// again after the two actions that change the facts (recording rollbacks,
// reading the repository), so every rule lives here and is unit-tested.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/node.h"
#include "base/result.h"
#include "node/config.h"
#include "slot/choose.h"
#include "slot/state.h"

namespace hull::agent {

struct DecideInput {
  Node node;             // the booted image: version, usrhash, flavor, arch, machine id
  slot::DiskState disk;  // slots and boot entries (in boot order)
  node::UpdateConfig config;
  bool now = false;  // `update --now`: install although upgrade_channel is None
  std::set<std::string> bad_versions;
  // The repository's releases (slot::SlotReleases after a TUF refresh), or
  // the refresh's error; absent until read.
  std::optional<Result<std::vector<slot::SlotRelease>>> releases;
};

enum class ActionKind {
  kRecordRollbacks,  // record `rollbacks` as bad, remove their entries; decide again
  kIdle,             // nothing to do now, because `reason`
  kReboot,           // `entry` (`version`) is installed and waits for its trial
  kCheckRepository,  // read the repository; decide again with `releases`
  kError,            // report `error`
  kInstall,          // install `release` into slot `slot`, then reboot
  kUpToDate,         // nothing newer is eligible (`version`: the release reached)
  kAheadOfChannel,   // the channel's newest release, `version`, is older than the running one
};
// "record-rollbacks", "idle", "reboot", "check-repository", "error",
// "install", "up-to-date", "ahead-of-channel".
const char* ActionName(ActionKind kind);

struct FailedEntry {
  std::string version, file;
};

struct Action {
  ActionKind kind = ActionKind::kIdle;
  std::string reason;
  std::string version;
  std::string entry;                         // kReboot: the entry's file
  std::string slot;                          // kInstall: "A", "B", ...
  std::optional<slot::SlotRelease> release;  // kInstall
  std::vector<FailedEntry> rollbacks;        // kRecordRollbacks
  std::vector<std::string> held_back;        // kInstall / kUpToDate: newer releases passed over
  std::optional<Error> error;                // kError
};

// The first rule that applies, in this order:
//  1. an entry of another version than the running one used every try
//     without being blessed (systemd-boot fell back from it) -> record it;
//  2. no repository configured -> idle;
//  3. upgrade_channel None without `now` -> idle;
//  4. the booted entry still has a boot counter (on trial) -> idle until
//     the health gate blesses it;
//  5. the default entry is another one, newer than the running version and
//     on trial (installed, not booted yet) -> reboot into it;
//  6. releases not read -> check the repository; a read error -> error;
//  7. slot::ChooseRelease with the node's flavor, arch, channel, bad
//     versions and machine id (rollout), the running version and the
//     entries' versions: install (into slot::TargetSlot's slot; an error
//     when the disk has no other slot), up to date, ahead of channel, or,
//     when no release matches, idle.
Action Decide(const DecideInput& in);

// The boot entry whose usrhash= is `usrhash` (the booted one), first in boot
// order; nullptr when none.
const slot::Uki* BootedEntry(const slot::DiskState& state, const std::string& usrhash);

}  // namespace hull::agent

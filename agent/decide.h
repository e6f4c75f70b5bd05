// The agent's update policy as one pure function (docs/agent.md "The
// decision"): what this node should do now, from what it knows. `hull-agent
// update` gathers the facts, calls Decide, carries the action out, and asks
// again after the two actions that change the facts (recording rollbacks,
// reading the repository), so every rule lives here and is unit-tested.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/node.h"
#include "base/result.h"
#include "node/config.h"
#include "slot/choose.h"
#include "slot/state.h"

namespace hull::agent {

struct DecideInput {
  Node node;             // the booted image: usrhash, flavor, arch, machine id
  slot::DiskState disk;  // slots and boot entries (in boot order)
  node::UpdateConfig config;
  bool now = false;  // `update --now`: install although upgrade_channel is None
  // `update --to VERSION [--allow-downgrade]`: that release and no other
  // (its rollout ignored), older than the running one only when allowed.
  std::string to_version;
  bool allow_downgrade = false;
  // false: `update --no-reboot`: a reboot is left for a later run (idle),
  // an install is still made (and so still takes a slot first, L2).
  bool reboot = true;
  std::set<std::string> bad_versions;
  std::vector<slot::Refusal> refused;  // releases refused earlier (agent state)
  // The entry file the agent last rebooted into (agent state): rule 5
  // reboots into a pending entry once, not at every run.
  std::string rebooted_into;
  // The repository's releases (slot::SlotReleases after a TUF refresh), or
  // the refresh's error; absent until read.
  std::optional<Result<std::vector<slot::SlotRelease>>> releases;
  // Reboot coordination (docs/fleetlock.md "The agent"; config.fleetlock):
  // the FleetLock slot the agent state records as held, the version it was
  // taken to boot, and whether the health gate passed on this boot.
  bool slot_held = false;
  std::string slot_version;
  bool gate_passed = false;
};

enum class ActionKind {
  kRecordRollbacks,  // record `rollbacks` as bad, remove their entries; decide again
  kIdle,             // nothing to do now, because `reason`
  kReboot,           // `entry` (`version`) is installed and waits for its trial
  kCheckRepository,  // read the repository; decide again with `releases` (`version`: rule 5's
                     // pending one)
  kError,            // report `error`
  kInstall,          // install `release` into slot `slot`, then reboot
  kUpToDate,         // nothing newer is eligible (`version`: the release reached)
  kAheadOfChannel,   // the channel's newest release, `version`, is older than the running one
  kReleaseSlot,      // report `report` for `version` (if any), free the slot; decide again
};
// "record-rollbacks", "idle", "reboot", "check-repository", "error",
// "install", "up-to-date", "ahead-of-channel", "release-slot".
const char* ActionName(ActionKind kind);

// What the agent tells the FleetLock server about a version before freeing
// its slot (fleet/protocol.h).
enum class SlotReport { kNone, kHealthy, kRolledBack };
// "", "healthy", "rolled-back".
const char* SlotReportName(SlotReport report);

struct FailedEntry {
  std::string version, file;
  std::string reason = "";  // "": it used every boot try without passing the health gate
};

struct Action {
  ActionKind kind = ActionKind::kIdle;
  std::string reason;
  std::string version;
  std::string entry;     // kReboot: the entry's file
  std::string slot;      // kInstall: "A", "B", ...
  int target_slot = -1;  // kInstall: the index of `slot`
  // kInstall with --to and --allow-downgrade: entries of newer versions
  // are demoted after the install, so that the chosen one boots.
  bool downgrade = false;
  std::optional<slot::SlotRelease> release;  // kInstall
  std::vector<FailedEntry> rollbacks;        // kRecordRollbacks
  std::vector<std::string> held_back;        // kInstall / kUpToDate: newer releases passed over
  std::optional<Error> error;                // kError
  // kInstall / kReboot with config.fleetlock set: take a slot (pre-reboot
  // naming `version`, waiting with backoff) before installing or rebooting.
  bool take_slot = false;
  // kReleaseSlot: what to report for `version` first; `forget`: the
  // configuration names no server any more, so the record is dropped.
  SlotReport report = SlotReport::kNone;
  bool forget = false;
};

// The running version is that of the booted entry (slot::Installed: the
// entry naming the booted usrhash, by its file name, else the slot label).
// The first rule that applies, in this order:
//  1. the booted entry is blessed (not on trial) and an entry that is not
//     the booted one (by usrhash) nor of the running version used every try
//     without being blessed (systemd-boot fell back from it) -> record the
//     version of its file name (while on trial it is the fallback: kept);
//  2. no repository configured -> idle;
//  3. upgrade_channel None without `now` or `to_version` -> idle;
//  4. the booted entry still has a boot counter (on trial) and a failed
//     health gate would change what boots (RebootAfterFailedGate: tries
//     left, or another entry that is not bad) -> idle until the gate
//     blesses it; on the last try of the only bootable entry the rules
//     below go on (the gate has run before the update: hull-update.service
//     is After= hull-health.service);
//  5. the default entry is another one, newer than the running version and
//     on trial (installed, not booted yet) -> reboot into it, once: when it
//     is `rebooted_into` systemd-boot did not take it -> error; before the
//     reboot the releases are read (check the repository): a version its
//     publisher withdrew is recorded bad and its entry removed instead
//     (record-rollbacks, the withdrawal as reason); a read error still
//     reboots into it;
//  6. releases not read -> check the repository; a read error -> error;
//  7. with `to_version`: that release of the node's flavor and arch (any
//     channel): install; the running version -> up to date; older without
//     `allow_downgrade`, bad, or absent -> error;
//  8. slot::ChooseRelease with the node's flavor, arch, channel, bad and
//     refused versions and machine id (rollout), the running version and the
//     entries' versions: install (into slot::TargetSlot's slot; an error
//     when the running usrhash names no slot labelled usr_<v> or the disk
//     has no other slot), up to date, ahead of channel, or, when no release
//     matches, idle.
//
// Reboot coordination, with config.fleetlock set (docs/fleetlock.md "The
// agent"), around the rules above:
//  L1. after rule 1, a slot held while the booted entry is blessed (not on
//      trial) and the health gate passed on this boot -> release it:
//      report rolled-back for the slot's version when it is recorded bad,
//      healthy when it is the running version, then steady-state. With no
//      server configured any more the record is forgotten. Not while rule
//      5 reboots into the slot's version (installed under the slot, the
//      run ended before its reboot), or reads the releases before that
//      reboot: that reboot goes on under the slot;
//  L2. an install or a reboot takes a slot first (pre-reboot naming the
//      version, waiting), a slot held for that version too: the server may
//      have pruned the holder (--holder-ttl), and a pre-reboot is
//      idempotent for a holder.
//      An install takes it with `reboot` false too: the installed entry is
//      the default from then on, and the pre-reboot is where a halt is
//      learnt. Without `reboot`, a reboot is idle instead (no slot).
Action Decide(const DecideInput& in);

// The rules 1 to 8 alone (Decide adds L1 and L2).
Action DecideUpdate(const DecideInput& in);

// The boot entry whose usrhash= is `usrhash` (the booted one), first in boot
// order; nullptr when none.
const slot::Uki* BootedEntry(const slot::DiskState& state, const std::string& usrhash);

// The choice of rule 8 (also `hull-agent check`'s answer).
slot::Choice ChooseFor(const DecideInput& in, const std::vector<slot::SlotRelease>& releases);

// After installing `version` as `installed` (an older release, --to with
// --allow-downgrade): the renames (from, to) that make every entry of a
// newer version bad ("<stem>+0.efi"), so that systemd-boot boots the
// installed one first and still falls back to them if it fails.
std::vector<std::pair<std::string, std::string>> Demotions(const slot::DiskState& state,
                                                           const std::string& version,
                                                           const std::string& installed);

// The health gate failed: reboot only on a counted boot (the booted entry
// carries a counter) and only when that changes what boots -- the booted
// entry has tries left, or another entry that is not bad exists to fall
// back to. With neither, systemd-boot would boot the same bad entry
// again, for ever.
bool RebootAfterFailedGate(const slot::DiskState& state, const std::string& usrhash);

// The failed gate's reboot (RebootAfterFailedGate) with config.fleetlock
// set: a slot already held (the one this trial was booted under) covers it,
// never waiting; without one, it is taken first (a server that is down
// means wait, never reboot anyway).
enum class GateSlot { kNone, kCovered, kTake };
GateSlot SlotForGateReboot(const node::FleetLockConfig& config, bool slot_held);

// The version systemd-boot boots after the failed gate's reboot: the booted
// entry's while it has tries left, else the first other entry that is not
// bad (boot order), else the booted one's. "" when no entry is booted.
std::string VersionAfterGateReboot(const slot::DiskState& state, const std::string& usrhash);

}  // namespace hull::agent

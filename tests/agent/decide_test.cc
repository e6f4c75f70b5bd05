// The agent's update decision (agent/decide.h), one row per rule and edge:
// each row changes the base facts and names the action docs/agent.md's
// decision table gives for them.
#include "agent/decide.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <functional>

#include "base/hex.h"
#include "gpt/dps.h"

namespace hull::agent {
namespace {

constexpr const char* kV0 = "202611.24.0";
constexpr const char* kV1 = "202612.01.0";  // the base node runs it
constexpr const char* kV2 = "202612.08.0";
constexpr const char* kV3 = "202612.15.0";

std::string Hash(const std::string& version) {
  return fmt::format("{:064x}", std::hash<std::string>{}(version));
}

slot::Slot Slot(int index, const std::string& version) {
  slot::Slot s;
  s.index = index;
  s.version = version;
  if (version.empty()) return s;
  auto uuids = gpt::DpsVerityUuids(*HexDecode(Hash(version)));
  s.usr.uuid = uuids->data;
  s.verity.uuid = uuids->verity;
  return s;
}

slot::Uki Entry(const std::string& version, const std::string& counter = "") {
  slot::Uki u;
  u.file = "hull_" + version + counter + ".efi";
  u.entry = *node::ParseEntryName(u.file);
  u.version = version;
  u.usrhash = Hash(version);
  return u;
}

// A release its publisher withdrew (`hull release pull`).
slot::SlotRelease Withdrawn(const std::string& version) {
  slot::SlotRelease r;
  r.version = version;
  r.root_hash = Hash(version);
  r.flavor = "immutable";
  r.arch = "amd64";
  r.channel = "stable";
  r.withdrawn = true;
  return r;
}

slot::SlotRelease Release(const std::string& version, uint64_t rollout = 100) {
  slot::SlotRelease r;
  r.version = version;
  r.root_hash = Hash(version);
  r.flavor = "immutable";
  r.arch = "amd64";
  r.channel = "stable";
  r.rollout_percent = rollout;
  return r;
}

using Releases = std::vector<slot::SlotRelease>;

// A node running kV1 from slot A (slot B empty), its entry blessed, the
// repository read and holding kV0, kV1 and kV2 for its flavor, arch and channel.
DecideInput Base() {
  DecideInput in;
  in.node = {.usrhash = Hash(kV1), .version = kV1, .flavor = "immutable", .arch = "amd64"};
  in.disk.slots = {Slot(0, kV1), Slot(1, "")};
  in.disk.ukis = {Entry(kV1)};
  in.config.repository = "http://updates.example/";
  in.releases = Releases{Release(kV0), Release(kV1), Release(kV2)};
  return in;
}

// A machine id whose rollout bucket for `version` is below 50 or not.
std::string MachineId(const std::string& version, bool below_50) {
  for (int i = 0;; ++i) {
    std::string id = fmt::format("{:032x}", i);
    if ((slot::RolloutBucket(id, version) < 50) == below_50) return id;
  }
}

void SetReleases(DecideInput& in, Releases r) { in.releases = std::move(r); }

// The node runs `version` from slot A, slot B empty.
void Runs(DecideInput& in, const std::string& version) {
  in.node.version = version;
  in.node.usrhash = Hash(version);
  in.disk.slots = {Slot(0, version), Slot(1, "")};
  in.disk.ukis = {Entry(version)};
}

// An entry whose UKI's os-release says `osrel` (the file name says `version`).
slot::Uki EntrySaying(const std::string& version, const std::string& counter,
                      const std::string& osrel) {
  slot::Uki u = Entry(version, counter);
  u.version = osrel;
  return u;
}

struct Row {
  const char* name;
  std::function<void(DecideInput&)> given;
  ActionKind kind;
  std::string version = "";
  std::string detail =
      "";  // slot, entry, a reason's words, "version file", an error message's words
  size_t held_back = 0;
};

const std::vector<Row>& Table() {
  static const std::vector<Row> rows = {
      // Releases and versions.
      {"newer release", [](DecideInput&) {}, ActionKind::kInstall, kV2, "B"},
      {"newest of two newer",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV2), Release(kV3), Release(kV1)});
       },
       ActionKind::kInstall, kV3, "B"},
      {"same version only",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV0), Release(kV1)});
       },
       ActionKind::kUpToDate, kV1},
      {"same version, another root hash: not newer",
       [](DecideInput& in) {
         slot::SlotRelease r = Release(kV1);
         r.root_hash = Hash("rebuilt");
         SetReleases(in, {r});
       },
       ActionKind::kUpToDate, kV1},
      {"newer version holding the running root hash",
       [](DecideInput& in) {
         slot::SlotRelease r = Release(kV2);
         r.root_hash = Hash(kV1);
         SetReleases(in, {r});
       },
       ActionKind::kUpToDate, kV2},
      {"channel's newest older: never a downgrade",
       [](DecideInput& in) { SetReleases(in, {Release(kV0)}); }, ActionKind::kAheadOfChannel, kV0,
       "never downgrades"},
      {"running an unpublished newer build",
       [](DecideInput& in) {
         in.node.version = kV3;
         in.node.usrhash = Hash(kV3);
         in.disk.slots = {Slot(0, kV3), Slot(1, kV1)};
         in.disk.ukis = {Entry(kV3), Entry(kV1)};
       },
       ActionKind::kAheadOfChannel, kV2},
      {"ahead of channel even when the newest is bad",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV0)});
         in.bad_versions = {kV0};
       },
       ActionKind::kAheadOfChannel, kV0},
      {"versions compare as integers: .10 after .9",
       [](DecideInput& in) {
         Runs(in, "202612.9.0");
         SetReleases(in, {Release("202612.10.0"), Release("202612.9.0")});
       },
       ActionKind::kInstall, "202612.10.0", "B"},
      {"versions compare as integers: .9 before .10",
       [](DecideInput& in) {
         Runs(in, "202612.10.0");
         SetReleases(in, {Release("202612.9.0")});
       },
       ActionKind::kAheadOfChannel, "202612.9.0"},
      // Bad versions.
      {"newest bad: the next newer one",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Release(kV2), Release(kV3)});
         in.bad_versions = {kV3};
       },
       ActionKind::kInstall, kV2, "B", 1},
      {"every newer one bad: up to date", [](DecideInput& in) { in.bad_versions = {kV2}; },
       ActionKind::kUpToDate, kV1, "", 1},
      {"every newer one bad, running unpublished",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV2), Release(kV3)});
         in.bad_versions = {kV2, kV3};
       },
       ActionKind::kUpToDate, "", "", 2},
      {"an older bad version changes nothing", [](DecideInput& in) { in.bad_versions = {kV0}; },
       ActionKind::kInstall, kV2, "B"},
      // Staged rollout.
      {"rollout: this node's bucket is in",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Release(kV2, 50)});
         in.node.machine_id = MachineId(kV2, true);
       },
       ActionKind::kInstall, kV2, "B"},
      {"rollout: this node's bucket is out",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Release(kV2, 50)});
         in.node.machine_id = MachineId(kV2, false);
       },
       ActionKind::kUpToDate, kV1, "", 1},
      {"rollout: newest out, the one before it in",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Release(kV2), Release(kV3, 50)});
         in.node.machine_id = MachineId(kV3, false);
       },
       ActionKind::kInstall, kV2, "B", 1},
      {"rollout 0%: held back",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Release(kV2, 0)});
         in.node.machine_id = "any";
       },
       ActionKind::kUpToDate, kV1, "", 1},
      {"rollout without a machine id: not in a partial rollout",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Release(kV2, 99)});
       },
       ActionKind::kUpToDate, kV1, "", 1},
      {"rollout without a machine id: 100% still applies",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Release(kV2, 99), Release(kV3)});
       },
       ActionKind::kInstall, kV3, "B"},
      // What the node is: channel, flavor, arch.
      {"newer release in another channel",
       [](DecideInput& in) {
         slot::SlotRelease r = Release(kV2);
         r.channel = "beta";
         SetReleases(in, {Release(kV1), r});
       },
       ActionKind::kUpToDate, kV1},
      {"no release in the node's channel", [](DecideInput& in) { in.config.channel = "beta"; },
       ActionKind::kIdle, "", "no release of flavor 'immutable', arch 'amd64' in channel 'beta'"},
      {"the node's channel has the newer release",
       [](DecideInput& in) {
         in.config.channel = "beta";
         slot::SlotRelease r = Release(kV2);
         r.channel = "beta";
         SetReleases(in, {Release(kV3), r});
       },
       ActionKind::kInstall, kV2, "B"},
      {"newer release of another flavor",
       [](DecideInput& in) {
         slot::SlotRelease r = Release(kV2);
         r.flavor = "aks";
         SetReleases(in, {Release(kV1), r});
       },
       ActionKind::kUpToDate, kV1},
      {"no release of the node's flavor", [](DecideInput& in) { in.node.flavor = "aks"; },
       ActionKind::kIdle, "", "flavor 'aks'"},
      {"newer release for another arch",
       [](DecideInput& in) {
         slot::SlotRelease r = Release(kV2);
         r.arch = "arm64";
         SetReleases(in, {Release(kV1), r});
       },
       ActionKind::kUpToDate, kV1},
      {"no release for the node's arch", [](DecideInput& in) { in.node.arch = "arm64"; },
       ActionKind::kIdle, "", "arch 'arm64'"},
      // Boot counting.
      {"boot still on trial", [](DecideInput& in) { in.disk.ukis = {Entry(kV1, "+2-1")}; },
       ActionKind::kIdle, "", "on trial (hull_202612.01.0+2-1.efi)"},
      {"boot on its last try: on trial, not a rollback",
       [](DecideInput& in) {
         in.disk.ukis = {Entry(kV1, "+0-3"), Entry(kV0)};
       },
       ActionKind::kIdle, "", "on trial"},
      {"boot on its last try with tries left elsewhere: an entry on trial to fall back to",
       [](DecideInput& in) {
         in.disk.ukis = {Entry(kV1, "+0-3"), Entry(kV0, "+2")};
       },
       ActionKind::kIdle, "", "on trial"},
      // The gate failed on the last try of the only bootable entry and does
      // not reboot: waiting for it would stop updates for ever.
      {"last try of the only entry: a newer release is installed",
       [](DecideInput& in) { in.disk.ukis = {Entry(kV1, "+0-3")}; }, ActionKind::kInstall, kV2,
       "B"},
      {"last try, every other entry bad: a newer release is installed",
       [](DecideInput& in) {
         in.disk.ukis = {Entry(kV1, "+0-3"), Entry(kV0, "+0-3")};
       },
       ActionKind::kInstall, kV2, "B"},
      {"still tries left on the only entry: idle, the gate reboots it",
       [](DecideInput& in) { in.disk.ukis = {Entry(kV1, "+1-2")}; }, ActionKind::kIdle, "",
       "on trial"},
      {"failed entry: record the rollback",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV1), Entry(kV2, "+0-3")};
       },
       ActionKind::kRecordRollbacks, "", "202612.08.0 hull_202612.08.0+0-3.efi"},
      {"a bad entry is kept as the fallback while the boot is on trial",
       [](DecideInput& in) {
         // After --to kV0 --allow-downgrade: kV1's entry demoted, kV0 on trial.
         Runs(in, kV0);
         in.disk.slots = {Slot(0, kV1), Slot(1, kV0)};
         in.disk.ukis = {Entry(kV0, "+2-1"), Entry(kV1, "+0")};
       },
       ActionKind::kIdle, "", "on trial"},
      {"the demoted entry is recorded once the downgrade is blessed",
       [](DecideInput& in) {
         Runs(in, kV0);
         in.disk.slots = {Slot(0, kV1), Slot(1, kV0)};
         in.disk.ukis = {Entry(kV0), Entry(kV1, "+0")};
       },
       ActionKind::kRecordRollbacks, "", "202612.01.0 hull_202612.01.0+0.efi"},
      {"failed entry recorded with no repository configured",
       [](DecideInput& in) {
         in.config.repository.clear();
         in.disk.ukis = {Entry(kV1), Entry(kV2, "+0-3")};
       },
       ActionKind::kRecordRollbacks, "", "202612.08.0 hull_202612.08.0+0-3.efi"},
      {"failed entry recorded: never installed again",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.bad_versions = {kV2};
       },
       ActionKind::kUpToDate, kV1, "", 1},
      {"installed, not rebooted yet: reboot into it",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
       },
       ActionKind::kReboot, kV2, "hull_202612.08.0+3.efi"},
      {"a newer blessed entry not booted: not installed again",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2), Entry(kV1)};
       },
       ActionKind::kUpToDate, kV1, "", 1},
      {"newer than every entry: into the slot of the older entry",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2), Entry(kV1)};
         SetReleases(in, {Release(kV3), Release(kV2)});
       },
       ActionKind::kInstall, kV3, "B"},
      // Slots.
      {"the older version's slot is replaced",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV0)};
         in.disk.ukis = {Entry(kV1), Entry(kV0)};
       },
       ActionKind::kInstall, kV2, "B"},
      {"running from slot B: install into A",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV0), Slot(1, kV1)};
         in.disk.ukis = {Entry(kV1), Entry(kV0)};
       },
       ActionKind::kInstall, kV2, "A"},
      {"a disk with one slot", [](DecideInput& in) { in.disk.slots = {Slot(0, kV1)}; },
       ActionKind::kError, "", "none is inactive"},
      {"running slot unknown: its label is not usr_<v>",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, ""), Slot(1, "")};
       },
       ActionKind::kError, "", "is not a slot labelled usr_<version>"},
      // Versions spelled otherwise, and the booted entry.
      {"failed entry recorded by its file name when os-release has no version",
       [](DecideInput& in) {
         in.disk.ukis = {Entry(kV1), EntrySaying(kV2, "+0-3", "")};
       },
       ActionKind::kRecordRollbacks, "", "202612.08.0 hull_202612.08.0+0-3.efi"},
      {"failed entry recorded by its file name when os-release spells it otherwise",
       [](DecideInput& in) {
         in.disk.ukis = {Entry(kV1), EntrySaying(kV2, "+0-3", "202612.8.0")};
       },
       ActionKind::kRecordRollbacks, "", "202612.08.0 hull_202612.08.0+0-3.efi"},
      {"a bad version spelled otherwise is still bad",
       [](DecideInput& in) { in.bad_versions = {"202612.8.0"}; }, ActionKind::kUpToDate, kV1, "",
       1},
      {"the booted entry on its last try is not recorded, whatever os-release says",
       [](DecideInput& in) {
         in.node.version = kV0;  // /usr/lib/os-release disagrees with the entry
         in.disk.ukis = {Entry(kV1, "+0-3"), Entry(kV0)};
       },
       ActionKind::kIdle, "", "on trial"},
      {"an entry naming the booted usrhash is not recorded",
       [](DecideInput& in) {
         slot::Uki copy = Entry(kV2, "+0-3");
         copy.usrhash = Hash(kV1);
         in.disk.ukis = {Entry(kV1), copy};
       },
       ActionKind::kUpToDate, kV1, "", 1},
      // Rebooting into a pending entry, once.
      {"pending entry already rebooted into: systemd-boot did not take it",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
         in.rebooted_into = "hull_202612.08.0+3.efi";
       },
       ActionKind::kError, "", "systemd-boot did not boot it"},
      {"pending entry tried since the last reboot: reboot again",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2, "+2-1"), Entry(kV1)};
         in.rebooted_into = "hull_202612.08.0+3.efi";
       },
       ActionKind::kReboot, kV2, "hull_202612.08.0+2-1.efi"},
      // A pending entry its publisher withdrew before its first boot.
      {"pending entry: the releases are read before the reboot",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
         in.releases.reset();
       },
       ActionKind::kCheckRepository, kV2, "before rebooting into hull_202612.08.0+3.efi"},
      {"pending entry withdrawn: recorded bad, not booted",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
         SetReleases(in, {Release(kV1), Withdrawn(kV2)});
       },
       ActionKind::kRecordRollbacks, "", "202612.08.0 hull_202612.08.0+3.efi"},
      {"pending entry withdrawn, with --no-reboot: recorded bad all the same",
       [](DecideInput& in) {
         in.reboot = false;
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
         SetReleases(in, {Release(kV1), Withdrawn(kV2)});
       },
       ActionKind::kRecordRollbacks, "", "202612.08.0 hull_202612.08.0+3.efi"},
      {"pending entry, another flavor's release of its version withdrawn: rebooted into",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
         slot::SlotRelease other = Withdrawn(kV2);
         other.flavor = "other";
         SetReleases(in, {Release(kV1), Release(kV2), other});
       },
       ActionKind::kReboot, kV2, "hull_202612.08.0+3.efi"},
      {"pending entry, the repository unreachable: rebooted into, as before",
       [](DecideInput& in) {
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
         in.releases = Error(ErrorCode::kUnavailable, "connection refused");
       },
       ActionKind::kReboot, kV2, "hull_202612.08.0+3.efi"},
      // Refused releases.
      {"a refused release is not downloaded again",
       [](DecideInput& in) {
         in.refused = {{kV2, Hash(kV2), "usr image needs 9 bytes"}};
       },
       ActionKind::kUpToDate, kV1, "", 1},
      {"a refused release published again with other bytes is tried",
       [](DecideInput& in) {
         in.refused = {{kV2, Hash("other"), "usr image needs 9 bytes"}};
       },
       ActionKind::kInstall, kV2, "B"},
      {"a refused release, then a newer one appears",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV2), Release(kV3)});
         in.refused = {{kV2, Hash(kV2), "usr image needs 9 bytes"}};
       },
       ActionKind::kInstall, kV3, "B"},
      // Withdrawn releases (hull release pull).
      {"withdrawn newest: the newest one not withdrawn",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Release(kV2), Withdrawn(kV3)});
       },
       ActionKind::kInstall, kV2, "B", 1},
      {"every newer one withdrawn: up to date",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV0), Release(kV1), Withdrawn(kV2), Withdrawn(kV3)});
       },
       ActionKind::kUpToDate, kV1, "", 2},
      {"running a withdrawn release: it stays",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV0), Withdrawn(kV1)});
       },
       ActionKind::kUpToDate, kV1},
      {"running a withdrawn release: a newer one is installed",
       [](DecideInput& in) {
         SetReleases(in, {Withdrawn(kV1), Release(kV2)});
       },
       ActionKind::kInstall, kV2, "B"},
      {"a withdrawn release holding the running root hash: up to date",
       [](DecideInput& in) {
         slot::SlotRelease r = Withdrawn(kV2);
         r.root_hash = Hash(kV1);
         SetReleases(in, {Release(kV1), r});
       },
       ActionKind::kUpToDate, kV2},
      {"--to a withdrawn release: refused",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Withdrawn(kV2)});
         in.to_version = kV2;
       },
       ActionKind::kError, "", "202612.08.0: withdrawn by its publisher (hull release pull)"},
      {"--to the running withdrawn release: up to date",
       [](DecideInput& in) {
         SetReleases(in, {Withdrawn(kV1)});
         in.to_version = kV1;
       },
       ActionKind::kUpToDate, kV1},
      // --to VERSION [--allow-downgrade].
      {"--to an older version without --allow-downgrade",
       [](DecideInput& in) { in.to_version = kV0; }, ActionKind::kError, "",
       "202611.24.0 is older than the running 202612.01.0: add --allow-downgrade"},
      {"--to an older version with --allow-downgrade",
       [](DecideInput& in) {
         in.to_version = kV0;
         in.allow_downgrade = true;
       },
       ActionKind::kInstall, kV0, "B"},
      {"--to a newer version that is not the newest",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV2), Release(kV3)});
         in.to_version = kV2;
       },
       ActionKind::kInstall, kV2, "B"},
      {"--to a version spelled otherwise", [](DecideInput& in) { in.to_version = "202612.8.0"; },
       ActionKind::kInstall, kV2, "B"},
      {"--to ignores the staged rollout",
       [](DecideInput& in) {
         SetReleases(in, {Release(kV1), Release(kV2, 0)});
         in.to_version = kV2;
       },
       ActionKind::kInstall, kV2, "B"},
      {"--to the running version", [](DecideInput& in) { in.to_version = kV1; },
       ActionKind::kUpToDate, kV1},
      {"--to a version the repository lacks", [](DecideInput& in) { in.to_version = kV3; },
       ActionKind::kError, "", "no release 202612.15.0"},
      {"--to a bad version",
       [](DecideInput& in) {
         in.to_version = kV2;
         in.bad_versions = {kV2};
       },
       ActionKind::kError, "", "recorded as bad"},
      {"--to with upgrade_channel None",
       [](DecideInput& in) {
         in.config.automatic = false;
         in.to_version = kV2;
       },
       ActionKind::kInstall, kV2, "B"},
      // Configuration.
      {"upgrade_channel None", [](DecideInput& in) { in.config.automatic = false; },
       ActionKind::kIdle, "", "upgrade_channel is None"},
      {"upgrade_channel None with --now",
       [](DecideInput& in) {
         in.config.automatic = false;
         in.now = true;
       },
       ActionKind::kInstall, kV2, "B"},
      {"--now waits for a boot on trial",
       [](DecideInput& in) {
         in.config.automatic = false;
         in.now = true;
         in.disk.ukis = {Entry(kV1, "+1-2")};
       },
       ActionKind::kIdle, "", "on trial"},
      {"upgrade_channel None: no reboot into a pending entry",
       [](DecideInput& in) {
         in.config.automatic = false;
         in.disk.slots = {Slot(0, kV1), Slot(1, kV2)};
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
       },
       ActionKind::kIdle, "", "upgrade_channel is None"},
      {"no repository configured", [](DecideInput& in) { in.config.repository.clear(); },
       ActionKind::kIdle, "", "no update repository configured"},
      {"no repository configured, with --now",
       [](DecideInput& in) {
         in.config.repository.clear();
         in.now = true;
       },
       ActionKind::kIdle, "", "no update repository configured"},
      // The repository.
      {"repository not read yet", [](DecideInput& in) { in.releases.reset(); },
       ActionKind::kCheckRepository},
      {"repository error",
       [](DecideInput& in) { in.releases = Error(ErrorCode::kExpired, "timestamp expired"); },
       ActionKind::kError, "", "timestamp expired"},
      {"repository with no releases", [](DecideInput& in) { SetReleases(in, {}); },
       ActionKind::kIdle, "", "no release of flavor"},
  };
  return rows;
}

std::string Detail(const Action& a) {
  switch (a.kind) {
    case ActionKind::kInstall:
      return a.slot;
    case ActionKind::kReboot:
      return a.entry;
    case ActionKind::kError:
      return a.error ? a.error->ToString() : "";
    case ActionKind::kRecordRollbacks: {
      std::string s;
      for (const auto& f : a.rollbacks) s += (s.empty() ? "" : ", ") + f.version + " " + f.file;
      return s;
    }
    default:
      return a.reason;
  }
}

TEST(Decide, Table) {
  ASSERT_GE(Table().size(), 30u);
  for (const Row& row : Table()) {
    SCOPED_TRACE(row.name);
    DecideInput in = Base();
    row.given(in);
    const Action a = Decide(in);
    EXPECT_EQ(ActionName(a.kind), std::string(ActionName(row.kind)));
    EXPECT_EQ(a.version, row.version);
    if (row.kind == ActionKind::kInstall || row.kind == ActionKind::kRecordRollbacks) {
      EXPECT_EQ(Detail(a), row.detail);
    } else {
      EXPECT_NE(Detail(a).find(row.detail), std::string::npos) << Detail(a);
    }
    EXPECT_EQ(a.held_back.size(), row.held_back) << fmt::format("{}", fmt::join(a.held_back, "; "));
    if (row.kind == ActionKind::kInstall) {
      ASSERT_TRUE(a.release.has_value());
      EXPECT_EQ(a.release->version, row.version);
      EXPECT_EQ(a.target_slot, row.detail[0] - 'A');
      EXPECT_EQ(a.downgrade, in.allow_downgrade);
    }
  }
}

TEST(Decide, RepositoryErrorKeepsItsCode) {
  DecideInput in = Base();
  in.releases = Error(ErrorCode::kBadSignature, "targets: signature");
  const Action a = Decide(in);
  ASSERT_TRUE(a.error.has_value());
  EXPECT_EQ(a.error->code(), ErrorCode::kBadSignature);
}

// `hull-agent check` prints these reasons ("Held back: ...").
TEST(Decide, WithdrawnReleaseIsHeldBackSayingWhy) {
  DecideInput in = Base();
  SetReleases(in, {Release(kV1), Release(kV2), Withdrawn(kV3)});
  const Action a = Decide(in);
  EXPECT_EQ(a.kind, ActionKind::kInstall);
  EXPECT_EQ(a.held_back,
            (std::vector<std::string>{
                "202612.15.0: withdrawn by its publisher (hull release pull): never installed"}));
}

TEST(Decide, HeldBackSaysWhy) {
  DecideInput in = Base();
  SetReleases(in, {Release(kV1), Release(kV2), Release(kV3, 50)});
  in.node.machine_id = MachineId(kV3, false);
  in.bad_versions = {kV2};
  const Action a = Decide(in);
  EXPECT_EQ(a.kind, ActionKind::kUpToDate);
  EXPECT_EQ(a.held_back, (std::vector<std::string>{
                             fmt::format("{}: staged rollout 50%, this node's bucket is {}", kV3,
                                         slot::RolloutBucket(in.node.machine_id, kV3)),
                             std::string(kV2) + ": recorded as bad on this node (skipped)"}));
}

// A downgrade's renames: afterwards systemd-boot's order (node::BootOrder)
// puts the installed older entry first and the demoted ones after it.
TEST(Demotions, TheChosenOlderVersionBootsFirst) {
  slot::DiskState st;
  st.ukis = {Entry(kV2), Entry(kV1, "+0-3"), Entry(kV0, "+3")};
  auto renames = Demotions(st, kV0, "hull_202611.24.0+3.efi");
  ASSERT_EQ(renames.size(), 1u);  // kV1's entry is bad already
  EXPECT_EQ(renames[0].first, "hull_202612.08.0.efi");
  EXPECT_EQ(renames[0].second, "hull_202612.08.0+0.efi");
  std::vector<node::EntryName> after;
  for (const auto& u : st.ukis) {
    std::string name = u.file == renames[0].first ? renames[0].second : u.file;
    after.push_back(*node::ParseEntryName(name));
  }
  const std::vector<size_t> order = node::BootOrder(after);
  EXPECT_EQ(after[order[0]].ToString(), "hull_202611.24.0+3.efi");
  // Before the renames the newer entry booted first.
  std::vector<node::EntryName> before;
  for (const auto& u : st.ukis) before.push_back(u.entry);
  EXPECT_EQ(before[node::BootOrder(before)[0]].ToString(), "hull_202612.08.0.efi");
}

// The health gate failed on a counted boot: a reboot must change what boots.
TEST(RebootAfterFailedGate, OnlyWhenSomethingElseCanBoot) {
  struct Case {
    const char* name;
    std::vector<slot::Uki> ukis;
    bool reboot;
  };
  const Case cases[] = {
      {"tries left", {Entry(kV1, "+1-2"), Entry(kV0)}, true},
      {"last try, a good entry to fall back to", {Entry(kV0), Entry(kV1, "+0-3")}, true},
      {"last try, an entry on trial to fall back to", {Entry(kV0, "+2"), Entry(kV1, "+0-3")}, true},
      {"last try, the only entry", {Entry(kV1, "+0-3")}, false},
      {"last try, the other entry bad too", {Entry(kV1, "+0-3"), Entry(kV0, "+0-3")}, false},
      {"not a counted boot", {Entry(kV1), Entry(kV0)}, false},
      {"no entry names the booted usrhash", {Entry(kV0)}, false},
  };
  for (const Case& c : cases) {
    slot::DiskState st;
    st.ukis = c.ukis;
    EXPECT_EQ(RebootAfterFailedGate(st, Hash(kV1)), c.reboot) << c.name;
  }
}

// Reboot coordination (decide.h rules L1 and L2, docs/fleetlock.md "The
// agent"): rows over the same base node, with a FleetLock server configured.
struct LockRow {
  const char* name;
  std::function<void(DecideInput&)> given;
  ActionKind kind;
  std::string version = "";
  bool take_slot = false;
  SlotReport report = SlotReport::kNone;
  bool forget = false;
};

void Coordinated(DecideInput& in) {
  in.config.fleetlock = {.url = "http://fleetlock.example:8080", .group = "default"};
  in.gate_passed = true;
}

void Holds(DecideInput& in, const std::string& version) {
  in.slot_held = true;
  in.slot_version = version;
}

const std::vector<LockRow>& LockTable() {
  static const std::vector<LockRow> rows = {
      {"no server configured: an install takes no slot",
       [](DecideInput& in) { in.config.fleetlock = {}; }, ActionKind::kInstall, kV2, false},
      {"an install takes a slot first", [](DecideInput&) {}, ActionKind::kInstall, kV2, true},
      {"the slot held was taken for that version: asked again (the holder may have expired)",
       [](DecideInput& in) {
         Holds(in, kV2);
         in.gate_passed = false;
       },
       ActionKind::kInstall, kV2, true},
      {"the slot held was taken for another version: asked again for this one",
       [](DecideInput& in) {
         Holds(in, kV3);
         in.gate_passed = false;
       },
       ActionKind::kInstall, kV2, true},
      {"a reboot into a pending entry takes a slot first",
       [](DecideInput& in) {
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
       },
       ActionKind::kReboot, kV2, true},
      {"no server configured: a reboot takes no slot",
       [](DecideInput& in) {
         in.config.fleetlock = {};
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
       },
       ActionKind::kReboot, kV2, false},
      {"--no-reboot: an install still takes a slot first (and so learns of a halt)",
       [](DecideInput& in) { in.reboot = false; }, ActionKind::kInstall, kV2, true},
      {"--no-reboot: a pending entry is left for a later run, no slot taken",
       [](DecideInput& in) {
         in.reboot = false;
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
       },
       ActionKind::kIdle, "", false},
      {"blessed on the version the slot was taken for, gate passed: healthy, then freed",
       [](DecideInput& in) {
         Runs(in, kV2);
         Holds(in, kV2);
       },
       ActionKind::kReleaseSlot, kV2, false, SlotReport::kHealthy},
      {"fell back after the version failed its tries: rolled-back, then freed",
       [](DecideInput& in) {
         Holds(in, kV2);
         in.bad_versions = {kV2};
       },
       ActionKind::kReleaseSlot, kV2, false, SlotReport::kRolledBack},
      {"the failed entry not yet recorded: recorded first, the slot kept",
       [](DecideInput& in) {
         Holds(in, kV2);
         in.disk.ukis = {Entry(kV1), Entry(kV2, "+0-3")};
       },
       ActionKind::kRecordRollbacks, ""},
      {"on trial: the slot stays held",
       [](DecideInput& in) {
         Runs(in, kV2);
         in.disk.ukis = {Entry(kV2, "+2-1"), Entry(kV1)};
         Holds(in, kV2);
       },
       ActionKind::kIdle, ""},
      {"blessed but the gate did not pass on this boot: the slot stays held",
       [](DecideInput& in) {
         Runs(in, kV2);
         Holds(in, kV2);
         in.gate_passed = false;
       },
       ActionKind::kUpToDate, kV2},
      {"withdrawn while the slot was awaited: recorded bad, no slot taken",
       [](DecideInput& in) {
         Holds(in, kV2);
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
         SetReleases(in, {Release(kV1), Withdrawn(kV2)});
       },
       ActionKind::kRecordRollbacks, ""},
      {"installed under the slot, the releases read before the reboot: the slot is kept",
       [](DecideInput& in) {
         Holds(in, kV2);
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
         in.releases.reset();
       },
       ActionKind::kCheckRepository, kV2, false},
      {"installed under the slot, the run ended before the reboot: slot kept, asked again",
       [](DecideInput& in) {
         Holds(in, kV2);
         in.disk.ukis = {Entry(kV2, "+3"), Entry(kV1)};
       },
       ActionKind::kReboot, kV2, true},
      {"healthy on another version than the slot's, not recorded bad: freed, no report",
       [](DecideInput& in) { Holds(in, kV3); }, ActionKind::kReleaseSlot, kV3, false},
      {"no repository configured: the slot is freed all the same",
       [](DecideInput& in) {
         in.config.repository.clear();
         Holds(in, kV1);
       },
       ActionKind::kReleaseSlot, kV1, false, SlotReport::kHealthy},
      {"no server configured any more: the record is dropped",
       [](DecideInput& in) {
         in.config.fleetlock = {};
         Holds(in, kV2);
       },
       ActionKind::kReleaseSlot, kV2, false, SlotReport::kNone, true},
  };
  return rows;
}

TEST(Decide, LockTable) {
  for (const LockRow& row : LockTable()) {
    SCOPED_TRACE(row.name);
    DecideInput in = Base();
    Coordinated(in);
    row.given(in);
    const Action a = Decide(in);
    EXPECT_EQ(ActionName(a.kind), std::string(ActionName(row.kind)));
    EXPECT_EQ(a.version, row.version);
    EXPECT_EQ(a.take_slot, row.take_slot);
    EXPECT_EQ(SlotReportName(a.report), std::string(SlotReportName(row.report)));
    EXPECT_EQ(a.forget, row.forget);
  }
}

// The failed gate's reboot: covered by the slot the trial holds, never a wait.
TEST(SlotForGateReboot, HeldSlotCoversTheRollbackReboot) {
  const node::FleetLockConfig none, server{.url = "http://f/", .group = "default"};
  EXPECT_EQ(SlotForGateReboot(none, false), GateSlot::kNone);
  EXPECT_EQ(SlotForGateReboot(none, true), GateSlot::kNone);
  EXPECT_EQ(SlotForGateReboot(server, true), GateSlot::kCovered);
  EXPECT_EQ(SlotForGateReboot(server, false), GateSlot::kTake);
}

TEST(VersionAfterGateReboot, TheEntrySystemdBootTakesNext) {
  slot::DiskState st;
  st.ukis = {Entry(kV2, "+1-2"), Entry(kV1)};
  EXPECT_EQ(VersionAfterGateReboot(st, Hash(kV2)), kV2);  // a try left
  st.ukis = {Entry(kV1), Entry(kV2, "+0-3")};
  EXPECT_EQ(VersionAfterGateReboot(st, Hash(kV2)), kV1);  // the last try used
  st.ukis = {Entry(kV2, "+0-3")};
  EXPECT_EQ(VersionAfterGateReboot(st, Hash(kV2)), kV2);  // nothing else
  EXPECT_EQ(VersionAfterGateReboot(st, Hash(kV0)), "");
}

}  // namespace
}  // namespace hull::agent

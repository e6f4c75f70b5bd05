#include "agent/decide.h"

#include <fmt/format.h>

#include <algorithm>

#include "node/boot_count.h"
#include "slot/installer.h"

namespace hull::agent {
namespace {

Action Idle(std::string reason) {
  return Action{.kind = ActionKind::kIdle, .reason = std::move(reason)};
}

Action Fails(Error e) { return Action{.kind = ActionKind::kError, .error = std::move(e)}; }

// Rule 1: entries systemd-boot fell back from. The booted entry is not one,
// even on its last try: it booted. A failed entry is known by the version
// of its file name, the name systemd-boot ordered it by and the installer
// gave it (a UKI's os-release may lack a version or spell it otherwise).
std::vector<FailedEntry> FailedEntries(const DecideInput& in, const std::string& running) {
  std::vector<FailedEntry> out;
  for (const auto& u : in.disk.ukis) {
    const std::string version = node::VersionOfStem(u.entry.stem);
    if (u.entry.state() != node::EntryState::kBad || version.empty() ||
        u.usrhash == in.node.usrhash || node::CompareVersions(version, running) == 0)
      continue;
    out.push_back({version, u.file});
  }
  return out;
}

// Rule 5: an installed entry that sorts first and has not been booted yet
// (the agent was stopped, or run with --no-reboot, between install and reboot).
const slot::Uki* PendingEntry(const DecideInput& in, const slot::Uki* booted,
                              const std::string& running) {
  const slot::Uki* first = in.disk.default_entry();
  if (!first || first == booted || first->entry.state() != node::EntryState::kIndeterminate)
    return nullptr;
  return node::CompareVersions(node::VersionOfStem(first->entry.stem), running) > 0 ? first
                                                                                    : nullptr;
}

// Whether the repository withdrew `version` of the node's flavor and arch.
bool Withdrawn(const std::vector<slot::SlotRelease>& releases, const Node& node,
               const std::string& version) {
  return std::any_of(releases.begin(), releases.end(), [&](const slot::SlotRelease& r) {
    return r.withdrawn && r.flavor == node.flavor && r.arch == node.arch &&
           node::CompareVersions(r.version, version) == 0;
  });
}

// The slot an install goes into, or why there is none.
Result<int> Target(const DecideInput& in, const std::string& version) {
  if (in.disk.SlotOfRootHash(in.node.usrhash) < 0)
    return Errorf(ErrorCode::kUnavailable,
                  "cannot install {}: the booted usr partition (usrhash {}) is not a slot labelled "
                  "usr_<version>, so no slot is known to be free",
                  version, in.node.usrhash);
  int target = slot::TargetSlot(in.disk, in.disk.SlotOfRootHash(in.node.usrhash));
  if (target < 0)
    return Errorf(ErrorCode::kUnavailable,
                  "cannot install {}: the disk has {} usr slot(s) and none is inactive", version,
                  in.disk.slots.size());
  return target;
}

Action Install(const DecideInput& in, const slot::SlotRelease& r, std::vector<std::string> held) {
  auto target = Target(in, r.version);
  if (!target.ok()) return Fails(std::move(target).error());
  return Action{.kind = ActionKind::kInstall,
                .version = r.version,
                .slot = in.disk.slots[size_t(*target)].name(),
                .target_slot = *target,
                .release = r,
                .held_back = std::move(held)};
}

// Rule 7: `update --to VERSION`.
Action ChooseExact(const DecideInput& in, const std::vector<slot::SlotRelease>& releases,
                   const std::string& running) {
  const slot::SlotRelease* found = nullptr;
  for (const auto& r : releases)
    if (r.flavor == in.node.flavor && r.arch == in.node.arch &&
        node::CompareVersions(r.version, in.to_version) == 0)
      found = &r;
  if (!found)
    return Fails(Errorf(ErrorCode::kNotFound,
                        "the repository has no release {} of flavor '{}', arch '{}'", in.to_version,
                        in.node.flavor, in.node.arch));
  for (const auto& bad : in.bad_versions)
    if (node::CompareVersions(bad, found->version) == 0)
      return Fails(Errorf(ErrorCode::kRefused,
                          "{} is recorded as bad on this node (it failed its boot tries); remove "
                          "it from the bad versions to try it again",
                          found->version));
  const int order = node::CompareVersions(found->version, running);
  if (order == 0) return Action{.kind = ActionKind::kUpToDate, .version = found->version};
  if (found->withdrawn)
    return Fails(Errorf(ErrorCode::kRefused, "{}: {}", found->version, slot::kWithdrawnReason));
  if (order < 0 && !in.allow_downgrade)
    return Fails(Errorf(ErrorCode::kRefused,
                        "{} is older than the running {}: add --allow-downgrade to install it",
                        found->version, running));
  Action a = Install(in, *found, {});
  a.downgrade = order < 0;
  return a;
}

// Rule 8.
Action Choose(const DecideInput& in, const std::vector<slot::SlotRelease>& releases,
              const std::string& running) {
  slot::Choice c = ChooseFor(in, releases);
  Action a{.version = c.newest, .held_back = std::move(c.held_back)};
  switch (c.kind) {
    case slot::ChoiceKind::kNoRelease:
      return Idle(
          fmt::format("the repository has no release of flavor '{}', arch '{}' in channel '{}'",
                      in.node.flavor, in.node.arch, in.config.channel));
    case slot::ChoiceKind::kUpToDate:
      a.kind = ActionKind::kUpToDate;
      return a;
    case slot::ChoiceKind::kAheadOfChannel:
      a.kind = ActionKind::kAheadOfChannel;
      a.reason = fmt::format(
          "the running version {} is newer than channel '{}''s newest release {}: "
          "a node never downgrades",
          running, in.config.channel, c.newest);
      return a;
    case slot::ChoiceKind::kInstall:
      break;
  }
  return Install(in, *c.release, std::move(a.held_back));
}

}  // namespace

const char* ActionName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kRecordRollbacks:
      return "record-rollbacks";
    case ActionKind::kIdle:
      return "idle";
    case ActionKind::kReboot:
      return "reboot";
    case ActionKind::kCheckRepository:
      return "check-repository";
    case ActionKind::kError:
      return "error";
    case ActionKind::kInstall:
      return "install";
    case ActionKind::kUpToDate:
      return "up-to-date";
    case ActionKind::kAheadOfChannel:
      return "ahead-of-channel";
    case ActionKind::kReleaseSlot:
      return "release-slot";
  }
  return "?";
}

const char* SlotReportName(SlotReport report) {
  switch (report) {
    case SlotReport::kNone:
      return "";
    case SlotReport::kHealthy:
      return "healthy";
    case SlotReport::kRolledBack:
      return "rolled-back";
  }
  return "?";
}

const slot::Uki* BootedEntry(const slot::DiskState& state, const std::string& usrhash) {
  for (const auto& u : state.ukis)
    if (u.usrhash == usrhash) return &u;
  return nullptr;
}

slot::Choice ChooseFor(const DecideInput& in, const std::vector<slot::SlotRelease>& releases) {
  slot::ApplyFilters filters{.flavor = in.node.flavor,
                             .arch = in.node.arch,
                             .channel = in.config.channel,
                             .skip_versions = in.bad_versions,
                             .refused = in.refused,
                             .machine_id = in.node.machine_id};
  return slot::ChooseRelease(releases, filters, slot::Installed(in.disk, in.node.usrhash));
}

std::vector<std::pair<std::string, std::string>> Demotions(const slot::DiskState& state,
                                                           const std::string& version,
                                                           const std::string& installed) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& u : state.ukis) {
    const std::string v = node::VersionOfStem(u.entry.stem);
    if (u.file == installed || v.empty() || node::CompareVersions(v, version) <= 0 ||
        u.entry.state() == node::EntryState::kBad)
      continue;
    node::EntryName bad{.stem = u.entry.stem, .left = 0, .suffix = u.entry.suffix};
    out.emplace_back(u.file, bad.ToString());
  }
  return out;
}

bool RebootAfterFailedGate(const slot::DiskState& state, const std::string& usrhash) {
  const slot::Uki* booted = BootedEntry(state, usrhash);
  if (!booted || !booted->entry.left.has_value()) return false;
  if (*booted->entry.left > 0) return true;
  for (const auto& u : state.ukis)
    if (&u != booted && u.entry.state() != node::EntryState::kBad) return true;
  return false;
}

Action DecideUpdate(const DecideInput& in) {
  const std::string running = slot::Installed(in.disk, in.node.usrhash).active_version;
  const slot::Uki* booted = BootedEntry(in.disk, in.node.usrhash);
  const bool on_trial = booted && booted->entry.left.has_value();
  // While this boot is on trial a bad entry is still what systemd-boot
  // falls back to (after a downgrade, the demoted newer one): keep it.
  if (auto failed = FailedEntries(in, running); !failed.empty() && !on_trial)
    return Action{.kind = ActionKind::kRecordRollbacks, .rollbacks = std::move(failed)};
  if (in.config.repository.empty()) return Idle("no update repository configured");
  if (!in.config.automatic && !in.now && in.to_version.empty())
    return Idle("upgrade_channel is None: run 'hull-agent update --now'");
  // Waiting for the gate only makes sense while its failure changes what
  // boots. On the last try of the only bootable entry a failed gate does not
  // reboot (RebootAfterFailedGate), so the boot would stay on trial, and the
  // node without updates, for ever: a newer release is its way out.
  if (on_trial && RebootAfterFailedGate(in.disk, in.node.usrhash))
    return Idle("this boot is on trial (" + booted->file +
                "): updates wait until the health gate blesses it");
  if (const slot::Uki* pending = PendingEntry(in, booted, running)) {
    const std::string version = node::VersionOfStem(pending->entry.stem);
    if (pending->file == in.rebooted_into)
      return Fails(Errorf(ErrorCode::kUnavailable,
                          "{} is installed ({}) but systemd-boot did not boot it after a reboot "
                          "into it (is another default entry set?): not rebooting again",
                          version, pending->file));
    // The release may have been withdrawn since the install (while the
    // slot was awaited, or after --no-reboot): the repository is read
    // first. When it cannot be read the entry is still booted.
    if (!in.releases)
      return Action{.kind = ActionKind::kCheckRepository,
                    .reason = "before rebooting into " + pending->file,
                    .version = version};
    if (in.releases->ok() && Withdrawn(**in.releases, in.node, version))
      return Action{.kind = ActionKind::kRecordRollbacks,
                    .rollbacks = {{version, pending->file,
                                   "withdrawn by its publisher (hull release pull) before its "
                                   "first boot: not booted, never installed again"}}};
    return Action{
        .kind = ActionKind::kReboot,
        .reason = version + " is installed (" + pending->file + ") and waits for its trial",
        .version = version,
        .entry = pending->file};
  }
  if (!in.releases) return Action{.kind = ActionKind::kCheckRepository};
  if (!in.releases->ok()) return Fails(in.releases->error());
  if (!in.to_version.empty()) return ChooseExact(in, **in.releases, running);
  return Choose(in, **in.releases, running);
}

GateSlot SlotForGateReboot(const node::FleetLockConfig& config, bool slot_held) {
  if (!config.enabled()) return GateSlot::kNone;
  return slot_held ? GateSlot::kCovered : GateSlot::kTake;
}

std::string VersionAfterGateReboot(const slot::DiskState& state, const std::string& usrhash) {
  const slot::Uki* booted = BootedEntry(state, usrhash);
  if (!booted) return "";
  if (booted->entry.left.value_or(0) == 0) {
    for (const slot::Uki& u : state.ukis) {
      if (&u != booted && u.entry.state() != node::EntryState::kBad)
        return node::VersionOfStem(u.entry.stem);
    }
  }
  return node::VersionOfStem(booted->entry.stem);
}

// Rule L1: the slot is freed once this boot is blessed and passed the gate.
std::optional<Action> ReleaseSlot(const DecideInput& in, const std::string& running) {
  if (!in.slot_held) return std::nullopt;
  if (!in.config.fleetlock.enabled())
    return Action{.kind = ActionKind::kReleaseSlot,
                  .reason =
                      "no FleetLock server is configured any more: the slot record is "
                      "dropped",
                  .version = in.slot_version,
                  .forget = true};
  const slot::Uki* booted = BootedEntry(in.disk, in.node.usrhash);
  if (!booted || booted->entry.left.has_value() || !in.gate_passed) return std::nullopt;
  Action a{.kind = ActionKind::kReleaseSlot,
           .reason = "this boot of " + running + " is healthy and blessed",
           .version = in.slot_version};
  const bool failed = std::any_of(
      in.bad_versions.begin(), in.bad_versions.end(),
      [&](const std::string& v) { return node::CompareVersions(v, in.slot_version) == 0; });
  if (failed && node::CompareVersions(in.slot_version, running) != 0)
    a.report = SlotReport::kRolledBack;
  else if (!in.slot_version.empty() && node::CompareVersions(in.slot_version, running) == 0)
    a.report = SlotReport::kHealthy;
  return a;
}

Action Decide(const DecideInput& in) {
  Action a = DecideUpdate(in);
  if (a.kind == ActionKind::kRecordRollbacks) return a;
  const std::string running = slot::Installed(in.disk, in.node.usrhash).active_version;
  // L1 frees nothing while the slot's version is installed and waits for
  // its reboot (a run that ended between the install and the reboot), nor
  // while the releases are read before that reboot (rule 5).
  const bool pending_reboot = a.kind == ActionKind::kReboot ||
                              (a.kind == ActionKind::kCheckRepository && !a.version.empty());
  const bool reboot_under_slot =
      pending_reboot && in.slot_held && node::CompareVersions(in.slot_version, a.version) == 0;
  if (!reboot_under_slot) {
    if (auto release = ReleaseSlot(in, running)) return *release;
  }
  if (a.kind == ActionKind::kReboot && !in.reboot)
    return Action{.kind = ActionKind::kIdle, .reason = a.reason + " (--no-reboot)"};
  // Rule L2.
  if ((a.kind == ActionKind::kInstall || a.kind == ActionKind::kReboot) &&
      in.config.fleetlock.enabled())
    a.take_slot = true;  // held for that version: asked again (it may have expired)
  return a;
}

}  // namespace hull::agent

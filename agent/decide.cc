#include "agent/decide.h"

#include <fmt/format.h>

#include "node/boot_count.h"
#include "slot/installer.h"

namespace hull::agent {
namespace {

Action Idle(std::string reason) {
  return Action{.kind = ActionKind::kIdle, .reason = std::move(reason)};
}

// Rule 1: entries systemd-boot fell back from. The running version's own
// entry is not one, even on its last try: it booted.
std::vector<FailedEntry> FailedEntries(const DecideInput& in) {
  std::vector<FailedEntry> out;
  for (const auto& u : in.disk.ukis) {
    if (u.entry.state() != node::EntryState::kBad || u.version.empty() ||
        u.version == in.node.version)
      continue;
    out.push_back({u.version, u.file});
  }
  return out;
}

// Rule 5: an installed entry that sorts first and has not been booted yet
// (the agent was stopped, or run with --no-reboot, between install and reboot).
const slot::Uki* PendingEntry(const DecideInput& in, const slot::Uki* booted) {
  const slot::Uki* first = in.disk.default_entry();
  if (!first || first == booted || first->entry.state() != node::EntryState::kIndeterminate)
    return nullptr;
  return node::CompareVersions(first->version, in.node.version) > 0 ? first : nullptr;
}

// Rule 7.
Action Choose(const DecideInput& in, const std::vector<slot::SlotRelease>& releases) {
  slot::ApplyFilters filters{.flavor = in.node.flavor,
                             .arch = in.node.arch,
                             .channel = in.config.channel,
                             .skip_versions = in.bad_versions,
                             .machine_id = in.node.machine_id};
  slot::InstalledFacts installed{.active_version = in.node.version,
                                 .active_root_hash = in.node.usrhash};
  for (const auto& u : in.disk.ukis)
    if (!u.version.empty()) installed.entry_versions.push_back(u.version);
  slot::Choice c = slot::ChooseRelease(releases, filters, installed);
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
          in.node.version, in.config.channel, c.newest);
      return a;
    case slot::ChoiceKind::kInstall:
      break;
  }
  int target = slot::TargetSlot(in.disk, in.disk.SlotOfRootHash(in.node.usrhash));
  if (target < 0) {
    return Action{.kind = ActionKind::kError,
                  .error = Errorf(ErrorCode::kUnavailable,
                                  "cannot install {}: the disk has {} usr slot(s) and none is "
                                  "inactive",
                                  c.release->version, in.disk.slots.size())};
  }
  a.kind = ActionKind::kInstall;
  a.version = c.release->version;
  a.slot = in.disk.slots[size_t(target)].name();
  a.release = *c.release;
  return a;
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
  }
  return "?";
}

const slot::Uki* BootedEntry(const slot::DiskState& state, const std::string& usrhash) {
  for (const auto& u : state.ukis)
    if (u.usrhash == usrhash) return &u;
  return nullptr;
}

Action Decide(const DecideInput& in) {
  if (auto failed = FailedEntries(in); !failed.empty())
    return Action{.kind = ActionKind::kRecordRollbacks, .rollbacks = std::move(failed)};
  if (in.config.repository.empty()) return Idle("no update repository configured");
  if (!in.config.automatic && !in.now)
    return Idle("upgrade_channel is None: run 'hull-agent update --now'");
  const slot::Uki* booted = BootedEntry(in.disk, in.node.usrhash);
  if (booted && booted->entry.left.has_value())
    return Idle("this boot is on trial (" + booted->file +
                "): updates wait until the health gate blesses it");
  if (const slot::Uki* pending = PendingEntry(in, booted)) {
    return Action{.kind = ActionKind::kReboot,
                  .reason = pending->version + " is installed (" + pending->file +
                            ") and waits for its trial",
                  .version = pending->version,
                  .entry = pending->file};
  }
  if (!in.releases) return Action{.kind = ActionKind::kCheckRepository};
  if (!in.releases->ok()) return Action{.kind = ActionKind::kError, .error = in.releases->error()};
  return Choose(in, **in.releases);
}

}  // namespace hull::agent

#include "agent/update.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>

#include "agent/activate.h"
#include "agent/coordinate.h"
#include "agent/decide.h"
#include "agent/dm_status.h"
#include "agent/downloads.h"
#include "agent/environment.h"
#include "agent/events.h"
#include "agent/extension_files.h"
#include "agent/facts.h"
#include "agent/node.h"
#include "agent/rollback.h"
#include "agent/state.h"
#include "agent/status.h"
#include "agent/sysfs.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/seconds.h"
#include "base/subprocess.h"
#include "node/config.h"
#include "slot/extension.h"
#include "slot/state.h"
#include "slot/trust.h"
#include "slot/update.h"
#include "tuf/fetcher.h"

namespace hull::agent {
namespace {

using json = nlohmann::json;
using node::kFactoryConfig;
using node::LoadConfig;
using node::UpdateConfig;

// The node's paths (environment.h: under the directory of a simulated node).
std::string StateDir() { return Env().Path(kStateDir); }
std::string BadVersionsPath() { return StateDir() + "/bad-versions"; }
std::string TufStatePath() { return StateDir() + "/tuf"; }
std::string AgentStatePath() { return Env().Path(kAgentStatePath); }

// Everything a command needs about this node; an error is already reported.
struct Context {
  UpdateConfig config;
  Node node;
  NodeDisk disk;
};

// The configuration (defaults when there is none), so that even the
// errors of a node that cannot be read reach the event console.
UpdateConfig Config(std::optional<Error>* error) {
  auto cfg = LoadConfig(Env().root());
  if (cfg.ok()) return std::move(*cfg);
  if (cfg.error().code() != ErrorCode::kNotFound) *error = std::move(cfg).error();
  return {};
}

Result<Context> OpenContext(UpdateConfig config, bool writable) {
  Context c;
  c.config = std::move(config);
  HULL_ASSIGN_OR_RETURN(c.node, ReadNode());
  HULL_ASSIGN_OR_RETURN(c.disk, OpenNodeDisk(c.node, writable));
  return c;
}

// How long a slot taken for a failed install is offered back.
constexpr std::chrono::seconds kGiveBackWait{10};

int Fail(const Events& ev, const Error& e) {
  ev.Emit("error", {{"message", e.ToString()}});
  std::fprintf(stderr, "hull-agent: %s\n", e.ToString().c_str());
  return ExitCodeFor(e.code());
}

// Remembers the entry the reboot is for (decide.h rule 5 reboots into one
// entry once), then asks systemd to reboot.
Status Reboot(const Events& ev, AgentState& state, const std::string& entry,
              const std::string& why) {
  state.rebooted_into = entry;
  HULL_TRY(SaveAgentState(AgentStatePath(), state));
  json fields = {{"reason", why}};
  if (state.fleetlock.held) fields["fleetlock"] = SlotRecordJson(state.fleetlock);
  ev.Emit("rebooting", fields);
  return Env().Reboot();
}

// Records the failed entries' versions as bad, then removes the entries.
Status RecordRollbacks(Context& c, const Events& ev, const std::vector<FailedEntry>& failed) {
  HULL_ASSIGN_OR_RETURN(std::set<std::string> bad, LoadBadVersions(BadVersionsPath()));
  std::error_code ec;
  std::filesystem::create_directories(StateDir(), ec);
  for (const auto& f : failed) bad.insert(f.version);
  HULL_TRY(SaveBadVersions(BadVersionsPath(), bad));
  for (const auto& f : failed) {
    HULL_TRY(c.disk.io.esp->Remove(f.file).Context("removing the failed entry " + f.file));
    ev.Emit("rollback",
            {{"failed", f.version},
             {"running", c.node.version},
             {"removed", f.file},
             {"reason", !f.reason.empty() ? f.reason
                                          : "the version used every boot try without passing the "
                                            "health gate; it will not be installed again"}});
  }
  HULL_ASSIGN_OR_RETURN(c.disk.state, slot::ReadDiskState(*c.disk.io.disk, *c.disk.io.esp));
  return Ok();
}

// The image's build time: the earliest "now" the TUF client accepts. An
// image built before the file existed has none (0: no floor).
Result<int64_t> BuildTime() {
  auto text = ReadSysText(Env().Path(node::kBuildTime), 64);
  if (!text.ok())
    return text.error().code() == ErrorCode::kNotFound ? Result<int64_t>(0) : text.error();
  return ParseUnixSeconds(*text).Context(node::kBuildTime);
}

Result<tuf::Client> MakeClient(const UpdateConfig& cfg, const UpdateOptions& o) {
  HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(Env().Path(cfg.trusted_root), 1 << 20)
                                        .Context("trusted root " + cfg.trusted_root));
  std::error_code ec;
  std::filesystem::create_directories(TufStatePath(), ec);
  tuf::ClientOptions options;
  options.state_dir = TufStatePath();
  HULL_ASSIGN_OR_RETURN(options.clock_floor, BuildTime());
  // The run's deadline counts from here: the repository is read next.
  return tuf::Client::Create(
      tuf::MakeFetcher(cfg.repository, {.run_deadline = tuf::RunDeadline(o.deadline_seconds)}),
      root, std::move(options));
}

// After installing an older release (--to V --allow-downgrade): the entries
// of newer versions would boot first, so they are renamed bad ("+0"), as if
// every try had been used. If V fails its tries, systemd-boot falls back to
// them (bad entries still boot, newest first); once V is blessed, rule 1
// records them as rolled back.
Status DemoteNewer(const Context& c, const Events& ev, const std::string& version,
                   const std::string& installed) {
  HULL_ASSIGN_OR_RETURN(slot::DiskState st, slot::ReadDiskState(*c.disk.io.disk, *c.disk.io.esp));
  for (const auto& [from, to] : Demotions(st, version, installed)) {
    HULL_TRY(c.disk.io.esp->Rename(from, to).Context("demoting " + from));
    ev.Emit("demoted",
            {{"entry", from},
             {"now", to},
             {"reason", "downgrade to " + version + ": a newer entry would boot first"}});
  }
  return Ok();
}

// Carries out an install: the release is downloaded and written by
// slot::ApplyRelease into the decided slot; then the reboot into it. A
// refusal for the release's own bytes is remembered, so the next run does
// not download it again.
int InstallRelease(const Context& c, AgentState& state, tuf::Client& client, const Action& a,
                   const UpdateOptions& o, const Events& ev) {
  // The certificates this image trusts (node::kTrustDir): the release is
  // checked against them before its payload is downloaded.
  auto trust = slot::LoadTrustSet(Env().Path(node::kTrustDir));
  if (!trust.ok()) return Fail(ev, trust.error());
  slot::InstallOptions options{.active_usrhash = c.node.usrhash,
                               .boot_tries = c.config.boot_tries,
                               .target_slot = a.target_slot};
  options.trust = &*trust;
  bool refused = false;
  auto r =
      slot::ApplyRelease(client, *c.disk.io.disk, *c.disk.io.esp, *a.release, options, &refused);
  if (!r.ok()) {
    if (refused) {
      AddRefusal(state, {a.release->version, a.release->root_hash, r.error().ToString()},
                 slot::Installed(c.disk.state, c.node.usrhash).active_version);
      if (auto st = SaveAgentState(AgentStatePath(), state); !st.ok()) return Fail(ev, st.error());
      ev.Emit("refused", {{"version", a.release->version},
                          {"reason", r.error().ToString()},
                          {"note", "not downloaded again until a newer release appears"}});
    }
    return Fail(ev, r.error());
  }
  if (a.downgrade) {
    if (auto st = DemoteNewer(c, ev, r->version, r->install.uki_file); !st.ok())
      return Fail(ev, st.error());
  }
  json pieces = json::object();
  for (const auto& [name, m] : r->pieces)
    pieces[name] = {{"method", m.method}, {"downloaded", m.downloaded}, {"fallback", m.fallback}};
  ev.Emit("installed", {{"version", r->version},
                        {"root_hash", r->root_hash},
                        {"slot", r->install.slot},
                        {"entry", r->install.uki_file},
                        {"downloaded", r->downloaded},
                        {"full_size", r->full_size},
                        {"pieces", pieces},
                        {"held_back", a.held_back},
                        {"peak_rss", r->peak_rss}});
  state.last_check = {"installed", c.node.version, r->version, r->install.uki_file};
  if (!o.reboot) {
    if (auto st = SaveAgentState(AgentStatePath(), state); !st.ok()) return Fail(ev, st.error());
    return 0;
  }
  if (auto st = Reboot(ev, state, r->install.uki_file, "installed " + r->version); !st.ok())
    return Fail(ev, st.error());
  return 0;
}

// Reads the repository: a TUF refresh, then its complete slot releases.
Result<std::vector<slot::SlotRelease>> ReadReleases(const UpdateConfig& cfg, const UpdateOptions& o,
                                                    std::optional<tuf::Client>& client) {
  HULL_ASSIGN_OR_RETURN(tuf::Client made, MakeClient(cfg, o));
  client.emplace(std::move(made));
  HULL_TRY(client->Refresh());
  return slot::SlotReleases(client->targets());
}

// An extension's own update on the booted OS (docs/sysext.md "An
// extension's own update"): each newer version the repository offers for
// the booted OS is fetched and verified as for an OS release
// (FetchExtension), swapped in without a reboot (SwapExtension), its
// declared services restarted -- under the FleetLock slot, taken before the
// swap and freed after the restart -- and the old version removed. A
// failure is an event and a record in the agent's state (status shows it)
// and leaves the active version as it was; the OS update goes on. Bytes a
// check refused are not tried again (WithoutRefused): no fetch, no hash, no
// slot.
void UpdateExtensionsInPlace(Context& c, AgentState& state, tuf::Client& client, Deadline deadline,
                             const Events& ev) {
  if (c.config.sysexts.empty() || Env().simulated()) return;
  auto current = ReadExtensionsState(kExtensionsState);
  if (!current.ok()) {
    ev.Emit("extension-update-failed", {{"reason", current.error().ToString()}});
    return;
  }
  auto plan = ExtensionUpdatesFor(c.config.sysexts, c.node, client, *current);
  if (!plan.ok()) {
    ev.Emit("extension-update-failed", {{"reason", plan.error().ToString()}});
    return;
  }
  for (const ExtensionUpdate& u : WithoutRefused(std::move(*plan), state)) {
    const PublishedExtension& to = u.to;
    auto failed = [&](const Error& e, bool refused) {
      ev.Emit("extension-update-failed", {{"name", to.name},
                                          {"file", to.FileName()},
                                          {"reason", e.ToString()},
                                          {"refused", refused}});
      RecordExtensionFailure(state, {.name = to.name,
                                     .version = to.version,
                                     .sha256 = to.sha256,
                                     .reason = e.ToString(),
                                     .refused = refused});
    };
    bool refused = false;
    if (auto st = FetchExtension(to, c.node, c.node.version, client, ev, &refused); !st.ok()) {
      failed(st.error(), refused);
      continue;
    }
    const bool under_slot = !to.restarts.empty() && c.config.fleetlock.enabled();
    if (under_slot && state.fleetlock.held) {
      // Held for an OS release's reboot: the restart waits for the next run.
      failed(Errorf(ErrorCode::kUnavailable,
                    "the FleetLock slot is held for {}; the update waits for the next run",
                    state.fleetlock.version),
             false);
      continue;
    }
    if (under_slot) {
      const Deadline wait_end = SlotWaitBeforeInstall(std::chrono::steady_clock::now(), deadline);
      if (auto st = TakeSlot(c.config, c.node, state, c.node.version, wait_end, ev); !st.ok()) {
        failed(st.error(), false);
        continue;
      }
    }
    auto swapped = SwapExtension(to.name, to.FileName(), ev, &refused);
    Status restarted = Ok();
    if (swapped.ok() && !to.restarts.empty()) {
      std::vector<std::string> argv = {"systemctl", "restart"};
      argv.insert(argv.end(), to.restarts.begin(), to.restarts.end());
      if (auto r = Run(Command{.argv = argv}); !r.ok()) restarted = std::move(r).error();
    }
    if (under_slot) {
      const Action free{.kind = ActionKind::kReleaseSlot,
                        .reason = "updated extension " + to.name + " without a reboot",
                        .version = c.node.version};
      if (auto st = FreeSlot(c.config, c.node, state, free, deadline, ev); !st.ok())
        ev.Emit("error", {{"message", st.error().ToString()}});
    }
    if (!swapped.ok()) {
      failed(swapped.error(), refused);
      // A withdrawn file goes whatever became of the swap: on disk it is
      // what the next boot's activation would merge.
      if (!u.withdrawn.empty() && u.withdrawn != to.FileName()) {
        if (auto st = RemoveExtensionFile(u.withdrawn); !st.ok())
          ev.Emit("extensions-error", {{"message", st.error().ToString()}});
      }
      continue;
    }
    ClearExtensionFailure(state, to.name);
    // The new one is active: the old one's file goes (image, then record).
    for (const std::string& gone : {u.from, u.withdrawn}) {
      if (gone.empty() || gone == to.FileName()) continue;
      // The update itself succeeded: an event, not a failed update.
      if (auto st = RemoveExtensionFile(gone); !st.ok())
        ev.Emit("extensions-error", {{"message", st.error().ToString()}});
    }
    if (!u.withdrawn.empty())
      ev.Emit(
          "extension-swap-cancelled",
          {{"name", to.name},
           {"withdrawn", u.withdrawn},
           {"active", to.FileName()},
           {"reason", "the pending file is no longer published (withdrawn): not merged, removed"}});
    json fields = {{"name", to.name},          {"from", u.from},
                   {"to", to.FileName()},      {"root_hash", swapped->root_hash},
                   {"restarted", to.restarts}, {"running", c.node.version}};
    if (!restarted.ok()) fields["restart_error"] = restarted.error().ToString();
    ev.Emit("extension-updated", fields);
  }
  // Every path of the run does not save the state (an idle one does not).
  if (auto st = SaveAgentState(AgentStatePath(), state); !st.ok())
    ev.Emit("error", {{"message", st.error().ToString()}});
}

}  // namespace

// One `update` at a time: the sweep below must not remove the downloads of
// another run. The descriptor stays open (and locked) for the process's life,
// across the exec of OnTerminate.
Status LockUpdates() {
  const std::string path = Env().Path("/run/hull-agent-update.lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
  if (fd < 0) return ErrnoError(errno, "opening", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    return errno == EWOULDBLOCK
               ? Error(ErrorCode::kUnavailable, "another 'hull-agent update' is running")
               : ErrnoError(errno, "locking", path);
  return Ok();
}

// What OnTerminate executes: `hull-agent [--simulated-node DIR] sweep
// --terminated`, built by InstallOnTerminate before the handler can run (the
// handler itself may not allocate). A simulated node's sweep must stay on it.
namespace {
std::string terminate_node;
const char* terminate_argv[6] = {};
}  // namespace

// SIGTERM mid-download: only async-signal-safe calls are allowed here, so
// the process becomes `hull-agent sweep --terminated` (same pid, the lock
// kept), which removes the downloads and exits 143 as a SIGTERM death would.
void OnTerminate(int) {
  ::execv("/proc/self/exe", const_cast<char* const*>(terminate_argv));
  ::_exit(143);
}

void InstallOnTerminate() {
  size_t i = 0;
  terminate_argv[i++] = "hull-agent";
  if (Env().simulated()) {
    terminate_node = Env().root();
    terminate_argv[i++] = "--simulated-node";
    terminate_argv[i++] = terminate_node.c_str();
  }
  terminate_argv[i++] = "sweep";
  terminate_argv[i++] = "--terminated";
  terminate_argv[i] = nullptr;
  std::signal(SIGTERM, OnTerminate);
}

// Removes the download directories a killed run left behind.
Status Sweep(const Events& ev) {
  HULL_ASSIGN_OR_RETURN(auto removed,
                        SweepDownloads(slot::DownloadParent(), slot::kDownloadPrefix));
  if (!removed.empty()) ev.Emit("swept", {{"removed", removed}});
  return Ok();
}

// What a run ended with, for `status`; the state is saved with it.
int Remember(AgentState& state, const Events& ev, LastCheck last, int code) {
  state.last_check = std::move(last);
  if (auto st = SaveAgentState(AgentStatePath(), state); !st.ok()) return Fail(ev, st.error());
  return code;
}

// An install that failed under a slot taken for it: when no entry of the
// version is on the ESP (nothing can boot it), the slot goes back to the
// group now (steady-state, at most 10 s past the run's deadline) rather
// than at the next run, a check interval later. An entry that is there
// (or an entry or a disk that cannot be read) keeps the slot: it only ever
// boots under one.
void GiveBackSlot(Context& c, AgentState& state, const std::string& version, const Events& ev) {
  auto disk = slot::ReadDiskState(*c.disk.io.disk, *c.disk.io.esp);
  if (!disk.ok()) return;
  for (const auto& u : disk->ukis)
    if (u.version == version || !u.error.empty()) return;
  Action give_back{.kind = ActionKind::kReleaseSlot,
                   .reason = "the install of " + version + " failed; nothing of it boots",
                   .version = version};
  const Deadline end = std::chrono::steady_clock::now() + kGiveBackWait;
  if (auto st = FreeSlot(c.config, c.node, state, give_back, end, ev); !st.ok())
    ev.Emit("error", {{"message", st.error().ToString()}});
}

// Takes the reboot slot for `version` (decide.h rule L2). -1 when granted,
// else the run's exit code: a halted release is an outcome (the node keeps
// running; 0), a wait cut by the deadline an error (the next run asks again).
int TakeSlotOrStop(const Context& c, AgentState& state, const std::string& version,
                   Deadline deadline, const Events& ev) {
  Status st = TakeSlot(c.config, c.node, state, version, deadline, ev);
  if (st.ok()) return -1;
  if (state.fleetlock.halted == version)
    return Remember(state, ev, {"halted", c.node.version, version, st.error().ToString()}, 0);
  return Remember(state, ev, {"waiting-for-slot", c.node.version, version, st.error().ToString()},
                  Fail(ev, st.error()));
}

int RunUpdate(const UpdateOptions& o) {
  std::optional<Error> config_error;
  UpdateConfig cfg = Config(&config_error);
  Events ev(cfg.event_console);
  if (config_error) return Fail(ev, *config_error);
  if (auto st = LockUpdates(); !st.ok()) return Fail(ev, st.error());
  if (auto st = Sweep(ev); !st.ok()) return Fail(ev, st.error());
  InstallOnTerminate();
  auto ctx = OpenContext(cfg, true);
  if (!ctx.ok()) return Fail(ev, ctx.error());
  Context& c = *ctx;
  auto bad = LoadBadVersions(BadVersionsPath());
  if (!bad.ok()) return Fail(ev, bad.error());
  std::error_code ec;
  std::filesystem::create_directories(StateDir(), ec);
  auto loaded = LoadAgentState(AgentStatePath());
  if (!loaded.ok()) return Fail(ev, loaded.error());
  AgentState state = std::move(*loaded);
  KeepRefusalsOf(state, c.node.usrhash);
  const Deadline deadline = o.deadline_seconds ? std::chrono::steady_clock::now() +
                                                     std::chrono::seconds(o.deadline_seconds)
                                               : Deadline::max();
  DecideInput in{.node = c.node,
                 .config = c.config,
                 .now = o.now,
                 .to_version = o.to_version,
                 .allow_downgrade = o.allow_downgrade,
                 .reboot = o.reboot,
                 .bad_versions = *bad,
                 .refused = state.refused,
                 .rebooted_into = state.rebooted_into,
                 .slot_held = state.fleetlock.held,
                 .slot_version = state.fleetlock.version,
                 .gate_passed = std::filesystem::exists(Env().Path(kGatePassedPath), ec)};
  std::optional<tuf::Client> client;
  // Decide converges in five steps: rollbacks recorded, the reboot slot
  // freed, the repository read, a withdrawn pending entry recorded, then an
  // action that ends the run.
  for (int step = 0; step < 5; ++step) {
    in.disk = c.disk.state;
    const Action a = Decide(in);
    const json running = c.node.version;
    switch (a.kind) {
      case ActionKind::kRecordRollbacks:
        if (auto st = RecordRollbacks(c, ev, a.rollbacks); !st.ok()) return Fail(ev, st.error());
        for (const auto& f : a.rollbacks) in.bad_versions.insert(f.version);
        continue;
      case ActionKind::kCheckRepository: {
        ev.Emit("checking", {{"running", running}, {"repository", c.config.repository}});
        auto read = ReadReleases(c.config, o, client);
        // A freeze (a repository that stops answering, or answers with old
        // metadata) is loud: every failed read says since when.
        const int64_t now = std::time(nullptr);
        if (read.ok())
          state.last_refresh = now;
        else
          read = std::move(read).Context("unable to refresh (" +
                                         DescribeRefresh(state.last_refresh, now) + ")");
        // The extensions' own updates come first: they need no reboot.
        if (read.ok()) UpdateExtensionsInPlace(c, state, *client, deadline, ev);
        in.releases = std::move(read);
        continue;
      }
      case ActionKind::kIdle:
        ev.Emit("idle", {{"running", running}, {"reason", a.reason}});
        return 0;
      case ActionKind::kReboot:
        if (a.take_slot) {
          if (int code = TakeSlotOrStop(c, state, a.version, deadline, ev); code >= 0) return code;
        }
        if (auto st = Reboot(ev, state, a.entry, a.reason); !st.ok()) return Fail(ev, st.error());
        return 0;
      case ActionKind::kError:
        return Remember(state, ev, {"error", c.node.version, "", a.error->ToString()},
                        Fail(ev, *a.error));
      case ActionKind::kUpToDate:
        ev.Emit("up-to-date", {{"running", running},
                               {"newest", a.version},
                               {"held_back", a.held_back},
                               {"bad_versions", in.bad_versions}});
        return Remember(state, ev, {"up-to-date", c.node.version, a.version, ""}, 0);
      case ActionKind::kAheadOfChannel:
        ev.Emit("ahead-of-channel", {{"running", running},
                                     {"newest", a.version},
                                     {"channel", c.config.channel},
                                     {"reason", a.reason}});
        return Remember(state, ev, {"ahead-of-channel", c.node.version, a.version, a.reason}, 0);
      case ActionKind::kInstall:
        // The slot is taken before the download: a halted release is never
        // installed, and an installed entry (the default from then on) is
        // only ever booted under a slot -- with --no-reboot too. The wait
        // leaves the download half of the run's time.
        // The release's extensions first: without them it is not installed.
        // The booted release's too, where the node lacks them, so that a
        // rollback finds them (one not published for it is no reason to
        // stay: this release is being left).
        if (!c.config.sysexts.empty()) {
          if (auto booted =
                  FetchExtensionsFor(c.config.sysexts, c.node, c.node.version, *client, ev);
              !booted.ok() && booted.error().code() != ErrorCode::kNotFound)
            return Fail(ev, booted.error());
          auto fetched = FetchExtensionsFor(c.config.sysexts, c.node, a.release->version, *client,
                                            ev, &*a.release);
          if (!fetched.ok()) {
            const Error& e = fetched.error();
            const char* outcome =
                e.code() == ErrorCode::kNotFound ? "extensions-missing" : "extensions-failed";
            ev.Emit(
                outcome,
                {{"running", running}, {"version", a.release->version}, {"reason", e.ToString()}});
            return Remember(state, ev, {outcome, c.node.version, a.release->version, e.ToString()},
                            Fail(ev, e));
          }
        }
        if (a.take_slot) {
          const Deadline wait_end =
              SlotWaitBeforeInstall(std::chrono::steady_clock::now(), deadline);
          if (int code = TakeSlotOrStop(c, state, a.version, wait_end, ev); code >= 0) return code;
        }
        if (int code = InstallRelease(c, state, *client, a, o, ev); code != 0) {
          if (a.take_slot) GiveBackSlot(c, state, a.version, ev);
          return code;
        }
        return 0;
      case ActionKind::kReleaseSlot:
        if (auto st = FreeSlot(c.config, c.node, state, a, deadline, ev); !st.ok())
          return Fail(ev, st.error());
        in.slot_held = false;
        in.slot_version.clear();
        continue;
    }
  }
  return Fail(ev, Error(ErrorCode::kInternal, "the update decision did not settle"));
}

int RunSweep(bool terminated) {
  Events quiet("");
  // After the exec of OnTerminate this process holds the lock already.
  if (!terminated) {
    if (auto st = LockUpdates(); !st.ok()) return Fail(quiet, st.error());
  }
  if (auto st = Sweep(quiet); !st.ok()) return Fail(quiet, st.error());
  return terminated ? 128 + SIGTERM : 0;
}

int RunBless(const UpdateOptions&) {
  if (LiveBoot()) return 0;  // a read-only medium counts no boots
  std::optional<Error> config_error;
  UpdateConfig cfg = Config(&config_error);
  Events ev(cfg.event_console);
  if (config_error) return Fail(ev, *config_error);
  auto ctx = OpenContext(cfg, false);
  if (!ctx.ok()) return Fail(ev, ctx.error());
  Context& c = *ctx;
  const slot::Uki* booted = BootedEntry(c.disk.state, c.node.usrhash);
  if (!booted)
    return Fail(ev, Error(ErrorCode::kNotFound, "no boot entry names the booted usrhash="));
  if (booted->entry.left.has_value()) {
    node::EntryName blessed = booted->entry;
    blessed.left.reset();
    blessed.done.reset();
    if (auto st = c.disk.io.esp->Rename(booted->file, blessed.ToString()); !st.ok())
      return Fail(ev, st.error());
    ev.Emit("blessed",
            {{"version", c.node.version}, {"from", booted->file}, {"entry", blessed.ToString()}});
  }
  // Blessed (now, or by an earlier run that power loss may have cut short):
  // no rollback can want another OS's extensions any more.
  if (auto st = PruneExtensions(ev, c.node.version); !st.ok()) return Fail(ev, st.error());
  return 0;
}

// What `update` would choose now (decide.h's rule 8, or rule 7 with --to),
// without acting on it.
int RunCheck(const UpdateOptions& o) {
  Events quiet("");
  auto cfg = LoadConfig(Env().root());
  if (!cfg.ok()) return Fail(quiet, cfg.error());
  if (cfg->repository.empty()) {
    std::printf("No update repository configured (%s).\n", kFactoryConfig);
    return 0;
  }
  auto ctx = OpenContext(*cfg, false);
  if (!ctx.ok()) return Fail(quiet, ctx.error());
  auto bad = LoadBadVersions(BadVersionsPath());
  if (!bad.ok()) return Fail(quiet, bad.error());
  auto state = LoadAgentState(AgentStatePath());
  if (!state.ok()) return Fail(quiet, state.error());
  std::optional<tuf::Client> client;
  auto releases = ReadReleases(*cfg, o, client);
  if (!releases.ok()) return Fail(quiet, releases.error());
  DecideInput in{.node = ctx->node,
                 .disk = ctx->disk.state,
                 .config = *cfg,
                 .bad_versions = *bad,
                 .refused = state->refused};
  const slot::Choice choice = ChooseFor(in, *releases);
  const std::string running = slot::Installed(in.disk, in.node.usrhash).active_version;
  std::string result, newest = choice.newest;
  switch (choice.kind) {
    case slot::ChoiceKind::kInstall:
      result = "install";
      newest = choice.release->version;
      break;
    case slot::ChoiceKind::kUpToDate:
      result = "up-to-date";
      break;
    case slot::ChoiceKind::kAheadOfChannel:
      result = "ahead-of-channel";
      break;
    case slot::ChoiceKind::kNoRelease:
      result = "no-release";
      break;
  }
  json j = {{"verified", true},
            {"running", running},
            {"result", result},
            {"newest", newest},
            {"held_back", choice.held_back}};
  if (o.json) {
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return 0;
  }
  std::printf("Metadata verified. Running %s; channel %s: %s%s%s\n", running.c_str(),
              cfg->channel.c_str(), result.c_str(), newest.empty() ? "" : " ", newest.c_str());
  for (const auto& h : choice.held_back) std::printf("Held back: %s\n", h.c_str());
  return 0;
}

int RunStatus(const UpdateOptions& o) {
  Events quiet("");
  std::optional<Error> config_error;
  UpdateConfig cfg = Config(&config_error);
  if (config_error) return Fail(quiet, *config_error);
  auto ctx = OpenContext(std::move(cfg), false);
  if (!ctx.ok()) return Fail(quiet, ctx.error());
  const Context& c = *ctx;
  auto bad = LoadBadVersions(BadVersionsPath());
  if (!bad.ok()) return Fail(quiet, bad.error());
  auto state = LoadAgentState(AgentStatePath());
  if (!state.ok()) return Fail(quiet, state.error());
  StatusInput in{.node = c.node,
                 .config = c.config,
                 .disk = c.disk.state,
                 .bad_versions = std::move(*bad),
                 .state = std::move(*state),
                 .now = std::time(nullptr)};
  // Written by this boot's `hull-agent extensions`; none kept: absent.
  auto ext = ReadExtensionsState(kExtensionsState);
  if (!ext.ok()) return Fail(quiet, ext.error());
  in.extensions = std::move(*ext);
  if (o.json) {
    std::printf("%s\n", StatusJson(in).dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return 0;
  }
  std::fputs(StatusText(in).c_str(), stdout);
  return 0;
}

}  // namespace hull::agent

// `hull-agent health`: the gate before boot-complete.target (update.h).
#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "agent/coordinate.h"
#include "agent/decide.h"
#include "agent/dm_status.h"
#include "agent/environment.h"
#include "agent/events.h"
#include "agent/facts.h"
#include "agent/node.h"
#include "agent/sysfs.h"
#include "agent/update.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/subprocess.h"
#include "node/config.h"
#include "node/usrhash.h"
#include "slot/state.h"

namespace hull::agent {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// "" when /usr is the dm-verity device of the booted root hash, else why not.
std::string CheckUsr(const std::string& usrhash) {
  auto table = DmTargetOf("usr", true);
  if (!table.ok()) return "/usr is not a device-mapper device: " + table.error().ToString();
  if (table->type != "verity") return "/usr's device-mapper target is " + table->type;
  auto root = VerityTableRootHash(table->params);
  if (!root.ok() || *root != usrhash) return "/usr's verity root hash differs from usrhash=";
  auto status = DmTargetOf("usr", false);
  if (status.ok() && status->params != "V")
    return "dm-verity reports corruption (" + status->params + ")";
  return "";
}

// Waits for `unit` to be active: "" when it is, else why not (not found,
// failed, or still not active after the timeout).
std::string CheckUnit(const std::string& unit, Clock::time_point deadline) {
  for (;;) {
    auto r = RunAllowFailure(
        Command{.argv = {"systemctl", "show", "--property=LoadState,ActiveState", unit}});
    if (!r.ok()) return unit + ": " + r.error().ToString();
    std::string load, active;
    for (size_t pos = 0; pos < r->out.size();) {
      size_t nl = r->out.find('\n', pos);
      std::string line = r->out.substr(pos, nl == std::string::npos ? nl : nl - pos);
      if (line.rfind("LoadState=", 0) == 0) load = line.substr(10);
      if (line.rfind("ActiveState=", 0) == 0) active = line.substr(12);
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    if (load == "not-found") return unit + " does not exist";
    if (active == "active") return "";
    if (active == "failed") return unit + " failed";
    if (Clock::now() > deadline) return unit + " is not active (" + active + ") after the wait";
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
}

// A live boot's gate: /usr verified and the units active; no boot counting
// (the medium is read-only).
int LiveHealth(const node::UpdateConfig& cfg, std::vector<std::string> reasons, Events& ev,
               const UpdateOptions& o) {
  auto cmdline = ReadSysText("/proc/cmdline");
  auto usrhash =
      cmdline.ok() ? node::UsrHashOfCmdline(*cmdline) : Result<std::string>(cmdline.error());
  if (!usrhash.ok())
    reasons.push_back(usrhash.error().ToString());
  else if (std::string why = CheckUsr(*usrhash); !why.empty())
    reasons.push_back(why);
  auto deadline = Clock::now() + std::chrono::seconds(o.health_timeout_seconds);
  for (const auto& unit : cfg.health_units)
    if (std::string why = CheckUnit(unit, deadline); !why.empty()) reasons.push_back(why);
  if (!reasons.empty()) {
    ev.Emit("unhealthy", {{"reasons", reasons}, {"live", true}});
    return kExitFailed;
  }
  ev.Emit("healthy", {{"live", true}});
  return kExitOk;
}

}  // namespace

int RunHealth(const UpdateOptions& o) {
  // A configuration that cannot be read fails the gate (its health units are
  // unknown, so "healthy" would be a guess); an absent one is the defaults.
  node::UpdateConfig cfg;
  std::vector<std::string> reasons;
  const Environment& env = Env();
  if (auto c = node::LoadConfig(env.root()); c.ok())
    cfg = std::move(*c);
  else if (c.error().code() != ErrorCode::kNotFound)
    reasons.push_back(c.error().ToString());
  Events ev(cfg.event_console);
  if (LiveBoot()) return LiveHealth(cfg, reasons, ev, o);
  auto node = ReadNode();
  if (!node.ok()) {
    reasons.push_back(node.error().ToString());
    ev.Emit("unhealthy", {{"reasons", reasons}});
    return kExitFailed;
  }
  auto deadline = Clock::now() + std::chrono::seconds(o.health_timeout_seconds);
  if (env.simulated()) {
    // The harness's verdict stands for /usr's and the units' checks.
    auto verdict = env.HealthVerdict();
    if (!verdict.ok())
      reasons.push_back(verdict.error().ToString());
    else if (!verdict->empty())
      reasons.push_back(*verdict);
  } else {
    if (std::string why = CheckUsr(node->usrhash); !why.empty()) reasons.push_back(why);
    for (const auto& unit : cfg.health_units)
      if (std::string why = CheckUnit(unit, deadline); !why.empty()) reasons.push_back(why);
  }

  // Is this boot counted (an entry "+LEFT-DONE" still on trial)?
  std::string entry;
  bool counted = false, reboot = false;
  auto disk = OpenNodeDisk(*node, false);
  if (disk.ok()) {
    if (const slot::Uki* u = BootedEntry(disk->state, node->usrhash)) {
      entry = u->file;
      counted = u->entry.left.has_value();
    }
    reboot = RebootAfterFailedGate(disk->state, node->usrhash);
  } else {
    reasons.push_back("cannot read the boot entries: " + disk.error().ToString());
  }
  // A report field: a node without a TPM reports no PCR 11.
  auto pcr_line = ReadSysLine("/sys/class/tpm/tpm0/pcr-sha256/11");
  std::string pcr11 = pcr_line.ok() ? *pcr_line : "";
  for (auto& ch : pcr11) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  json facts = {{"version", node->version},
                {"root_hash", node->usrhash},
                {"entry", entry},
                {"on_trial", counted},
                {"pcr11", pcr11}};
  if (reasons.empty()) {
    // For `update`'s rule L1: the slot is freed only after a passed gate.
    std::error_code ec;
    const std::string passed = env.Path(kGatePassedPath);
    std::filesystem::create_directories(std::filesystem::path(passed).parent_path(), ec);
    if (auto st = WriteFileAtomic(passed, std::string(node->version + "\n")); !st.ok())
      ev.Emit("error", {{"message", st.error().ToString()}});
    ev.Emit("healthy", facts);
    return 0;
  }
  facts["reasons"] = reasons;
  ev.Emit("unhealthy", facts);
  if (counted && !reboot) {
    ev.Emit("error", {{"message",
                       "health gate failed on the last try of the only bootable entry: not "
                       "rebooting (systemd-boot would boot it again)"}});
  }
  if (reboot && o.reboot && disk.ok()) {
    // With a FleetLock server the reboot needs a slot: the trial's own slot
    // covers it once the server confirms it (pre-reboot again); without one
    // it is taken first. A server that does not grant it before the timeout
    // means no reboot.
    auto state = LoadAgentState(env.Path(kAgentStatePath));
    if (!state.ok()) {
      ev.Emit("error", {{"message", state.error().ToString() + ": not rebooting"}});
      return kExitFailed;
    }
    switch (SlotForGateReboot(cfg.fleetlock, state->fleetlock.held)) {
      case GateSlot::kNone:
        break;
      case GateSlot::kCovered: {
        // Asked again: the server may have pruned the holder.
        const std::string next = VersionAfterGateReboot(disk->state, node->usrhash);
        Status st = RefreshSlot(cfg, *node, *state, next, deadline, ev);
        if (!st.ok()) {
          ev.Emit("error", {{"message", st.error().ToString() + ": not rebooting"}});
          return kExitFailed;
        }
        break;
      }
      case GateSlot::kTake: {
        const std::string next = VersionAfterGateReboot(disk->state, node->usrhash);
        Status st = TakeSlot(cfg, *node, *state, next, deadline, ev);
        if (!st.ok()) {
          ev.Emit("error", {{"message", st.error().ToString() + ": not rebooting"}});
          return kExitFailed;
        }
        break;
      }
    }
    json fields = {{"reason",
                    "health gate failed on a counted boot: systemd-boot falls "
                    "back once its tries are used"}};
    if (state->fleetlock.held) fields["fleetlock"] = SlotRecordJson(state->fleetlock);
    ev.Emit("rebooting", fields);
    if (auto st = env.Reboot(); !st.ok()) ev.Emit("error", {{"message", st.error().ToString()}});
  }
  return kExitFailed;
}

}  // namespace hull::agent

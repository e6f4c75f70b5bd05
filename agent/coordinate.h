// The agent's side of FleetLock (docs/fleetlock.md "The agent"): the reboot
// slot is taken before an install or a reboot, kept across the reboot and
// any rollback in the state file (state.h SlotRecord), and freed after a
// healthy, blessed boot with a report of the version (fleet/protocol.h).
// Decide (decide.h rules L1, L2) says when; this file only talks to the
// server and records the answer.
#pragma once

#include <chrono>
#include <string>

#include "agent/decide.h"
#include "agent/environment.h"
#include "agent/events.h"
#include "agent/node.h"
#include "agent/state.h"
#include "base/result.h"
#include "node/config.h"

namespace hull::agent {

inline constexpr const char* kAgentStatePath = "/var/lib/hull/agent.json";
// Written by `health` when the gate passes: it lives in /run, so a reboot
// clears it (decide.h's gate_passed).
inline constexpr const char* kGatePassedPath = "/run/hull/health-passed";

using Deadline = std::chrono::steady_clock::time_point;

// Where the state is saved and the node id read from: the node's
// (environment.h); tests change them.
struct SlotPaths {
  std::string state = Env().Path(kAgentStatePath);
  std::string machine_id = Env().Path("/etc/machine-id");
};

// Sends pre-reboot naming `version` (the node's flavor and arch), retrying
// with backoff until granted or `deadline`; on the grant the slot is
// recorded held and the state saved before this returns (a record held for
// `version` already, asked again, is kept with its `since`). Errors:
// kRefused with the server's kind hull_release_halted (recorded as
// state.fleetlock.halted: do not install or boot `version`); kTimeout when
// the deadline passes first (a server that is down is waited for, never
// skipped); another permanent refusal (a 400) as it came.
Status TakeSlot(const node::UpdateConfig& config, const Node& node, AgentState& state,
                const std::string& version, Deadline deadline, const Events& ev,
                const SlotPaths& paths = {});

// Where the wait for a slot before an install ends: halfway from `now` to
// the run's `deadline` (Deadline::max(): no end). The download and install
// keep the other half: a slot granted at the very end of the run would
// leave them no time, and the node would hold it idle until its next run
// (a check interval) while the rest of its group waits.
Deadline SlotWaitBeforeInstall(Deadline now, Deadline deadline);

// A slot the record holds, asked for again before a reboot it covers: the
// server may have pruned the holder (--holder-ttl), so the local record
// alone never covers a reboot. pre-reboot naming `version` (idempotent for
// a holder, it refreshes its key) to the record's url and group, with
// backoff until granted or `deadline`; the record is kept as it is. Errors
// as TakeSlot's: not granted means no reboot.
Status RefreshSlot(const node::UpdateConfig& config, const Node& node, AgentState& state,
                   const std::string& version, Deadline deadline, const Events& ev,
                   const SlotPaths& paths = {});

// Carries out decide.h's kReleaseSlot, with the server and group the slot
// was taken from (the record's url and group, not the configuration's): the
// report (retried for at most 60 s or half the time left; a report that
// fails for any reason by then -- at once for a 404, a 400 or an unknown
// version -- is dropped, event report-dropped), then steady-state until it
// succeeds or `deadline`; the record is cleared and saved. Errors: kTimeout (the
// slot stays recorded; the next run frees it). With `forget`, steady-state
// is tried for at most 10 s (best effort) and the record dropped anyway.
Status FreeSlot(const node::UpdateConfig& config, const Node& node, AgentState& state,
                const Action& action, Deadline deadline, const Events& ev,
                const SlotPaths& paths = {});

// "held for V since T (url, group)", "not held" or "no FleetLock server
// configured", for `status`.
std::string DescribeSlot(const node::UpdateConfig& config, const SlotRecord& record, int64_t now);

}  // namespace hull::agent

#include "agent/coordinate.h"

#include <fmt/format.h>

#include <ctime>
#include <random>

#include "fleet/client.h"
#include "fleet/node_id.h"
#include "tuf/metadata.h"

namespace hull::agent {
namespace {

using std::chrono::milliseconds;

// How long a forgotten slot's old server is tried before the record goes.
constexpr milliseconds kForgetWait{10'000};
// How long a report is retried (at most half the run's time left) before it
// is dropped and the slot freed without it.
constexpr milliseconds kReportWait{60'000};

fleet::Backoff MakeBackoff() {
  return fleet::Backoff(milliseconds(1000), milliseconds(60'000), std::random_device{}());
}

// One client per call: the node id from /etc/machine-id (the app-specific
// id, fleet/node_id.h), the release the request is about.
// The TLS trust and client certificate are the node's (`tls`, the
// configuration's), whichever server the slot lives on.
struct Session {
  std::optional<fleet::NetworkPoster> http;
  std::optional<fleet::FleetLockClient> client;
};

Status Open(const node::FleetLockConfig& tls, const std::string& url, const std::string& group,
            const Node& node, const std::string& version, const SlotPaths& paths, Session& s) {
  HULL_ASSIGN_OR_RETURN(
      std::string id,
      fleet::NodeIdFromMachineId(paths.machine_id).Context("the FleetLock node id"));
  s.http.emplace(std::chrono::seconds(10), tls.ca, tls.cert, tls.key);
  s.client.emplace(*s.http, url, fleet::ClientParams{id, group});
  s.client->set_hull({.version = version, .flavor = node.flavor, .arch = node.arch});
  return Ok();
}

}  // namespace

namespace {

// pre-reboot naming `version` to `url`/`group`, with backoff until granted
// or `deadline`; a halt is recorded in the state (and saved).
Status AskForSlot(const node::FleetLockConfig& tls, const std::string& url,
                  const std::string& group, const Node& node, AgentState& state,
                  const std::string& version, Deadline deadline, const Events& ev,
                  const SlotPaths& paths, unsigned* attempts) {
  Session s;
  HULL_TRY(Open(tls, url, group, node, version, paths, s));
  ev.Emit("slot-waiting", {{"version", version}, {"server", url}, {"group", group}});
  fleet::SystemClock clock;
  fleet::Backoff backoff = MakeBackoff();
  Status st = fleet::RetryUntil(*s.client, clock, backoff, &fleet::FleetLockClient::PreReboot,
                                deadline, "pre-reboot", attempts);
  if (!st.ok() && s.client->last_kind() == fleet::ErrorKindName(fleet::ErrorKind::kReleaseHalted)) {
    state.fleetlock.halted = version;
    HULL_TRY(SaveAgentState(paths.state, state));
    ev.Emit("halted", {{"version", version},
                       {"reason", st.error().ToString()},
                       {"note", "not installed or booted; asked again at the next run"}});
  }
  return st;
}

}  // namespace

Deadline SlotWaitBeforeInstall(Deadline now, Deadline deadline) {
  if (deadline == Deadline::max() || deadline <= now) return deadline;
  return now + (deadline - now) / 2;
}

Status TakeSlot(const node::UpdateConfig& config, const Node& node, AgentState& state,
                const std::string& version, Deadline deadline, const Events& ev,
                const SlotPaths& paths) {
  unsigned attempts = 0;
  HULL_TRY(AskForSlot(config.fleetlock, config.fleetlock.url, config.fleetlock.group, node, state,
                      version, deadline, ev, paths, &attempts));
  // Held for this version already (asked again): the record stands.
  const bool again = state.fleetlock.held && state.fleetlock.version == version &&
                     state.fleetlock.url == config.fleetlock.url &&
                     state.fleetlock.group == config.fleetlock.group;
  if (!again)
    state.fleetlock = {.held = true,
                       .version = version,
                       .url = config.fleetlock.url,
                       .group = config.fleetlock.group,
                       .since = std::time(nullptr)};
  HULL_TRY(SaveAgentState(paths.state, state));
  ev.Emit("slot-taken", {{"fleetlock", SlotRecordJson(state.fleetlock)}, {"attempts", attempts}});
  return Ok();
}

Status RefreshSlot(const node::UpdateConfig& config, const Node& node, AgentState& state,
                   const std::string& version, Deadline deadline, const Events& ev,
                   const SlotPaths& paths) {
  unsigned attempts = 0;
  HULL_TRY(AskForSlot(config.fleetlock, state.fleetlock.url, state.fleetlock.group, node, state,
                      version, deadline, ev, paths, &attempts));
  ev.Emit("slot-taken", {{"fleetlock", SlotRecordJson(state.fleetlock)}, {"attempts", attempts}});
  return Ok();
}

Status FreeSlot(const node::UpdateConfig& config, const Node& node, AgentState& state,
                const Action& a, Deadline deadline, const Events& ev, const SlotPaths& paths) {
  // The slot lives on the server and in the group it was taken from (the
  // record), whatever the configuration says now; a record from before
  // url and group were kept falls back to the configuration.
  const std::string url = state.fleetlock.url.empty() ? config.fleetlock.url : state.fleetlock.url;
  const std::string group =
      state.fleetlock.url.empty() ? config.fleetlock.group : state.fleetlock.group;
  fleet::SystemClock clock;
  fleet::Backoff backoff = MakeBackoff();
  if (a.forget) {
    // Best effort: the old server is told once, within a bounded wait, so
    // that the slot is not stranded there; the record goes either way.
    std::string told = "no server recorded";
    if (!url.empty()) {
      Session s;
      Status st = Open(config.fleetlock, url, group, node, a.version, paths, s);
      if (st.ok())
        st = fleet::RetryUntil(*s.client, clock, backoff, &fleet::FleetLockClient::SteadyState,
                               std::min(deadline, clock.Now() + kForgetWait), "steady-state");
      told = st.ok() ? "steady-state sent to " + url : st.error().ToString();
    }
    ev.Emit("slot-forgotten", {{"fleetlock", SlotRecordJson(state.fleetlock)},
                               {"reason", a.reason},
                               {"steady_state", told}});
    state.fleetlock = {};
    return SaveAgentState(paths.state, state);
  }
  Session s;
  HULL_TRY(Open(config.fleetlock, url, group, node, a.version, paths, s));
  if (a.report != SlotReport::kNone) {
    const auto result = a.report == SlotReport::kHealthy ? fleet::ReportResult::kHealthy
                                                         : fleet::ReportResult::kRolledBack;
    // The report is worth a short wait, never the slot: whatever stops it
    // (a refusal, a server error, a hang) by its own deadline, it is dropped
    // and the slot freed all the same -- one stuck report must not keep
    // every node's slot.
    const Deadline report_deadline =
        clock.Now() +
        std::min<Deadline::duration>(kReportWait,
                                     std::max<Deadline::duration>(deadline - clock.Now(), {}) / 2);
    backoff.Reset();
    for (;;) {
      Status st = s.client->Report(result);
      if (st.ok()) {
        ev.Emit("reported", {{"version", a.version}, {"result", SlotReportName(a.report)}});
        break;
      }
      // Not retried: a server without the extension (404), one that knows
      // no such version, or a request it refuses for good (400).
      const int code = s.client->last_status();
      const bool final =
          st.error().code() == ErrorCode::kRefused &&
          (code == 404 || code == 400 ||
           s.client->last_kind() == fleet::ErrorKindName(fleet::ErrorKind::kUnknownVersion));
      if (final || clock.Now() >= report_deadline) {
        ev.Emit("report-dropped", {{"version", a.version},
                                   {"result", SlotReportName(a.report)},
                                   {"reason", st.error().ToString()}});
        break;
      }
      clock.SleepFor(std::min(
          backoff.Next(), std::chrono::duration_cast<milliseconds>(report_deadline - clock.Now()) +
                              milliseconds(1)));
    }
  }
  HULL_TRY(fleet::RetryUntil(*s.client, clock, backoff, &fleet::FleetLockClient::SteadyState,
                             deadline, "steady-state"));
  ev.Emit("slot-released", {{"fleetlock", SlotRecordJson(state.fleetlock)}, {"reason", a.reason}});
  state.fleetlock = {};
  return SaveAgentState(paths.state, state);
}

std::string DescribeSlot(const node::UpdateConfig& config, const SlotRecord& r, int64_t now) {
  if (!config.fleetlock.enabled() && !r.held) return "no FleetLock server configured";
  std::string out;
  if (r.held)
    out =
        fmt::format("slot held for {} since {} ({} s) from {} group {}", r.version,
                    tuf::FormatExpires(r.since), now > r.since ? now - r.since : 0, r.url, r.group);
  else
    out = fmt::format("slot not held ({} group {})", config.fleetlock.url, config.fleetlock.group);
  if (!r.halted.empty()) out += fmt::format("; {} was halted by the server", r.halted);
  return out;
}

}  // namespace hull::agent

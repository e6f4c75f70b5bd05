#include "agent/status.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/coordinate.h"

namespace hull::agent {
namespace {

using json = nlohmann::json;

std::vector<slot::Refusal> Current(const StatusInput& in) {
  AgentState s = in.state;
  KeepRefusalsOf(s, in.node.usrhash);
  return s.refused;
}

// The extensions' failed updates as the running image judges them.
std::vector<ExtensionFailure> CurrentExtensionFailures(const StatusInput& in) {
  AgentState s = in.state;
  KeepRefusalsOf(s, in.node.usrhash);
  return s.extension_failures;
}

}  // namespace

json StatusJson(const StatusInput& in) {
  const LastCheck& last = in.state.last_check;
  json refused = json::array();
  for (const auto& r : Current(in))
    refused.push_back({{"version", r.version}, {"root_hash", r.root_hash}, {"reason", r.reason}});
  return {{"running", {{"version", in.node.version}, {"root_hash", in.node.usrhash}}},
          {"disk", in.node.disk},
          {"config", node::ToJson(in.config)},
          {"bad_versions", in.bad_versions},
          {"refused", refused},
          {"last_check",
           {{"outcome", last.outcome},
            {"running", last.running},
            {"newest", last.newest},
            {"detail", last.detail}}},
          {"last_refresh", in.state.last_refresh},
          {"fleetlock", SlotRecordJson(in.state.fleetlock)},
          {"slots", slot::ToJson(in.disk)},
          {"extensions", ExtensionsJson(in.extensions)},
          {"extension_failures", ExtensionFailuresJson(CurrentExtensionFailures(in))}};
}

std::string StatusText(const StatusInput& in) {
  const LastCheck& last = in.state.last_check;
  std::string out = fmt::format("Running {} (root hash {}) from {}\n{}", in.node.version,
                                in.node.usrhash, in.node.disk, slot::ToText(in.disk));
  if (!in.bad_versions.empty())
    out +=
        fmt::format("Bad versions (never installed again): {}\n", fmt::join(in.bad_versions, ", "));
  for (const auto& r : Current(in))
    out += fmt::format("Refused {} (not downloaded again): {}\n", r.version, r.reason);
  out += ExtensionsText(in.extensions);
  for (const auto& f : CurrentExtensionFailures(in))
    out += fmt::format("Extension update failed: {} {}: {} ({})\n", f.name, f.version, f.reason,
                       f.refused ? "refused: not tried again until other bytes are published"
                                 : "tried again at the next run");
  out += fmt::format("Repository: {}\n", DescribeRefresh(in.state.last_refresh, in.now));
  out += fmt::format("FleetLock: {}\n", DescribeSlot(in.config, in.state.fleetlock, in.now));
  if (!last.outcome.empty())
    out += fmt::format("Last update run: {}{}\n", last.outcome,
                       (last.newest.empty() ? "" : " (channel's newest: " + last.newest + ")") +
                           (last.detail.empty() ? "" : ": " + last.detail));
  return out;
}

}  // namespace hull::agent

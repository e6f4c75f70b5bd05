// `hull-agent status`: what the node runs and what the agent knows, as
// JSON (--json) and as text, from facts gathered by RunStatus (update.h).
// Pure, so each field is unit-tested.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/extensions.h"
#include "agent/node.h"
#include "agent/state.h"
#include "node/config.h"
#include "slot/state.h"

namespace hull::agent {

struct StatusInput {
  Node node;
  node::UpdateConfig config;
  slot::DiskState disk;
  std::set<std::string> bad_versions;
  AgentState state;                         // as saved
  int64_t now = 0;                          // Unix seconds, for the refresh's age
  std::vector<ExtensionResult> extensions;  // this boot's, kExtensionsState
};

// Refusals are shown as the running image judges them (KeepRefusalsOf):
// those recorded under another usrhash are not current, since the next run
// judges those releases again, and are left out.
nlohmann::json StatusJson(const StatusInput& in);
std::string StatusText(const StatusInput& in);

}  // namespace hull::agent

// The operator's view of a FleetLock deployment, read from etcd: every
// group's slots and holders (with how long each has held) and every release's
// reports and halt. Rendered as JSON (GET /v1/status, `hull fleetlock status
// --json`) and as a self-refreshing HTML page (GET /). Both renderings come
// from one FleetStatus so they cannot disagree. Ids and names come from
// clients and etcd: the page escapes every byte of them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fleet/lock_service.h"
#include "fleet/releases.h"

namespace hull::fleet {

struct FleetStatus {
  std::vector<GroupState> groups;
  std::vector<ReleaseRecord> releases;
  int64_t now = 0;  // unix seconds, when read
};

// {"now":..,"groups":[{"group","total_slots","holders":[ids],"held_since":
// {id:unix},"held_seconds":{id:n},"version"}],"releases":[{"version",
// "flavor","arch","tried","healthy","rolled_back","halted","halted_at"}]}.
// A holder granted by airlock has no held_since entry.
nlohmann::json StatusJson(const FleetStatus& status);

// The page; refreshes itself every `refresh_seconds`. No external assets.
std::string StatusPage(const FleetStatus& status, int refresh_seconds = 5);

// HTML text escaping of & < > " '.
std::string HtmlEscape(std::string_view text);
// "42s", "3m07s", "2h05m", "?" for negative.
std::string FormatDuration(int64_t seconds);

}  // namespace hull::fleet

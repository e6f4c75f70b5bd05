// The agent's memory between runs, beside the bad versions in /var/lib/hull
// (docs/agent.md "State"): one JSON file, written atomically, so a power cut
// leaves the old state or the new one.
//   {"rebooted_into": "hull_<v>+3.efi",
//    "refused": [{"version", "root_hash", "reason"}, ...], "refused_under": H,
//    "last_check": {"outcome", "running", "newest", "detail"},
//    "last_refresh": 1764900000,
//    "fleetlock": {"held": true, "version": V, "url": U, "group": G,
//                  "since": 1764900000, "halted": V2},
//    "extension_failures": [{"name", "version", "sha256", "reason",
//                            "refused"}, ...]}
// It is the agent's own file, but read like any bytes on disk: strict
// (unknown keys and wrong types are kCorrupt naming the file), bounded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "node/config.h"
#include "slot/choose.h"

namespace hull::agent {

inline constexpr uint64_t kMaxStateBytes = 64 << 10;
inline constexpr size_t kMaxRefusals = 32;
// One per extension name, and a node wants at most that many.
inline constexpr size_t kMaxExtensionFailures = node::kMaxWantedSysexts;

// What the last `update` run ended with, for `status`.
struct LastCheck {
  std::string outcome;  // the event: "up-to-date", "ahead-of-channel", "installed", "error", ...
  std::string running, newest;
  std::string detail;  // the reason or error message
};

// The FleetLock slot (docs/fleetlock.md "The agent"). Held from the granted
// pre-reboot across the reboot and any rollback, until the steady-state
// after a healthy, blessed boot.
struct SlotRecord {
  bool held = false;
  std::string version;     // the version the slot was taken to boot
  std::string url, group;  // the server and group it was taken from
  int64_t since = 0;       // granted at (Unix seconds, the node's clock)
  // The version the server refused last as halted ("" none): kept running,
  // asked again at the next run.
  std::string halted;
};

// The last failed own update of an extension (docs/sysext.md "An
// extension's own update"), one per name, cleared by its next success.
struct ExtensionFailure {
  std::string name, version;
  std::string sha256;  // the image's digest, from the signed targets metadata
  std::string reason;
  // A check refused the image's bytes (signature, tree, content, layout,
  // compatibility): the same name, version and digest is not tried again,
  // nor the FleetLock slot taken for it. Otherwise (a fetch, a mount, the
  // refresh, the slot failed) the next run tries again.
  bool refused = false;
};

struct AgentState {
  // The entry the agent last rebooted into (after installing it, or by
  // decide.h's rule 5): a reboot into one entry happens once.
  std::string rebooted_into;
  // Releases refused after download for their own bytes (slot::Install's
  // `refused`): never downloaded again while their root hash is the same.
  std::vector<slot::Refusal> refused;
  // The root hash of the image that judged them: a refusal depends on the
  // running image too (its trust set, its slot sizes), so another image
  // judges again (KeepRefusalsOf).
  std::string refused_under;
  LastCheck last_check;
  // When the repository was last read (its metadata refreshed and accepted),
  // in Unix seconds by the node's clock; 0: never. A freeze shows as a
  // growing age in the error events and in `status`.
  int64_t last_refresh = 0;
  SlotRecord fleetlock;
  // Judged under refused_under too: another image (another trust set) tries
  // the refused ones again (KeepRefusalsOf).
  std::vector<ExtensionFailure> extension_failures;
};

// How long the node has been unable to refresh, for events and `status`:
// "never refreshed", or "last refreshed 2026-12-05T01:00:00Z, 3600 s ago"
// (0 s ago when the clock is behind the time recorded).
std::string DescribeRefresh(int64_t last_refresh, int64_t now);

// {"held", "version", "url", "group", "since", "halted"}: the state file's
// record, also shown by events and `status --json`.
nlohmann::json SlotRecordJson(const SlotRecord& record);

Result<AgentState> ParseAgentState(std::string_view text, const std::string& name);
std::string AgentStateText(const AgentState& state);
// An absent file is the empty state.
Result<AgentState> LoadAgentState(const std::string& path);
Status SaveAgentState(const std::string& path, const AgentState& state);

// Drops the refusals (OS releases' and extensions' failures) another image
// recorded (refused_under != usrhash) and marks the rest as this image's:
// after an update that adds the next signing certificate to the trust set, a
// release or an extension refused for its signer is tried again.
void KeepRefusalsOf(AgentState& state, const std::string& usrhash);

// Remembers a refusal (replacing one of the same version), keeping only
// versions newer than `running` (an older one can never be chosen again) and
// at most kMaxRefusals, the newest.
void AddRefusal(AgentState& state, slot::Refusal refusal, const std::string& running);

// Whether `state` remembers a refusal of exactly these bytes: the same
// name, version and digest ("" matches only "").
bool ExtensionRefused(const AgentState& state, const std::string& name, const std::string& version,
                      const std::string& sha256);
// Records `failure`, replacing the one of its name (at most
// kMaxExtensionFailures, the last ones).
void RecordExtensionFailure(AgentState& state, ExtensionFailure failure);
// Forgets the failure of `name` (its update succeeded).
void ClearExtensionFailure(AgentState& state, const std::string& name);
nlohmann::json ExtensionFailuresJson(const std::vector<ExtensionFailure>& failures);

}  // namespace hull::agent

// Hull's use of TUF targets: each node image release is a target whose
// `custom` object names flavor, arch, version (YYYYMM.DD.N) and channel.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "tuf/metadata.h"

namespace hull::tuf {

// "202611.24.0" -> {202611, 24, 0}; kInvalidArgument otherwise.
Result<std::array<uint64_t, 3>> ParseReleaseVersion(const std::string& v);

// A release its publisher withdrew (`hull release pull`, docs/release.md):
// each of its targets carries custom "withdrawn": true, signed by the
// targets role like the rest. Nodes never install it; one running it stays.
inline constexpr const char* kWithdrawnKey = "withdrawn";
bool IsWithdrawn(const nlohmann::json& custom);

// A target's staged rollout (`hull release add --rollout`, `hull release
// rollout`): custom "rollout_percent", 100 when absent or not a count, at
// most 100.
uint64_t RolloutPercentOf(const nlohmann::json& custom);

struct Release {
  std::string target;  // target name
  std::string flavor, arch, version, channel;
  uint64_t rollout_percent = 100;
  uint64_t length = 0;
  bool withdrawn = false;
};

// Releases among `targets` (targets without Hull's custom fields are skipped).
std::vector<Release> ListReleases(const Targets& targets);

// The newest release matching the filters (empty filter = any), withdrawn
// ones passed over.
std::optional<Release> NewestRelease(const Targets& targets, const std::string& flavor,
                                     const std::string& arch, const std::string& channel);

}  // namespace hull::tuf

// Azure VM size names, parsed by the published naming convention:
//   [Family] + [Sub-family]* + [# of vCPUs] + [Constrained vCPUs]* +
//   [Additive features] + [Accelerator type]* + [Version]
//   https://learn.microsoft.com/azure/virtual-machines/vm-naming-conventions
// e.g. Standard_D4ps_v6 (D family, 4 vCPUs, p = ARM64, s = premium storage, v6),
// Standard_NC24ads_A100_v4, Standard_E8-4ds_v5 (4 constrained vCPUs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::catalog {

// Additive feature letters with their meaning (the convention's table).
struct FeatureLetter {
  char letter;
  const char* meaning;
};
inline constexpr FeatureLetter kFeatureLetters[] = {
    {'a', "AMD processor"},    {'b', "block storage performance"},
    {'d', "local temp disk"},  {'e', "Intel TDX confidential"},
    {'i', "isolated size"},    {'l', "low memory"},
    {'m', "memory intensive"}, {'n', "network optimized"},
    {'p', "ARM64 processor"},  {'r', "RDMA capable"},
    {'s', "premium storage"},  {'t', "tiny memory"},
};

struct VmSizeName {
  std::string canonical;  // "Standard_D4ps_v6"
  std::string family;     // "D"
  std::string subfamily;  // "" ("C" for DC, "C" for NC, "CC" for NCC)
  uint32_t vcpus = 0;
  std::optional<uint32_t> constrained_vcpus;
  std::string features;                   // "ps"
  std::vector<std::string> accelerators;  // {"A100"}
  std::optional<uint32_t> version;        // 6 for _v6; none for v1 names
  // The family row key: the name without prefix and vCPU counts,
  // "Dps_v6", "NCads_A100_v4", "Bms".
  std::string series;

  bool HasFeature(char letter) const { return features.find(letter) != std::string::npos; }
};

// Parses a size name case-insensitively ("standard_d4ps_v6" works); the
// "Standard_" prefix is optional. kInvalidArgument naming the bad part.
Result<VmSizeName> ParseVmSizeName(std::string_view name);

}  // namespace hull::catalog

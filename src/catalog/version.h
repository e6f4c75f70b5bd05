// Version strings of the node-image catalog.
//
// Node image versions are dates, `YYYYMM.DD.N` (DESIGN.md "Release versions";
// AKS node images: https://learn.microsoft.com/azure/aks/node-images), ordered
// part by part as integers. Kubernetes versions are `MAJOR.MINOR` or
// `MAJOR.MINOR.PATCH` (https://kubernetes.io/releases/version-skew-policy/);
// a missing patch compares as 0.
#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::catalog {

struct ImageVersion {
  uint32_t year_month = 0;  // YYYYMM, month 01..12
  uint32_t day = 0;         // DD, 01..31
  uint32_t build = 0;       // N, the release of that day
  auto operator<=>(const ImageVersion&) const = default;
  std::string ToString() const;  // "202606.01.0"
};

// Parses "YYYYMM.DD.N". kInvalidArgument naming the bad part otherwise.
Result<ImageVersion> ParseImageVersion(std::string_view text);

// The highest of `versions`; kNotFound when empty.
Result<ImageVersion> LatestVersion(std::span<const ImageVersion> versions);

struct KubernetesVersion {
  uint32_t major = 0, minor = 0, patch = 0;
  bool has_patch = false;
  std::strong_ordering operator<=>(const KubernetesVersion& o) const {
    if (auto c = major <=> o.major; c != 0) return c;
    if (auto c = minor <=> o.minor; c != 0) return c;
    return patch <=> o.patch;
  }
  bool operator==(const KubernetesVersion& o) const { return (*this <=> o) == 0; }
  std::string ToString() const;  // as given: "1.34" or "1.34.2"
};

// Parses "1.34", "1.34.0" or "v1.34.0". kInvalidArgument otherwise.
Result<KubernetesVersion> ParseKubernetesVersion(std::string_view text);

}  // namespace hull::catalog

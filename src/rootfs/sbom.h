// An SPDX 2.3 JSON document (https://spdx.github.io/spdx-spec/v2.3/) listing
// every package of the image: one OPERATING_SYSTEM package the document
// DESCRIBES, which CONTAINS one package per Debian package (version, purl,
// the .deb's SHA-256, declared license from its DEP-5 copyright file).
// Valid against the SPDX 2.3 JSON schema (tests/data/spdx, checked by
// build_e2e_test). Deterministic: `created` is SOURCE_DATE_EPOCH and the
// namespace is derived from the content.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rootfs/packages.h"

namespace hull::rootfs {

struct SbomInfo {
  std::string image_name;
  std::string image_version;
  std::string suite = "bookworm";
  int64_t created = 0;  // Unix time
  std::string tool_version = "0.1.0";
};

nlohmann::json BuildSpdx(const SbomInfo& info, const std::vector<PackageInfo>& packages);
// SPDXID-safe form: letters, digits, '.', '-'.
std::string SpdxIdSafe(std::string_view s);
// "pkg:deb/debian/<name>@<version>?arch=<arch>&distro=<suite>" (percent-encoded).
std::string DebPurl(const PackageInfo& p, const std::string& suite);

}  // namespace hull::rootfs

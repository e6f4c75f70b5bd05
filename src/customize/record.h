// What `hull customize` records beside the image: manifest.json (the base
// image's name, version, SHA-256 and root hash; the new root hash, command
// line and PCR 11 prediction; every change; the outputs' SHA-256) and an
// SPDX 2.3 SBOM: the base's SBOM (found next to the base image, or given)
// with the base image and each change added as annotations of its operating
// system package, or, without one, a document naming the image alone.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "customize/apply.h"

namespace hull::customize {

struct RecordInputs {
  std::string image;    // the base disk's path ("" for a release)
  std::string release;  // the repository the base release came from ("" for a disk)
  std::string image_sha256, base_version, base_root_hash;
  std::string image_format = "raw";  // as told by its bytes (disk/convert.h)
  std::string base_sbom;             // empty: <image without extension>.spdx.json when it exists
  std::string root_hash, cmdline;
  std::vector<std::pair<std::string, std::string>> pcr11;
  std::vector<Change> changes;
  int64_t epoch = 0;
  std::string image_id;
  std::string stem;  // "<image id>_<version>": the SBOM is <stem>.spdx.json
  // The disk, or for a release payload.json (which names the payload's files).
  std::string disk_name, disk_sha256, uki_name;
  std::string out_dir;  // where manifest.json and the SBOM are written
};

// The SBOM for `in` from the base's (null: none). Deterministic.
nlohmann::json CustomizedSbom(const RecordInputs& in, const nlohmann::json& base_sbom);

// Writes <out>/<stem>.spdx.json and <out>/manifest.json; returns the manifest.
// kCorrupt for a base SBOM that is not SPDX JSON.
Result<nlohmann::json> WriteRecord(const RecordInputs& in);

}  // namespace hull::customize

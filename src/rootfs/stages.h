// The rootfs stages of a build, as `hull build` and the developer commands
// `hull rootfs compose` / `hull rootfs pack` run them.
//
// Compose stage (spec -> shaped tree) writes into OUT:
//   tree/               the shaped tree (tree/usr is the future /usr image)
//   image.json          what the pack stage needs from the spec
//   packages.json       the package list (name, version, arch, source,
//                       licenses, .deb SHA-256)
//   shape-report.json   sizes, module pruning, largest /usr contributors
// Pack stage (OUT -> usr.erofs + SBOM) writes OUT/file_contexts and
// OUT/policy.file_contexts when SELinux is not disabled, the erofs image and an SPDX 2.3 SBOM.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rootfs/compose.h"
#include "rootfs/erofs.h"
#include "rootfs/shape.h"
#include "spec/spec.h"

namespace hull::rootfs {

struct ComposeStageOptions {
  std::string spec_dir;  // resolves relative `files` sources
  std::string out_dir;
  std::string cache_dir;  // empty: no cache
  int64_t source_date_epoch = 0;
};

struct ComposeStageResult {
  ComposeResult compose;
  ShapeReport shape;
  double shape_seconds = 0;
};

Result<ComposeStageResult> ComposeStage(const spec::ImageSpec& spec,
                                        const ComposeStageOptions& options);

struct PackStageOptions {
  std::string dir;            // a compose stage's OUT
  std::string output;         // the erofs image
  std::string sbom;           // default: <output>.spdx.json
  std::optional<bool> lz4hc;  // default: the spec's erofs.compression
};

struct PackStageResult {
  std::string image;
  std::string sbom;
  std::string file_contexts;  // empty when SELinux is disabled
  // The policy's own file_contexts (node paths), for labelling the root
  // filesystem; empty when SELinux is disabled.
  std::string policy_file_contexts;
  Uuid uuid;
  uint64_t image_bytes = 0;
  double seconds = 0;
};

Result<PackStageResult> PackStage(const PackStageOptions& options);

nlohmann::json ShapeReportJson(const ShapeReport& r);
nlohmann::json PackagesJson(const std::vector<PackageInfo>& packages);

}  // namespace hull::rootfs

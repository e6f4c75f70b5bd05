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
  // Already resolved (ResolveCompose): the InRelease is not fetched again.
  std::optional<ComposeSource> source;
};

struct ComposeStageResult {
  ComposeResult compose;
  ShapeReport shape;
  double shape_seconds = 0;
};

Result<ComposeStageResult> ComposeStage(const spec::ImageSpec& spec,
                                        const ComposeStageOptions& options);
// The compose options a spec gives (what ComposeStage composes with).
ComposeOptions ComposeOptionsFor(const spec::ImageSpec& spec, const ComposeStageOptions& options);
// A compose stage's result read back from its OUT (image.json, packages.json,
// shape-report.json), as kept by a cache: compose.cache_hit is set, the
// seconds are 0. kCorrupt names a malformed file.
Result<ComposeStageResult> LoadComposeStage(const std::string& dir);

struct PackStageOptions {
  std::string dir;            // a compose stage's OUT
  std::string output;         // the erofs image
  std::string sbom;           // default: <output>.spdx.json
  std::optional<bool> lz4hc;  // default: the spec's erofs.compression
  // `output` already holds the image an earlier PackStage of this `dir` made
  // (and `dir` its file_contexts): only the SBOM is written.
  bool reuse_image = false;
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

// The state the pipeline's stages hand on (internal to src/build).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "build/artifacts.h"
#include "build/initrd.h"
#include "build/pipeline.h"
#include "build/plan.h"
#include "disk/image.h"
#include "rootfs/stages.h"

namespace hull::build {

struct Work {
  std::string dir, out;   // out: what becomes --out
  std::string spec_text;  // recorded (BuildOptions::spec_text)
  int64_t epoch = 0;
  SigningKeys keys;
  rootfs::ComposeStageResult compose;
  std::string products_dir;  // the usr product cache entry (empty: no cache)
  bool products_hit = false;
  rootfs::PackStageResult pack;
  SealResult seal;
  KernelFiles kernel;
  InitrdResult initrd;
  UkiResult uki;
  uint64_t esp_bytes = 0;
  PartitionSizes sizes;
  std::vector<std::pair<std::string, disk::CreateResult>> disks;
};

// manifest.json (docs/build.md lists its fields).
nlohmann::json ManifestJson(const spec::ImageSpec& s, const Work& w, const BuildResult& res);

}  // namespace hull::build

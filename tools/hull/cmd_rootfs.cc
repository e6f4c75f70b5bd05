// hull rootfs compose|pack: the rootfs stages of a build, run on their own.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli.h"
#include "rootfs/stages.h"
#include "spec/spec.h"

namespace hull::cli {
namespace {

struct ComposeArgs {
  std::string spec, out, cache;
  bool json = false;
};

struct PackArgs {
  std::string dir, out, sbom, compression;
  bool json = false;
};

void PrintShape(const rootfs::ComposeStageResult& r) {
  const auto& s = r.shape;
  std::printf("composed in %.1f s (cache %s, key %s)\n", r.compose.seconds,
              r.compose.cache_hit ? "hit" : "miss", r.compose.key.substr(0, 16).c_str());
  std::printf("shaped in %.1f s: %zu packages, package manager removed: %zu\n", r.shape_seconds,
              s.packages.size(), s.removed_packages.size());
  for (const auto& k : s.kernels) {
    std::printf("kernel %s: kept %zu of %zu modules (%.1f MiB removed)\n", k.kernel_version.c_str(),
                k.modules_kept, k.modules_before, double(k.bytes_removed) / (1 << 20));
  }
  std::printf("/usr: %.1f MiB before module pruning, %.1f MiB after\nlargest in /usr:\n",
              double(s.usr_bytes_before_prune) / (1 << 20), double(s.usr_bytes_after) / (1 << 20));
  for (const auto& e : s.largest) {
    std::printf("  %8.1f MiB  /usr/%s\n", double(e.bytes) / (1 << 20), e.path.c_str());
  }
}

int RunCompose(const ComposeArgs& a) {
  const int64_t epoch = spec::BuildTime();
  auto s = spec::LoadSpec(a.spec, epoch);
  if (!s.ok()) return ReportError(s.error());
  rootfs::ComposeStageOptions o{.spec_dir = std::filesystem::path(a.spec).parent_path().string(),
                                .out_dir = a.out,
                                .cache_dir = a.cache,
                                .source_date_epoch = epoch};
  auto r = rootfs::ComposeStage(*s, o);
  if (!r.ok()) return ReportError(r.error());
  if (a.json) {
    auto j = rootfs::ShapeReportJson(r->shape);
    j["cache_hit"] = r->compose.cache_hit;
    j["cache_key"] = r->compose.key;
    j["compose_seconds"] = r->compose.seconds;
    j["shape_seconds"] = r->shape_seconds;
    PrintJson(j);
  } else {
    PrintShape(*r);
  }
  return kExitOk;
}

int RunPack(const PackArgs& a) {
  rootfs::PackStageOptions o{.dir = a.dir, .output = a.out, .sbom = a.sbom};
  if (!a.compression.empty()) o.lz4hc = a.compression == "lz4hc";
  auto r = rootfs::PackStage(o);
  if (!r.ok()) return ReportError(r.error());
  if (a.json) {
    PrintJson({{"image", r->image},
               {"bytes", r->image_bytes},
               {"uuid", r->uuid.ToString()},
               {"sbom", r->sbom},
               {"file_contexts", r->file_contexts},
               {"seconds", r->seconds}});
  } else {
    std::printf("%s: %.1f MiB erofs, UUID %s, packed in %.1f s\nSBOM: %s\n", r->image.c_str(),
                double(r->image_bytes) / (1 << 20), r->uuid.ToString().c_str(), r->seconds,
                r->sbom.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterRootfs(CLI::App& app, Context& ctx) {
  auto* rootfs = app.add_subcommand(
      "rootfs", "Developer commands: compose and shape a root tree, pack /usr as erofs");
  rootfs->require_subcommand(1);

  auto c = std::make_shared<ComposeArgs>();
  auto* compose = rootfs->add_subcommand(
      "compose", "Compose SPEC's packages with mmdebstrap and shape the tree for immutability");
  compose->add_option("SPEC", c->spec, "Image spec (YAML)")->required();
  compose->add_option("--out", c->out, "Output directory (created; must be empty)")->required();
  compose->add_option("--cache", c->cache, "Cache directory for .debs and composed trees");
  compose->add_flag("--json", c->json, "Print the report as JSON");
  compose->footer(
      "Writes OUT/tree (the shaped tree), OUT/image.json, OUT/packages.json and\n"
      "OUT/shape-report.json. Needs root and network access to the spec's mirror;\n"
      "timestamps come from SOURCE_DATE_EPOCH.\n"
      "Example: SOURCE_DATE_EPOCH=1764028800 hull rootfs compose specs/default.yaml "
      "--out /tmp/node --cache ~/.cache/hull");
  compose->callback([&ctx, c] { ctx.action = [c] { return RunCompose(*c); }; });

  auto p = std::make_shared<PackArgs>();
  auto* pack = rootfs->add_subcommand("pack", "Pack DIR/tree/usr as an erofs image, with an SBOM");
  pack->add_option("DIR", p->dir, "A directory made by 'hull rootfs compose'")->required();
  pack->add_option("--out", p->out, "The erofs image to write")->required();
  pack->add_option("--sbom", p->sbom, "SPDX 2.3 JSON SBOM path (default: OUT.spdx.json)");
  pack->add_option("--compression", p->compression, "Override the spec: none or lz4hc")
      ->check(CLI::IsMember({"none", "lz4hc"}));
  pack->add_flag("--json", p->json, "Print the result as JSON");
  pack->footer("Example: hull rootfs pack /tmp/node --out /tmp/node/usr.erofs");
  pack->callback([&ctx, p] { ctx.action = [p] { return RunPack(*p); }; });
}

}  // namespace hull::cli

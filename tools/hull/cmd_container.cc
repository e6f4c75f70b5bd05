// hull container build: a container spec or preset -> an OCI image layout.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/file.h"
#include "cli.h"
#include "container/build.h"
#include "container/spec.h"
#include "spec/spec.h"

namespace hull::cli {
namespace {

struct BuildArgs {
  std::string spec, preset, out, cache;
  bool json = false;
};

int RunContainerBuild(const BuildArgs& a) {
  Result<container::ContainerSpec> s = Error(ErrorCode::kInternal, "no spec");
  std::string spec_dir;
  if (!a.preset.empty()) {
    s = container::Preset(a.preset);
  } else {
    auto text = ReadFileText(a.spec, 1 << 20);
    if (!text.ok()) return ReportError(text.error());
    s = container::ParseContainerSpec(*text, a.spec);
    spec_dir = std::filesystem::path(a.spec).parent_path().string();
  }
  if (!s.ok()) return ReportError(s.error());
  auto r = container::BuildContainer(*s, {.out = a.out,
                                          .spec_dir = spec_dir.empty() ? "." : spec_dir,
                                          .cache_dir = a.cache,
                                          .source_date_epoch = spec::BuildTime()});
  if (!r.ok()) return ReportError(r.error());
  if (a.json) {
    nlohmann::json images = nlohmann::json::array();
    for (const auto& i : r->images) {
      images.push_back({{"arch", i.arch},
                        {"manifest", i.manifest_digest},
                        {"compressed_bytes", i.compressed_bytes},
                        {"uncompressed_bytes", i.uncompressed_bytes},
                        {"cache_hit", i.cache_hit},
                        {"packages", i.packages}});
    }
    PrintJson({{"name", r->name},
               {"digest", r->digest},
               {"media_type", r->media_type},
               {"seconds", r->seconds},
               {"images", images}});
    return kExitOk;
  }
  std::printf("%s: %s (oci:%s:%s), built in %.1f s\n", r->name.c_str(), r->digest.c_str(),
              a.out.c_str(), r->name.c_str(), r->seconds);
  for (const auto& i : r->images) {
    std::printf("  %-8s %.2f MiB compressed, %.2f MiB uncompressed, %zu packages\n", i.arch.c_str(),
                double(i.compressed_bytes) / (1 << 20), double(i.uncompressed_bytes) / (1 << 20),
                i.packages.size());
  }
  return kExitOk;
}

}  // namespace

void RegisterContainer(CLI::App& app, Context& ctx) {
  auto* container =
      app.add_subcommand("container", "Container base images from Debian packages (OCI layouts)");
  container->require_subcommand(1);
  auto a = std::make_shared<BuildArgs>();
  auto* build =
      container->add_subcommand("build", "Build an OCI image layout from a spec or preset");
  auto* spec = build->add_option("SPEC", a->spec, "Container spec (YAML, docs/containers.md)");
  auto* preset = build->add_option("--preset", a->preset,
                                   "A built-in spec: static, base, cc, python3, or NAME:debug");
  spec->excludes(preset);
  build->add_option("--out", a->out, "The OCI layout to write (must not exist or be empty)")
      ->required();
  build->add_option("--cache", a->cache, "Cache directory for downloaded packages");
  build->add_flag("--json", a->json, "Print the result as JSON");
  build->footer(
      "Needs root (mmdebstrap --mode=unshare) and the spec's mirror; timestamps come from\n"
      "SOURCE_DATE_EPOCH. The image is named in index.json as the spec's name.\n"
      "Example: hull container build --preset static --out /tmp/static && "
      "skopeo inspect oci:/tmp/static:static");
  build->callback([&ctx, a] {
    ctx.action = [a] {
      if (a->spec.empty() == a->preset.empty()) {
        return ReportError(
            Error(ErrorCode::kInvalidArgument, "give a SPEC file or --preset NAME (one of them)"));
      }
      return RunContainerBuild(*a);
    };
  });
}

}  // namespace hull::cli

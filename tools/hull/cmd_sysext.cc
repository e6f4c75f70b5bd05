// hull sysext build: a sysext spec to a signed, verity-protected system
// extension image (docs/sysext.md).
#include <cstdio>
#include <memory>

#include "build/pipeline.h"
#include "cli.h"
#include "spec/spec.h"
#include "sysext/build.h"
#include "sysext/spec.h"

namespace hull::cli {
namespace {

struct SysextBuildArgs {
  std::string spec, keys, out = "out", base, cache;
  bool no_cache = false, json = false;
};

int RunSysextBuild(const SysextBuildArgs& a) {
  const int64_t now = spec::BuildTime();
  auto s = sysext::LoadSysextSpec(a.spec);
  if (!s.ok()) return ReportError(s.error());
  auto base = a.base.empty() ? spec::DefaultSpec(now) : spec::LoadSpec(a.base, now);
  if (!base.ok()) return ReportError(std::move(base).Context("--base").error());
  sysext::BuildOptions o{
      .spec = *s,
      .base = *base,
      .key_dir = a.keys,
      .out_dir = a.out,
      .cache_dir = a.no_cache ? "" : (a.cache.empty() ? build::DefaultCacheDir() : a.cache),
      .source_date_epoch = now};
  auto r = sysext::Build(o);
  if (!r.ok()) return ReportError(r.error());
  if (a.json) {
    PrintJson(r->manifest);
  } else {
    std::printf("%s  (%llu bytes, %zu paths, packages: %zu, %.1f s%s)\n  %s\n  %s\n",
                r->image.c_str(), static_cast<unsigned long long>(r->image_bytes), r->entries,
                r->packages.size(), r->seconds, r->compose_cache_hit ? ", composes cached" : "",
                r->sbom.c_str(), r->manifest_path.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterSysext(CLI::App& app, Context& ctx) {
  auto* g = app.add_subcommand("sysext", "System extensions: signed systemd-sysext images");
  g->require_subcommand(1);
  auto a = std::make_shared<SysextBuildArgs>();
  auto* b = g->add_subcommand("build", "Build a signed system extension image from a sysext spec");
  b->add_option("SPEC", a->spec, "Sysext spec (YAML, docs/sysext.md)")->required();
  b->add_option("--keys", a->keys, "Key directory with verity.key/crt (hull keys init)")
      ->required();
  b->add_option("--out", a->out, "Output directory (default: ./out)");
  b->add_option("--base", a->base,
                "Image spec whose package set and SELinux policy the extension extends "
                "(default: the embedded default spec)");
  b->add_option("--cache", a->cache,
                "Compose cache (default: $XDG_CACHE_HOME/hull or /var/cache/hull)");
  b->add_flag("--no-cache", a->no_cache, "Compose from scratch and keep nothing");
  b->add_flag("--json", a->json, "Print the image's manifest (NAME_VERSION_ARCH.json)");
  b->footer(
      "Writes NAME_VERSION_ARCH.raw (GPT: usr, usr-verity, usr-verity-sig), .spdx.json and\n"
      ".json into --out. Set SOURCE_DATE_EPOCH for the same bytes on every build.\n"
      "Example: hull sysext build specs/sysext-cni.yaml --keys keys --out out");
  b->callback([a, &ctx] { ctx.action = [a] { return RunSysextBuild(*a); }; });
}

}  // namespace hull::cli

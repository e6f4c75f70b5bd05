// hull build: an image spec (or the embedded default) to a signed,
// verity-protected, reproducible disk image.
#include <filesystem>
#include <memory>

#include "base/file.h"
#include "build/pipeline.h"
#include "build/plan.h"
#include "cli.h"
#include "signing/offline.h"
#include "spec/spec.h"

namespace hull::cli {
namespace {

struct BuildArgs {
  std::string spec, out = "out", keys, cache, version, init, agent;
  signing::OfflineOptions offline;
  bool insecure = false, json = false, no_cache = false;
};

int RunBuild(const BuildArgs& a, const Context& ctx) {
  const int64_t now = spec::BuildTime();
  // The text is read once: the spec parsed is the spec recorded.
  auto text = a.spec.empty() ? Result<std::string>(std::string(spec::DefaultSpecText()))
                             : ReadFileText(a.spec, spec::kMaxSpecBytes + 1);
  if (!text.ok()) return ReportError(text.error());
  auto s = a.spec.empty() ? spec::DefaultSpec(now)
                          : spec::ParseSpec(*text, {.filename = a.spec, .build_time = now});
  if (!s.ok()) return ReportError(s.error());
  if (!a.version.empty()) {
    if (auto v = spec::ValidateVersion(a.version); !v.ok()) {
      return ReportError(std::move(v).Context("--version").error());
    }
    s->version = a.version;
  }
  build::BuildOptions o;
  o.spec = *s;
  o.spec_text = *text;
  o.spec_dir = a.spec.empty() ? "." : std::filesystem::path(a.spec).parent_path().string();
  o.out_dir = a.out;
  o.key_dir = a.keys;
  o.insecure_dev_keys = a.insecure;
  o.offline = a.offline;
  o.cache_dir = a.no_cache ? "" : (a.cache.empty() ? build::DefaultCacheDir() : a.cache);
  o.init_binary = a.init.empty() ? build::DefaultInitPath(s->arch) : a.init;
  o.agent_binary = a.agent.empty() ? build::DefaultAgentPath(s->arch) : a.agent;
  // "preload" (containers.preload) runs first, and only when there is one.
  const size_t total = std::size(build::kStageNames) + (o.spec.preload.empty() ? 0 : 1);
  if (!ctx.quiet) o.on_stage = StepProgress(total);
  auto r = build::Build(o);
  if (!r.ok()) return ReportError(r.error());
  return PrintImageResult(*r, a.json, build::Summary);
}

}  // namespace

void RegisterBuild(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<BuildArgs>();
  auto* b = app.add_subcommand(
      "build",
      "Build a signed, verity-protected node image from a spec (default: the embedded one)");
  b->add_option("SPEC", a->spec, "Image spec (YAML); omitted: the embedded default");
  b->add_option("--out", a->out, "Output directory, absent or empty (default: ./out)");
  b->add_option("--keys", a->keys,
                "Key directory with db.key/crt and verity.key/crt (hull keys init)");
  b->add_flag("--insecure-dev-keys", a->insecure,
              "Without --keys: sign with throwaway keys (marked in os-release)");
  b->add_option("--cache", a->cache,
                "Cache of packages, composed trees, initrds and usr images "
                "(default: $XDG_CACHE_HOME/hull or /var/cache/hull)");
  b->add_flag("--no-cache", a->no_cache, "Compose from scratch and keep nothing");
  b->add_option("--version", a->version, "Image version YYYYMM.DD.N (default: the spec's)");
  b->add_option("--init", a->init,
                "The hull-init binary for the initrd (default: next to hull, arm64/ for arm64)");
  b->add_option("--agent", a->agent,
                "The hull-agent binary for /usr (default: next to hull, arm64/ for arm64)");
  b->add_flag("--json", a->json, "Print manifest.json instead of the summary");
  AddOfflineOptions(*b, a->offline);
  b->footer(
      "Stages: compose, pack, seal, initrd, uki, esp, root, disk, record (docs/build.md).\n"
      "Outputs appear in --out only when every stage succeeded. SOURCE_DATE_EPOCH defaults\n"
      "to the version's date, so two builds of one spec and version give the same bytes.\n"
      "Example: hull keys init keys && hull build specs/default.yaml --keys keys --out out");
  b->callback([a, &ctx] { ctx.action = [a, &ctx] { return RunBuild(*a, ctx); }; });
}

}  // namespace hull::cli

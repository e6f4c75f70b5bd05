// hull customize: a sealed Hull image plus a configuration to a new image,
// re-sealed and re-signed (docs/customize.md).

#include <memory>

#include "build/pipeline.h"
#include "cli.h"
#include "customize/customize.h"

namespace hull::cli {
namespace {

struct CustomizeArgs {
  std::string image, config, keys, base_keys, out, base_sbom;
  std::vector<std::string> from_release;  // REPO VERSION
  customize::FromRelease release;         // trusted_root, flavor, arch
  signing::OfflineOptions offline;
  customize::RebuildOptions rebuild;
  bool json = false, rebuild_flag = false, no_cache = false;
};

int RunCustomize(const CustomizeArgs& a, const Context& ctx) {
  customize::CustomizeOptions o{.image = a.image,
                                .config = a.config,
                                .key_dir = a.keys,
                                .base_key_dir = a.base_keys,
                                .out_dir = a.out,
                                .base_sbom = a.base_sbom,
                                .offline = a.offline};
  if (!a.from_release.empty()) {
    o.from_release = a.release;
    o.from_release->repo = a.from_release[0];
    o.from_release->version = a.from_release[1];
  }
  if (a.rebuild_flag) {
    o.rebuild = a.rebuild;
    if (a.no_cache)
      o.rebuild->cache_dir.clear();
    else if (o.rebuild->cache_dir.empty())
      o.rebuild->cache_dir = build::DefaultCacheDir();
  }
  if (!ctx.quiet) o.on_step = StepProgress(0);
  auto r = customize::Customize(o);
  if (!r.ok()) return ReportError(r.error());
  return PrintImageResult(*r, a.json, customize::Summary);
}

}  // namespace

void RegisterCustomize(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<CustomizeArgs>();
  auto* c = app.add_subcommand(
      "customize",
      "Make a sealed Hull image yours: files, users, services, kernel arguments, "
      "update settings; re-sealed and re-signed");
  c->add_option("IMAGE", a->image,
                "A Hull disk image (hull build): raw, VHD, qcow2 or VHDX, told by its bytes; a "
                "qcow2 with a backing file is refused (or --from-release)");
  c->add_option("--from-release", a->from_release,
                "Customize a published release instead of IMAGE: REPO (a directory or "
                "http(s):// URL) and VERSION; the output is a payload directory for hull "
                "release add")
      ->expected(2);
  c->add_option("--trusted-root", a->release.trusted_root,
                "With --from-release: the repository's root.json its metadata is verified from");
  c->add_option("--flavor", a->release.flavor,
                "With --from-release: the release's flavor (when several publish VERSION)");
  c->add_option("--arch", a->release.arch,
                "With --from-release: the release's architecture (when several publish VERSION)");
  c->add_option("--config", a->config, "The configuration (YAML, docs/customize.md)")->required();
  c->add_option("--keys", a->keys,
                "Key directory with db.key/crt and verity.key/crt (a .key may hold a PKCS#11 URI)")
      ->required();
  c->add_option("--base-keys", a->base_keys,
                "Directory with the db.crt and verity.crt IMAGE must be signed with (its UKI "
                "and root hash are checked before anything else is read; give --keys's "
                "directory for an image of your own)")
      ->required();
  c->add_option("--out", a->out, "Output directory, absent or empty")->required();
  c->add_option("--base-sbom", a->base_sbom,
                "The base image's SBOM (default: IMAGE's name with .spdx.json, when present)");
  c->add_flag("--json", a->json, "Print manifest.json instead of the summary");
  c->add_flag("--rebuild", a->rebuild_flag,
              "Rebuild IMAGE with hull build from the spec it records (/usr/lib/hull/spec.yaml) "
              "plus the configuration's os.packages (install, remove), at IMAGE's version and "
              "build time: the reproducible path for package changes");
  c->add_option("--cache", a->rebuild.cache_dir,
                "With --rebuild: the build's cache (default: $XDG_CACHE_HOME/hull or "
                "/var/cache/hull)");
  c->add_flag("--no-cache", a->no_cache, "With --rebuild: compose from scratch, keep nothing");
  c->add_option("--init", a->rebuild.init_binary,
                "With --rebuild: the hull-init binary for the initrd (default: next to hull)");
  c->add_option("--agent", a->rebuild.agent_binary,
                "With --rebuild: the hull-agent binary for /usr (default: next to hull)");
  AddOfflineOptions(*c, a->offline);
  c->footer(
      "Steps: base, unpack, apply, pack, uki, esp, disk, record. Needs no root, mounts or\n"
      "loop devices. Same image, configuration and keys give the same bytes.\n"
      "The configuration's trust.mode (replace, the default; keep; add) says whose db and\n"
      "verity certificates the image's trust set holds; output.image.format (raw, vhd,\n"
      "qcow2, vhdx) the disk's format.\n"
      "With --from-release REPO VERSION --trusted-root ROOT.json the base is that release,\n"
      "verified through TUF as hull update verifies it, and --out is a payload directory\n"
      "(payload.json, usr.erofs, usr.verity, usr.verity-sig, uki.efi) for hull release add.\n"
      "With --rebuild the image is built again by hull build's pipeline from the spec it\n"
      "records, its files taken from the verified image, with the configuration's\n"
      "os.packages {install: [...], remove: [...]}; the rest of the configuration is then\n"
      "applied as above. Same image, configuration and keys give the same bytes.\n"
      "Example: hull customize out/Hull_202612.05.0.raw --config site.yaml --base-keys "
      "vendor-certs --keys keys --out site\n"
      "Example: hull customize out/Hull_202612.05.0.raw --rebuild --config packages.yaml \\\n"
      "  --base-keys vendor-certs --keys keys --out rebuilt   (packages.yaml: os: {packages: "
      "{install: [jq]}})\n"
      "Example: hull customize --from-release https://updates.example.com/hull 202612.05.0 \\\n"
      "  --trusted-root root.json --config site.yaml --base-keys vendor-certs --keys keys \\\n"
      "  --out site-payload && hull release add site-repo site-payload --keys release-keys");
  c->callback([a, &ctx] { ctx.action = [a, &ctx] { return RunCustomize(*a, ctx); }; });
}

}  // namespace hull::cli

// hull sysext build: a sysext spec to a signed, verity-protected system
// extension image (docs/sysext.md).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/hex.h"
#include "crypto/key.h"
#include "gpt/types.h"
#include "slot/extension.h"

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

struct SysextVerifyArgs {
  std::string image, cert, arch = "x86-64";
  bool json = false;
};

// The node's checks (slot/extension.h) on the host: what `hull-agent
// extensions` decides before it maps the image, extension-release aside.
int RunSysextVerify(const SysextVerifyArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  auto arch = gpt::ParseArch(a.arch);
  if (!arch.ok()) return ReportError(std::move(arch).Context("--arch").error());
  auto cert = crypto::Certificate::Load(a.cert);
  if (!cert.ok()) return ReportError(std::move(cert).Context("--cert").error());
  slot::TrustSet trust;
  trust.dir = a.cert;
  trust.verity.push_back(std::move(*cert));
  auto file = File::OpenRead(a.image);
  if (!file.ok()) return ReportError(file.error());
  auto src = gpt::FileSource::Open(*file);
  if (!src.ok()) return ReportError(src.error());
  std::string name = std::filesystem::path(a.image).stem().string();
  name = name.substr(0, name.find('_'));
  auto ext = slot::VerifyExtensionImage(name, *src, trust, *arch);
  if (!ext.ok()) return ReportError(ext.error());
  if (Status st = slot::VerifyExtensionContent(*file, *ext); !st.ok())
    return ReportError(st.error());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (a.json) {
    PrintJson({{"name", name},
               {"root_hash", HexEncode(ext->root_hash)},
               {"signer", ext->signer},
               {"data_blocks", ext->params.data_blocks},
               {"seconds", seconds}});
  } else {
    std::printf("%s: verified (root hash %s, signed by %s, %llu data blocks, %.2f s)\n",
                a.image.c_str(), HexEncode(ext->root_hash).c_str(), ext->signer.c_str(),
                static_cast<unsigned long long>(ext->params.data_blocks), seconds);
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
      "Writes NAME_VERSION_ARCH.raw (GPT: root, root-verity, root-verity-sig), .spdx.json and\n"
      ".json into --out. Set SOURCE_DATE_EPOCH for the same bytes on every build.\n"
      "Example: hull sysext build specs/sysext-cni.yaml --keys keys --out out");
  b->callback([a, &ctx] { ctx.action = [a] { return RunSysextBuild(*a); }; });
  auto v = std::make_shared<SysextVerifyArgs>();
  auto* vc = g->add_subcommand("verify",
                               "Check a system extension image as a node does before merging it");
  vc->add_option("IMAGE", v->image, "NAME_VERSION_ARCH.raw")->required();
  vc->add_option("--cert", v->cert, "The verity certificate the node trusts (KEYS/verity.crt)")
      ->required();
  vc->add_option("--arch", v->arch, "The node's architecture: x86-64 (default) or arm64");
  vc->add_flag("--json", v->json, "Print the result as JSON");
  vc->footer(
      "Checks the GPT, the signature against --cert, the root hash against the partitions and\n"
      "every block against the tree (docs/sysext.md). The node also checks extension-release.\n"
      "Exit status: 0 verified, 1 refused or verification failed, 2 other errors.");
  vc->callback([v, &ctx] { ctx.action = [v] { return RunSysextVerify(*v); }; });
}

}  // namespace hull::cli

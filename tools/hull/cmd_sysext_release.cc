// hull release add-sysext: publishes a system extension image into the
// release repository (docs/sysext.md "Lifecycle").
#include <cstdio>
#include <memory>

#include "cli.h"
#include "release/sysext.h"
#include "release_flags.h"

namespace hull::cli {
namespace {

struct AddSysextArgs {
  KeyFlags keys;
  ExpiryFlags expiry;
  std::string repo, image;
  bool json = false;
};

int RunAddSysext(const AddSysextArgs& a) {
  auto run = [&]() -> Result<release::SysextPublishResult> {
    HULL_ASSIGN_OR_RETURN(auto keys, LoadKeys(a.keys));
    HULL_ASSIGN_OR_RETURN(tuf::Expiry expiry, ParseExpiry(a.expiry));
    return release::PublishSysext(a.repo, keys, a.image, expiry);
  };
  auto r = run();
  if (!r.ok()) return ReportError(std::move(r).error().Wrap("release add-sysext"));
  if (a.json) {
    PrintJson({{"target", r->target}, {"custom", r->custom}});
  } else {
    std::printf("published %s\n", r->target.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterReleaseSysext(CLI::App* rel, Context& ctx) {
  auto a = std::make_shared<AddSysextArgs>();
  auto* add = rel->add_subcommand(
      "add-sysext", "Publish a system extension image (hull sysext build) as a target");
  add->add_option("REPO", a->repo, "Repository directory")->required();
  add->add_option("IMAGE", a->image, "NAME_VERSION_ARCH.raw, with its .json beside it")->required();
  AddKeyFlags(add, a->keys);
  AddExpiryFlags(add, a->expiry, /*root=*/false);
  add->add_flag("--json", a->json, "Print the target name and its custom metadata as JSON");
  add->footer(
      "Target: hull-sysext-NAME-ARCH-VERSION.raw; custom: payload \"sysext\", sysext, version,\n"
      "arch, compatibility (id, sysext_level or version_id), root_hash.\n"
      "The image must be its manifest's (size, SHA-256) and its partitions' DPS types the\n"
      "manifest's arch: a mismatch is refused and nothing is published.\n"
      "Example: hull release add-sysext repo/ out/cni_1.1.1-2_amd64.raw --keys keys/");
  add->callback([&ctx, a] { ctx.action = [a] { return RunAddSysext(*a); }; });
}

}  // namespace hull::cli

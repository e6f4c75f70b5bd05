// hull release pull REPO VERSION [--undo]: withdraw a release (release/pull.h).
#include <cstdio>

#include "cli.h"
#include "release/pull.h"
#include "release_flags.h"

namespace hull::cli {
namespace {

struct PullArgs {
  KeyFlags keys;
  ExpiryFlags expiry;
  OfflineFlags offline;
  std::string repo, version;
  release::PullOptions opts;
  bool json = false;
};

int RunPull(const PullArgs& a) {
  auto run = [&]() -> Result<release::PullResult> {
    HULL_ASSIGN_OR_RETURN(tuf::Expiry expiry, ParseExpiry(a.expiry));
    tuf::RoleKeySet keys;
    if (a.offline.sign_offline.empty()) {
      HULL_ASSIGN_OR_RETURN(keys, LoadKeys(a.keys));
    }
    release::PullOptions o = a.opts;
    o.expiry = expiry;
    o.sign_offline = a.offline.sign_offline;
    return release::PullRelease(a.repo, keys, a.version, o);
  };
  if (!a.offline.inject.empty()) {
    return InjectRelease("release pull", a.repo, a.keys, a.expiry, a.offline.inject);
  }
  if (a.version.empty())
    return ReportError(Error(ErrorCode::kInvalidArgument,
                             "release pull: VERSION is required (unless --inject-signatures)"));
  auto r = run();
  if (!r.ok()) return ReportError(std::move(r).error().Wrap("release pull"));
  const char* state = a.opts.undo ? "restored" : "withdrawn";
  if (!a.offline.sign_offline.empty() && r->changed && !a.json) {
    PrintReleaseOfflineHint("release pull", a.repo, a.offline.sign_offline);
    return kExitOk;
  }
  if (a.json) {
    PrintJson({{"version", a.version},
               {"withdrawn", !a.opts.undo},
               {"changed", r->changed},
               {"targets", r->targets}});
  } else if (r->changed) {
    std::printf("Release %s %s: %zu target(s) re-signed.\n", a.version.c_str(), state,
                r->targets.size());
  } else {
    std::printf("Release %s was %s already: nothing signed.\n", a.version.c_str(), state);
  }
  return kExitOk;
}

}  // namespace

void RegisterReleasePull(CLI::App* rel, Context& ctx) {
  auto a = std::make_shared<PullArgs>();
  auto* pull = rel->add_subcommand(
      "pull", "Withdraw a release: nodes never install it (a node running it stays)");
  pull->add_option("REPO", a->repo, "Repository directory")->required();
  pull->add_option("VERSION", a->version,
                   "Release version YYYYMM.DD.N (not with --inject-signatures)");
  AddKeyFlags(pull, a->keys);
  AddReleaseOfflineFlags(pull, a->offline);
  AddExpiryFlags(pull, a->expiry, /*root=*/false);
  pull->add_option("--flavor", a->opts.flavor, "Only this flavor's release (default: every one)");
  pull->add_option("--arch", a->opts.arch, "Only this architecture's (default: every one)");
  pull->add_flag("--undo", a->opts.undo, "Restore a withdrawn release");
  pull->add_flag("--json", a->json, "Print the targets changed as JSON");
  pull->footer(
      "Marks every target of the release withdrawn (custom \"withdrawn\": true) in a new signed\n"
      "targets version; needs the targets, snapshot and timestamp keys. Idempotent.\n"
      "Exit status: 0 done (or already so); 2 no such release, keys not at hand, I/O error.");
  pull->callback([&ctx, a] { ctx.action = [a] { return RunPull(*a); }; });
}

}  // namespace hull::cli

// hull release rollout REPO VERSION PERCENT: change a published release's
// staged rollout (release/rollout.h).
#include <cstdio>

#include "cli.h"
#include "release/rollout.h"
#include "release_flags.h"

namespace hull::cli {
namespace {

struct RolloutArgs {
  KeyFlags keys;
  ExpiryFlags expiry;
  OfflineFlags offline;
  std::string repo, version;
  int64_t percent = -1;  // -1: not given
  release::RolloutOptions opts;
  bool json = false;
};

int RunRollout(const RolloutArgs& a) {
  auto run = [&]() -> Result<release::RolloutResult> {
    HULL_ASSIGN_OR_RETURN(tuf::Expiry expiry, ParseExpiry(a.expiry));
    tuf::RoleKeySet keys;
    if (a.offline.sign_offline.empty()) {
      HULL_ASSIGN_OR_RETURN(keys, LoadKeys(a.keys));
    }
    release::RolloutOptions o = a.opts;
    o.expiry = expiry;
    o.sign_offline = a.offline.sign_offline;
    return release::SetRollout(a.repo, keys, a.version, uint64_t(a.percent), o);
  };
  if (!a.offline.inject.empty()) {
    return InjectRelease("release rollout", a.repo, a.keys, a.expiry, a.offline.inject);
  }
  if (a.version.empty() || a.percent < 0)
    return ReportError(
        Error(ErrorCode::kInvalidArgument,
              "release rollout: VERSION and PERCENT are required (unless --inject-signatures)"));
  auto r = run();
  if (!r.ok()) return ReportError(std::move(r).error().Wrap("release rollout"));
  if (!a.offline.sign_offline.empty() && r->changed && !a.json) {
    PrintReleaseOfflineHint("release rollout", a.repo, a.offline.sign_offline);
    return kExitOk;
  }
  if (a.json) {
    PrintJson({{"version", a.version},
               {"rollout_percent", a.percent},
               {"from", r->from},
               {"changed", r->changed},
               {"targets", r->targets}});
  } else if (r->changed) {
    std::printf("Release %s: rollout %llu%% -> %llu%%, %zu target(s) re-signed.\n",
                a.version.c_str(), (unsigned long long)r->from, (unsigned long long)a.percent,
                r->targets.size());
  } else {
    std::printf("Release %s is at %llu%% already: nothing signed.\n", a.version.c_str(),
                (unsigned long long)a.percent);
  }
  return kExitOk;
}

}  // namespace

void RegisterReleaseRollout(CLI::App* rel, Context& ctx) {
  auto a = std::make_shared<RolloutArgs>();
  auto* cmd = rel->add_subcommand(
      "rollout", "Change a published release's staged rollout percentage (e.g. 10 -> 50 -> 100)");
  cmd->add_option("REPO", a->repo, "Repository directory")->required();
  cmd->add_option("VERSION", a->version,
                  "Release version YYYYMM.DD.N (not with --inject-signatures)");
  cmd->add_option("PERCENT", a->percent, "Share of nodes the release reaches, 0 to 100")
      ->check(CLI::Range(0, 100));
  AddKeyFlags(cmd, a->keys);
  AddReleaseOfflineFlags(cmd, a->offline);
  AddExpiryFlags(cmd, a->expiry, /*root=*/false);
  cmd->add_option("--flavor", a->opts.flavor, "Only this flavor's release (default: every one)");
  cmd->add_option("--arch", a->opts.arch, "Only this architecture's (default: every one)");
  cmd->add_flag("--allow-lower", a->opts.allow_lower,
                "Permit a percentage below the current one (nodes already on the release stay)");
  cmd->add_flag("--json", a->json, "Print the percentages and the targets as JSON");
  cmd->footer(
      "A node takes a release at P% when its bucket is below P: SHA-256(\"hull-rollout\" NUL\n"
      "VERSION NUL machine-id), first 8 bytes big-endian, mod 100 (docs/update.md). Raising P\n"
      "adds nodes and keeps the ones already in. Lowering P stops the release from reaching\n"
      "more nodes but never takes it away: a node running it stays on it (to stop a bad\n"
      "release, hull release pull; a node goes back only with hull-agent update --to V\n"
      "--allow-downgrade). Lowering is refused without --allow-lower; a withdrawn release is\n"
      "refused (hull release pull --undo first).\n"
      "Writes custom \"rollout_percent\" on every target of the release in a new signed targets\n"
      "version; needs the targets, snapshot and timestamp keys. Idempotent.\n"
      "Example: hull release rollout repo/ 202612.08.0 50 --keys keys/\n"
      "Exit status: 0 done (or already so); 1 refused (withdrawn, lowering); 2 bad percentage,\n"
      "no such release, keys not at hand, I/O error.");
  cmd->callback([&ctx, a] { ctx.action = [a] { return RunRollout(*a); }; });
}

}  // namespace hull::cli

// hull inspect IMAGE
#include <cstdio>

#include "cli.h"
#include "inspect/inspect.h"

namespace hull::cli {
namespace {

struct InspectArgs {
  std::string image;
  inspect::Options options;
  bool json = false;
  bool no_verify = false;
};

int RunInspect(InspectArgs a) {
  a.options.verify_trees = !a.no_verify;
  auto r = inspect::InspectImage(a.image, a.options);
  if (!r.ok()) return ReportError(std::move(r).error().Wrap("inspect"));
  if (a.json) {
    PrintJson(inspect::ToJson(*r));
  } else {
    std::fputs(inspect::ToText(*r).c_str(), stdout);
  }
  return r->good() ? kExitOk : kExitFailed;
}

}  // namespace

void RegisterInspect(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<InspectArgs>();
  auto* cmd = app.add_subcommand(
      "inspect", "Check a disk image offline: partitions, verity trees, signatures, UKIs");
  cmd->add_option("IMAGE", a->image, "Raw disk image (or block device)")->required();
  cmd->add_option("--verity-cert", a->options.verity_cert,
                  "Certificate that must have signed each usr root hash");
  cmd->add_option("--db-cert", a->options.db_cert,
                  "Secure Boot db certificate that must have signed the EFI binaries");
  cmd->add_flag("--no-verify", a->no_verify, "Skip recomputing the verity trees (fast)");
  cmd->add_flag("--json", a->json, "Print the report as JSON");
  cmd->footer(
      "Example: hull inspect out/disk.raw --verity-cert keys/verity.crt --db-cert keys/db.crt\n"
      "Exit status: 0 verdict good, 1 a check failed, 2 the image or its GPT is unreadable.");
  cmd->callback([&ctx, a] { ctx.action = [a] { return RunInspect(*a); }; });
}

}  // namespace hull::cli

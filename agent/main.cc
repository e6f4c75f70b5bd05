// hull-agent: Hull's on-node agent (docs/boot.md). A static binary installed
// at /usr/lib/hull/hull-agent.
#include <CLI/CLI.hpp>

#include "agent/validate.h"

int main(int argc, char** argv) {
  CLI::App app{"Hull's on-node agent"};
  app.require_subcommand(1);
  hull::agent::ValidateOptions v;
  auto* validate = app.add_subcommand(
      "validate", "Check this node's chain of trust and services for 'hull boot --validate'");
  validate->add_flag("--if-requested", v.if_requested,
                     "Do nothing unless a disk with serial 'hull-validate' is attached");
  validate->add_option("--state", v.state_dir, "Where the first boot's report is kept");
  validate->add_option("--console", v.console, "Where the HULL-VALIDATE line is written");
  validate->footer(
      "Runs from hull-validate.service at the end of boot. First boot: collect facts, write\n"
      "markers, reboot; second boot: check the markers and print 'HULL-VALIDATE {json}'.");
  auto* probe = app.add_subcommand("probe", "The container payload of the validation");
  CLI11_PARSE(app, argc, argv);
  if (validate->parsed()) return hull::agent::RunValidate(v);
  if (probe->parsed()) return hull::agent::RunProbe();
  return 2;
}

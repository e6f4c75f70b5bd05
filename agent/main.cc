// hull-agent: Hull's on-node agent (docs/agent.md, docs/boot.md). A static
// binary installed at /usr/libexec/hull/hull-agent.
#include <CLI/CLI.hpp>

#include "base/exit_code.h"

#include "agent/update.h"
#include "agent/validate.h"

int main(int argc, char** argv) {
  CLI::App app{"Hull's on-node agent: image updates, the boot health gate, validation"};
  app.require_subcommand(1);
  app.footer(
      "Services: hull-health.service runs 'health' before boot-complete.target,\n"
      "hull-bless.service 'bless' after it, hull-update.service/.timer 'update'.\n"
      "Configuration: /usr/lib/hull/update.json (the image spec's 'update' section),\n"
      "replaced by /etc/hull/update.json when present. See docs/agent.md.");
  hull::agent::UpdateOptions u;
  auto* update = app.add_subcommand(
      "update", "Record rollbacks, then install the newest eligible release and reboot into it");
  update->add_flag("--now", u.now, "Install even when upgrade_channel is None");
  update->add_flag("!--no-reboot", u.reboot, "Install but do not reboot");
  update->add_option("--deadline", u.deadline_seconds,
                     "Seconds the run's downloads may take in all (default: none; each download "
                     "has its own deadline)");
  update->footer(
      "Example: hull-agent update --now\n"
      "Exit status: 0 installed or nothing to do, 1 refused (security or policy), 2 errors.");
  auto* check =
      app.add_subcommand("check", "Verify the repository's metadata; print the newest release");
  check->add_flag("--json", u.json, "Print as JSON");
  check->add_option("--deadline", u.deadline_seconds,
                    "Seconds the run's downloads may take in all (default: none)");
  auto* status = app.add_subcommand("status", "Booted version, slots, boot entries, bad versions");
  status->add_flag("--json", u.json, "Print as JSON");
  auto* health = app.add_subcommand(
      "health", "The health gate: /usr verified and the configured units active");
  health->add_option("--timeout", u.health_timeout_seconds, "Seconds to wait for units (300)");
  health->add_flag("!--no-reboot", u.reboot, "Do not reboot when a counted boot fails the gate");

  auto* bless = app.add_subcommand(
      "bless", "Mark this boot good: remove the boot counter from its entry (after the gate)");
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes (100 and up) would bypass the table: usage is kExitError.
    return app.exit(e) == 0 ? hull::kExitOk : hull::kExitError;
  }
  if (update->parsed()) return hull::agent::RunUpdate(u);
  if (check->parsed()) return hull::agent::RunCheck(u);
  if (status->parsed()) return hull::agent::RunStatus(u);
  if (health->parsed()) return hull::agent::RunHealth(u);
  if (bless->parsed()) return hull::agent::RunBless(u);
  if (validate->parsed()) return hull::agent::RunValidate(v);
  if (probe->parsed()) return hull::agent::RunProbe();
  return hull::kExitError;
}

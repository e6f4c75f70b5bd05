// hull-agent: Hull's on-node agent (docs/agent.md, docs/boot.md). A static
// binary installed at /usr/libexec/hull/hull-agent.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "base/exit_code.h"

#include "agent/activate.h"
#include "agent/environment.h"
#include "agent/install.h"
#include "agent/unattended.h"
#include "agent/update.h"
#include "agent/validate.h"

namespace {

CLI::App* AddInstall(CLI::App& app, hull::agent::InstallOptions& o, bool& from_seed,
                     hull::agent::UnattendedOptions& u) {
  auto* install = app.add_subcommand(
      "install", "Write the image on the install medium to a disk (docs/iso.md)");
  auto* seed = install->add_flag(
      "--from-seed", from_seed,
      "Unattended: the disks, target and configuration a hull-seed partition names");
  install->add_option("--medium", o.medium, "The install medium (device or .iso)")->excludes(seed);
  install->add_option("--target", o.target, "The disk to write")->excludes(seed);
  install->add_flag("--wipe", o.wipe, "Replace the partitions the target holds")->excludes(seed);
  install->add_option("--console", u.console, "With --from-seed: also write events here")
      ->needs(seed);
  install->footer(
      "Refuses the medium itself, a target holding partitions (without --wipe) and one\n"
      "smaller than the image. --from-seed does nothing when no disk holds a seed.\n"
      "Exit status: 0 installed (or no seed), 1 refused, 2 errors.");
  return install;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Hull's on-node agent: image updates, the boot health gate, validation"};
  app.require_subcommand(1);
  app.footer(
      "Services: hull-health.service runs 'health' before boot-complete.target,\n"
      "hull-bless.service 'bless' after it, hull-update.service/.timer 'update'.\n"
      "Configuration: /usr/lib/hull/update.json (the image spec's 'update' section),\n"
      "replaced by /etc/hull/update.json when present. See docs/agent.md.");
  std::string simulated_node;
  app.add_option("--simulated-node", simulated_node,
                 "Act on the simulated node in this directory, not on this machine (the test "
                 "fleet of tests/sim; refused on a booted Hull node; docs/agent.md)")
      ->group("");
  hull::agent::UpdateOptions u;
  auto* update = app.add_subcommand(
      "update", "Record rollbacks, then install the newest eligible release and reboot into it");
  update->add_flag("--now", u.now, "Install even when upgrade_channel is None");
  update->add_flag("!--no-reboot", u.reboot, "Install but do not reboot");
  auto* to = update->add_option(
      "--to", u.to_version, "Install this release (any channel, rollout ignored), not the newest");
  update
      ->add_flag("--allow-downgrade", u.allow_downgrade,
                 "With --to: install an older release and demote newer entries so it boots")
      ->needs(to);
  update->add_option("--deadline", u.deadline_seconds,
                     "Seconds the run's downloads may take in all (default: none; each download "
                     "has its own deadline)");
  update->footer(
      "Example: hull-agent update --now\n"
      "         hull-agent update --to 202612.01.0 --allow-downgrade   (the only way back)\n"
      "Exit status: 0 installed or nothing to do, 1 refused (security or policy), 2 errors.");
  auto* check = app.add_subcommand(
      "check", "Verify the repository's metadata; print what 'update' would choose");
  check->add_flag("--json", u.json, "Print as JSON");
  check->add_option("--deadline", u.deadline_seconds,
                    "Seconds the run's downloads may take in all (default: none)");
  auto* status = app.add_subcommand(
      "status", "Booted version, slots, boot entries, bad and refused versions, last update run");
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
                     "Do nothing unless the machine's SMBIOS OEM strings ask for it");
  validate->add_option("--state", v.state_dir, "Where the first boot's report is kept");
  validate->add_option("--console", v.console, "Where the HULL-VALIDATE line is written")
      ->capture_default_str();
  validate->footer(
      "Runs from hull-validate.service at the end of boot. First boot: collect facts, write\n"
      "markers, reboot; second boot: check the markers and print 'HULL-VALIDATE {json}'.");
  hull::agent::ExtensionsOptions x;
  auto* extensions = app.add_subcommand(
      "extensions",
      "Verify the system extensions in /var/lib/hull/extensions and merge the good ones");
  extensions->add_flag("--json", x.json, "Print the results as JSON");
  extensions->add_flag("!--no-merge", x.merge, "Mount under /run/extensions but do not merge");
  extensions->footer(
      "Runs from hull-extensions.service early in boot (docs/sysext.md).\n"
      "Exit status: 0 all merged, 1 one or more refused (the others are merged), 2 errors.");
  auto* probe = app.add_subcommand("probe", "The container payload of the validation");
  int probe_port = 0;
  probe
      ->add_option("--gateway-port", probe_port,
                   "Then connect to this TCP port of the default gateway (the host side of a CNI "
                   "bridge) and send 'hull-cni-ok from=ADDR to=GATEWAY'")
      ->check(CLI::Range(1, 65535));
  bool terminated = false;
  auto* sweep = app.add_subcommand(
      "sweep", "Remove downloads a killed 'update' left in /var/tmp (update does it first)");
  sweep->add_flag("--terminated", terminated, "Exit 143, as the SIGTERM handler of 'update' does");
  hull::agent::InstallOptions inst;
  hull::agent::UnattendedOptions unattended;
  bool from_seed = false;
  auto* install = AddInstall(app, inst, from_seed, unattended);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes (100 and up) would bypass the table: usage is kExitError.
    return app.exit(e) == 0 ? hull::kExitOk : hull::kExitError;
  }
  if (!simulated_node.empty()) {
    if (auto st = hull::agent::EnterSimulatedNode(simulated_node); !st.ok()) {
      std::fprintf(stderr, "hull-agent: %s\n", st.error().ToString().c_str());
      return hull::ExitCodeFor(st.error().code());
    }
  }
  // A library exception (e.g. from the JSON library) is a bug, reported in
  // one line with the error exit, never an abort with a core on every run.
  try {
    if (update->parsed()) return hull::agent::RunUpdate(u);
    if (check->parsed()) return hull::agent::RunCheck(u);
    if (status->parsed()) return hull::agent::RunStatus(u);
    if (health->parsed()) return hull::agent::RunHealth(u);
    if (bless->parsed()) return hull::agent::RunBless(u);
    if (validate->parsed()) return hull::agent::RunValidate(v);
    if (extensions->parsed()) return hull::agent::RunExtensions(x);
    if (probe->parsed()) return hull::agent::RunProbe(probe_port);
    if (sweep->parsed()) return hull::agent::RunSweep(terminated);
    if (install->parsed() && from_seed) return hull::agent::RunUnattendedInstall(unattended);
    if (install->parsed() && (inst.medium.empty() || inst.target.empty())) {
      std::fprintf(stderr,
                   "hull-agent: install: --medium and --target are required (or --from-seed)\n");
      return hull::kExitError;
    }
    if (install->parsed()) return hull::agent::RunInstall(inst);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hull-agent: internal error: %s\n", e.what());
  }
  return hull::kExitError;
}

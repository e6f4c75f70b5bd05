#include "build/node_files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "build/pipeline.h"
#include "node/config.h"

namespace hull::build {
namespace fs = std::filesystem;
namespace {

constexpr const char* kValidateUnit = R"([Unit]
Description=Hull node validation (acts only when the SMBIOS OEM strings of the machine ask for it)
After=multi-user.target containerd.service
Wants=containerd.service

[Service]
Type=exec
ExecStart=/usr/libexec/hull/hull-agent validate --if-requested

[Install]
WantedBy=multi-user.target
)";

// The unattended install (docs/iso.md "The seed"): on a live boot only
// (hull-init's marker), once the system is up and after a requested
// validation has started. With no hull-seed partition on any disk the agent
// exits at once; with one it installs, then powers off or reboots as the
// seed says. Its events go to the console as well, where an operator at the
// machine (or a host reading the serial port) sees them.
constexpr const char* kInstallUnit = R"([Unit]
Description=Hull unattended install (a live boot with a hull-seed partition attached)
ConditionPathExists=/run/hull/live
After=multi-user.target hull-validate.service

[Service]
Type=oneshot
ExecStart=/usr/libexec/hull/hull-agent install --from-seed
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
)";

// System extensions (docs/sysext.md): verified and merged once /var is
// mounted and before sysinit.target, so the units they ship are part of
// this boot (the agent reloads the manager when there are any). Devices:
// /dev/loop-control is a static node, dm-verity and erofs are loaded for
// /usr already. A refused extension (exit 1) is an event, not a failed
// unit: the node boots without it.
constexpr const char* kExtensionsUnit = R"([Unit]
Description=Hull system extensions (verify /var/lib/hull/extensions, merge the good ones)
DefaultDependencies=no
ConditionDirectoryNotEmpty=/var/lib/hull/extensions
After=local-fs.target kmod-static-nodes.service systemd-tmpfiles-setup-dev.service
Before=sysinit.target systemd-sysext.service systemd-tmpfiles-setup.service shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
SuccessExitStatus=1
ExecStart=/usr/libexec/hull/hull-agent extensions

[Install]
WantedBy=sysinit.target
)";

// Every unit here orders itself after multi-user.target, which it is wanted
// by: otherwise the target would order itself after them (systemd's default
// for targets) and close a cycle through the gate.
//
// Runs once per boot after the gate (recording rollbacks, installing what is
// new) and then on the timer. A run ends: the agent's --deadline ends its
// downloads, and TimeoutStartSec (later, leaving time to write the slot)
// ends a run hung anywhere else, so the unit always deactivates and the
// timer can start it again.
constexpr const char* kUpdateUnit = R"([Unit]
Description=Hull node image update (install the newest release into the other slot)
Documentation=man:hull-agent(8)
Wants=network-online.target
After=multi-user.target network-online.target boot-complete.target hull-health.service
After=hull-bless.service
ConditionPathExists=/usr/libexec/hull/hull-agent

[Service]
Type=oneshot
TimeoutStartSec={1}
# Working files (downloads, the assembled image) go to the root filesystem.
Environment=TMPDIR=/var/tmp
ExecStart=/usr/libexec/hull/hull-agent update --deadline {0}
# A stopped run removes its downloads and exits 143 (hull-agent's SIGTERM
# handler), as a SIGTERM death would: a clean stop, not a failure.
SuccessExitStatus=143

[Install]
WantedBy=multi-user.target
)";

// Reached only when boot-complete.target is (every unit it requires passed).
constexpr const char* kBlessUnit = R"([Unit]
Description=Hull: mark this boot good (remove its entry's boot counter)
Requires=boot-complete.target
After=boot-complete.target multi-user.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/libexec/hull/hull-agent bless

[Install]
WantedBy=multi-user.target
)";

// DHCP on the node's Ethernet NICs; not on the host side of a container's
// veth pair (its type is ether too), which a CNI bridge plugin made and
// owns: systemd-networkd taking it over (a DHCP client on it) kept a
// container's first packets from leaving under emulation (docs/sysext.md).
constexpr const char* kDhcpNetwork = R"([Match]
Type=ether
Kind=!veth

[Network]
DHCP=yes

[DHCPv4]
UseDomains=yes
)";

}  // namespace

std::string InstallServiceUnit() { return kInstallUnit; }

std::string UpdateServiceUnit() {
  return fmt::format(fmt::runtime(kUpdateUnit), kUpdateDeadline, kUpdateStartTimeout);
}

// OnUnitActiveSec counts from the service's last start, whatever its end
// (done, failed, or stopped by TimeoutStartSec), so a failed run is retried
// one interval after it began; OnBootSec gives it a start when the run at
// boot never happened (a dependency failed), without which neither
// OnUnitActiveSec nor OnUnitInactiveSec has a time to count from.
std::string UpdateTimerUnit(const spec::Update& u) {
  return fmt::format(R"([Unit]
Description=Hull node image update check every {0}

[Timer]
OnBootSec=15min
OnUnitActiveSec={0}
RandomizedDelaySec=10min

[Install]
WantedBy=timers.target
)",
                     u.check_interval);
}

std::string HealthUnit(const spec::Update& u) {
  std::string after = fmt::format("{}", fmt::join(u.health_units, " "));
  return fmt::format(R"([Unit]
Description=Hull health gate (bless this boot only when the node is healthy)
After=multi-user.target {0}
Before=boot-complete.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/libexec/hull/hull-agent health

[Install]
RequiredBy=boot-complete.target
WantedBy=multi-user.target
)",
                     after);
}

std::string WatchdogDropIn() {
  return fmt::format(
      "# Hull (docs/init.md, \"Watchdog\"): systemd takes over the watchdog hull-init armed.\n"
      "[Manager]\nRuntimeWatchdogSec={}s\nRebootWatchdogSec={}min\n",
      kRuntimeWatchdogSeconds, kRebootWatchdogMinutes);
}

Status AddTrustSet(const SigningKeys& keys, const std::string& key_dir, const std::string& work,
                   spec::ImageSpec& s) {
  for (auto [kind, own, own_name] :
       {std::tuple{"db", &keys.db_cert, "db.crt"}, {"verity", &keys.verity_cert, "verity.crt"}}) {
    const std::string dir = work + "/node/trust/" + kind;
    const std::string dest = std::string(node::kTrustDir) + "/" + kind + "/";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating {}: {}", dir, ec.message());
    HULL_TRY(WriteFileAtomic(dir + "/" + own_name, own->ToPem()));
    s.files.push_back({dir + "/" + own_name, dest + own_name});
    if (key_dir.empty()) continue;
    // The next certificates, in name order (the node reads them so too).
    const std::string extra = key_dir + "/trust/" + kind;
    std::vector<fs::path> found;
    if (fs::is_directory(extra, ec)) {
      for (const auto& e : fs::directory_iterator(extra, ec))
        if (e.path().extension() == ".crt") found.push_back(e.path());
      if (ec) return Errorf(ErrorCode::kIo, "listing {}: {}", extra, ec.message());
    }
    std::sort(found.begin(), found.end());
    if (found.size() + 1 > node::kMaxTrustCerts)
      return Errorf(ErrorCode::kInvalidArgument, "{}: at most {} certificates", extra,
                    node::kMaxTrustCerts - 1);
    for (const fs::path& f : found) {
      if (f.filename() == own_name)
        return Errorf(ErrorCode::kInvalidArgument,
                      "{}: the image's own certificate is {}; name the next one otherwise",
                      f.string(), own_name);
      HULL_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::Load(f.string()));
      const std::string copy = dir + "/" + f.filename().string();
      HULL_TRY(WriteFileAtomic(copy, cert.ToPem()));
      s.files.push_back({copy, dest + f.filename().string()});
    }
  }
  return Ok();
}

Status AddSpecRecord(const std::string& spec_text, const std::string& work, spec::ImageSpec& s) {
  if (spec_text.empty()) return Ok();
  const std::string path = work + "/node/spec.yaml";
  std::error_code ec;
  fs::create_directories(work + "/node", ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating {}/node: {}", work, ec.message());
  HULL_TRY(WriteFileAtomic(path, spec_text));
  s.files.push_back({path, node::kSpecRecord});
  return Ok();
}

Status AddNodeFiles(const NodeBinaries& bin, const std::string& spec_dir, const std::string& work,
                    int64_t build_time, spec::ImageSpec& s) {
  const std::string dir = work + "/node";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating {}: {}", dir, ec.message());
  node::UpdateConfig cfg;
  cfg.repository = s.update.repository;
  cfg.channel = s.update.channel;
  cfg.automatic = s.update.upgrade_channel == spec::UpgradeChannel::kNodeImage;
  cfg.boot_tries = s.update.boot_tries;
  cfg.health_units = s.update.health_units;
  cfg.event_console = s.update.event_console;
  cfg.fleetlock = {.url = s.update.fleetlock_url,
                   .group = s.update.fleetlock_group,
                   .ca = s.update.fleetlock_ca,
                   .cert = s.update.fleetlock_cert,
                   .key = s.update.fleetlock_key};
  cfg.sysexts = s.update.sysexts;
  struct Generated {
    const char* name;
    std::string text;
    std::string dest;
  };
  const std::string units = "/usr/lib/systemd/system/";
  const Generated files[] = {
      {"hull-validate.service", kValidateUnit, units + "hull-validate.service"},
      {"hull-update.service", UpdateServiceUnit(), units + "hull-update.service"},
      {"hull-update.timer", UpdateTimerUnit(s.update), units + "hull-update.timer"},
      {"hull-health.service", HealthUnit(s.update), units + "hull-health.service"},
      {"hull-bless.service", kBlessUnit, units + "hull-bless.service"},
      {"hull-extensions.service", kExtensionsUnit, units + "hull-extensions.service"},
      {"hull-install.service", InstallServiceUnit(), units + "hull-install.service"},
      {"80-hull-dhcp.network", kDhcpNetwork, "/usr/lib/systemd/network/80-hull-dhcp.network"},
      {"hull-watchdog.conf", WatchdogDropIn(), "/usr/lib/systemd/system.conf.d/hull-watchdog.conf"},
      {"update.json", node::ToJson(cfg).dump(2) + "\n", node::kFactoryConfig},
      {"build-time", std::to_string(build_time) + "\n", node::kBuildTime},
  };
  for (const Generated& g : files) {
    HULL_TRY(WriteFileAtomic(dir + "/" + g.name, g.text));
    s.files.push_back({dir + "/" + g.name, g.dest});
  }
  if (!s.update.trusted_root.empty()) {
    fs::path root(s.update.trusted_root);
    if (!root.is_absolute()) root = fs::path(spec_dir) / root;
    if (!fs::is_regular_file(root, ec))
      return Errorf(ErrorCode::kNotFound,
                    "update.trusted_root '{}' not found (give the root.json that 'hull release "
                    "init' wrote)",
                    root.string());
    // Absolute: the stage that copies `files` resolves a relative source
    // against the spec's folder again.
    s.files.push_back({fs::absolute(root).string(), node::kFactoryRoot});
  }
  s.files.push_back({bin.agent, std::string(kNodeLibexec) + "/hull-agent"});
  s.files.push_back({bin.init, std::string(kNodeLibexec) + "/hull-init"});
  for (const char* unit : {"hull-validate.service", "hull-health.service", "hull-bless.service",
                           "hull-extensions.service", "hull-install.service"})
    s.services.enable.push_back(unit);
  // Without a repository there is nothing to check: the update units stay
  // installed but disabled, so the image does not wait for the network.
  if (!s.update.repository.empty()) {
    s.services.enable.push_back("hull-update.service");
    s.services.enable.push_back("hull-update.timer");
  }
  return Ok();
}

}  // namespace hull::build

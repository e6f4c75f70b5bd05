#include "vm/boot.h"

#include <fmt/format.h>
#include <string.h>

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "inspect/inspect.h"
#include "keys/keys.h"
#include "node/arch.h"
#include "node/medium.h"
#include "node/smbios.h"
#include "pe/pe.h"
#include "vm/accel.h"
#include "vm/file_server.h"
#include "vm/oci.h"

namespace hull::vm {
namespace fs = std::filesystem;
namespace {

constexpr size_t kTailLines = 25;

// What the image claims, from the UKI systemd-boot would pick (the newest),
// and the machine it needs: the UKI's PE machine type, under its names
// (node/arch.h).
struct ImageClaims {
  Expectations expected;
  const node::ArchNames* names = nullptr;
  GuestArch arch = GuestArch::kX86_64;
  bool seed = false;  // an install medium with a hull-seed partition
};

Result<ImageClaims> ClaimsOf(const std::string& image) {
  HULL_ASSIGN_OR_RETURN(auto rep, inspect::InspectImage(image, {.verify_trees = false}));
  std::vector<const inspect::UkiInfo*> ukis;
  for (const auto& u : rep.ukis)
    if (!u.usrhash.empty()) ukis.push_back(&u);
  if (ukis.empty()) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "'{}' has no UKI with usrhash= on its ESP: is it an image from hull build?",
                  image);
  }
  std::sort(ukis.begin(), ukis.end(), [](auto* a, auto* b) {
    return strverscmp(a->version.c_str(), b->version.c_str()) > 0;
  });
  ImageClaims c;
  ExpectFromCmdline(ukis[0]->cmdline, c.expected);
  c.expected.pcr11_phases = ukis[0]->pcr11_phases;
  c.expected.image_version = ukis[0]->version;
  c.names = node::ArchOfCoffMachine(ukis[0]->coff_machine);
  if (!c.names) {
    return Errorf(ErrorCode::kUnsupported,
                  "'{}': UKI {} is for {}: hull boot runs x86-64 and "
                  "aarch64 images",
                  image, ukis[0]->path, ukis[0]->machine);
  }
  c.arch = c.names->gpt == gpt::Arch::kArm64 ? GuestArch::kAarch64 : GuestArch::kX86_64;
  for (const auto& p : rep.partitions)
    if (p.label == node::kSeedPartitionName) c.seed = true;
  return c;
}

// The accelerator: an aarch64 guest runs under TCG (KVM runs only the
// host's own architecture, and this host is x86-64).
Result<Accel> AccelFor(GuestArch arch, const std::string& requested) {
  if (arch == GuestArch::kX86_64) return ResolveAccel(requested);
  if (requested == "kvm") {
    return Error(ErrorCode::kUnavailable,
                 "--accel kvm: an aarch64 image runs under TCG on this x86-64 host (KVM runs "
                 "only the host's architecture): use --accel tcg or auto");
  }
  if (!requested.empty() && requested != "auto" && requested != "tcg") {
    return ResolveAccel(requested);  // names the allowed values
  }
  return Accel::kTcg;
}

bool IsInstallMedium(const std::string& image) { return image.ends_with(".iso"); }

// The image as the boot disk: an install medium (.iso, docs/iso.md) on an
// optical drive, read-only as a disc is; any other image through a qcow2
// overlay, so the image itself is never written.
Status AttachImage(const BootOptions& o, const std::string& d, MachineSpec& m) {
  if (IsInstallMedium(o.image)) {
    m.disks.push_back({.path = fs::absolute(o.image).string(), .cdrom = true});
    return {};
  }
  const std::string overlay = o.overlay.empty() ? d + "/overlay.qcow2" : o.overlay;
  HULL_TRY(Run(Command{.argv = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                                fs::absolute(o.image).string(), overlay},
                       .install_hint = "apt-get install qemu-utils"})
               .Context("overlay"));
  m.disks.push_back({.path = overlay, .format = "qcow2"});
  return {};
}

// --netboot's preconditions (docs/iso.md "Netboot"). The seed: nothing signs
// it, and over plain HTTP anyone on the path could replace it.
Status CheckNetboot(const BootOptions& o, const ImageClaims& claims) {
  if (!IsInstallMedium(o.image)) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "--netboot serves an install medium: '{}' is not a .iso (make one with "
                  "'hull disk iso IMAGE --out live.iso')",
                  o.image);
  }
  if (claims.arch != GuestArch::kX86_64) {
    return Error(ErrorCode::kUnsupported,
                 "--netboot: only x86-64 (OVMF's HTTP boot) is proven; boot an arm64 medium "
                 "from its optical drive");
  }
  if (claims.seed) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "--netboot: '{}' carries a seed (a {} partition), which plain HTTP lets "
                  "anyone on the path replace: make the medium without --seed",
                  o.image, node::kSeedPartitionName);
  }
  return {};
}

// The firmware's code and a writable variable store: OVMF (its secboot
// build with --secure-boot) or AAVMF; with --secure-boot, the key
// directory's PK, KEK and db enrolled.
Status PrepareFirmware(const BootOptions& o, MachineSpec& m) {
  const bool arm = m.arch == GuestArch::kAarch64;
  m.firmware_code = arm ? kAavmfCode : o.secure_boot ? kOvmfCodeSecureBoot : kOvmfCode;
  if (!o.secure_boot) {
    const char* tmpl = arm ? kAavmfVars : kOvmfVars;
    std::error_code ec;
    fs::copy_file(tmpl, m.firmware_vars, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      return Errorf(ErrorCode::kNotFound, "firmware variable store '{}': {} (apt-get install {})",
                    tmpl, ec.message(), arm ? "qemu-efi-aarch64" : "ovmf");
    }
    return {};
  }
  if (o.keys_dir.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--secure-boot needs --keys DIR (PK.crt, KEK.crt and db.crt to enrol; "
                 "the directory 'hull keys init' made for the build)");
  }
  return keys::MakeFirmwareVars(
             {.key_dir = o.keys_dir,
              .out = m.firmware_vars,
              .firmware = arm ? keys::Firmware::kArmVirt : keys::Firmware::kOvmf})
      .Context("Secure Boot variables");
}

// What ends a boot without validation.
std::string GoodBootLine(const BootOptions& o) { return o.until.empty() ? "login:" : o.until; }

void Finish(const BootOptions& o, BootResult& r, const RunResult& run) {
  r.outcome = run.outcome;
  r.seconds = run.seconds;
  r.reboots = run.reboots;
  r.stop_line = run.stop_line;
  r.console_tail = Tail(run.console, kTailLines);
  if (run.outcome == Outcome::kRefused) {
    r.failure = "the firmware refused the boot image (Access Denied): is it signed by a key in db?";
    return;
  }
  if (run.outcome == Outcome::kTimeout) {
    r.failure = fmt::format("no {} within {} s",
                            o.validate ? "validation line" : "'" + GoodBootLine(o) + "'",
                            o.timeout_seconds);
    return;
  }
  if (run.outcome == Outcome::kExited) {
    r.failure = "the VM powered off before the end of boot";
    return;
  }
  if (run.stop_line.find(o.validate ? "HULL-VALIDATE" : GoodBootLine(o)) == std::string::npos) {
    r.failure = "boot stopped: " + run.stop_line;
    return;
  }
  if (!o.validate) {
    r.ok = true;
    return;
  }
  auto rep = ParseValidateLine(run.console);
  if (!rep.ok()) {
    r.failure = rep.error().ToString();
    return;
  }
  r.report = *rep;
  r.checks = Judge(r.report, r.expected);
  r.ok = AllPassed(r.checks);
  if (!r.ok) r.failure = "validation checks failed";
}

}  // namespace

Result<GuestArch> GuestArchOf(const std::string& image) {
  HULL_ASSIGN_OR_RETURN(ImageClaims claims, ClaimsOf(image));
  return claims.arch;
}

Result<BootResult> BootImage(const BootOptions& o) {
  std::error_code ec;
  if (!fs::is_regular_file(o.image, ec)) {
    return Errorf(ErrorCode::kNotFound, "image '{}' not found", o.image);
  }
  BootResult r;
  HULL_ASSIGN_OR_RETURN(ImageClaims claims, ClaimsOf(o.image));
  if (o.netboot) {
    HULL_TRY(CheckNetboot(o, claims));
  }
  r.expected = std::move(claims.expected);
  r.expected.secure_boot = o.secure_boot;
  r.expected.tpm = o.tpm;
  // A live boot (the install medium, docs/iso.md) validates in one boot.
  const bool live = IsInstallMedium(o.image);
  const bool reboot_check = o.reboot_check && !live;
  r.expected.live = live;
  r.expected.persistence = reboot_check;
  HULL_ASSIGN_OR_RETURN(r.accel, AccelFor(claims.arch, o.accel));
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("hull-boot"));
  const std::string d = tmp.path();
  MachineSpec m;
  m.arch = claims.arch;
  m.accel = r.accel;
  m.memory_mib = o.memory_mib;
  m.secure_boot = o.secure_boot;
  m.user_network = o.network;
  m.firmware_vars = o.firmware_vars.empty() ? d + "/vars.fd" : o.firmware_vars;
  m.boot_index = !o.firmware_boot_order;
  if (std::error_code ec; o.firmware_vars.empty() || !fs::exists(o.firmware_vars, ec)) {
    HULL_TRY(PrepareFirmware(o, m));
  } else {
    // A kept store, as the last boot left it: only the code is chosen.
    const bool arm = m.arch == GuestArch::kAarch64;
    m.firmware_code = arm ? kAavmfCode : o.secure_boot ? kOvmfCodeSecureBoot : kOvmfCode;
  }
  std::unique_ptr<FileServer> server;
  if (o.netboot) {
    HULL_ASSIGN_OR_RETURN(server, FileServer::Start(o.image, "/live.iso"));
    // 10.0.2.2: the host's loopback as QEMU's user network shows it.
    m.http_boot_uri = fmt::format("http://10.0.2.2:{}/live.iso", server->port());
    m.memory_mib += int((server->size() + (1 << 20) - 1) >> 20);
  } else {
    HULL_TRY(AttachImage(o, d, m));
  }
  if (o.validate) {
    HULL_TRY(MakeOciProbeArchive({.binary = o.agent_binary,
                                  .entry_name = "hull-agent",
                                  .entrypoint = {"/hull-agent", "probe"},
                                  .out = d + "/request.tar",
                                  .architecture = std::string(claims.names->debian)})
                 .Context("validation request disk"));
    m.disks.push_back(
        {.path = d + "/request.tar", .serial = node::kValidateDiskSerial, .read_only = true});
    // The request itself is firmware data only a VM's maker sets.
    m.oem_strings = {reboot_check ? node::kValidateRebootOemString : node::kValidateOnceOemString};
  }
  m.disks.insert(m.disks.end(), o.attach.begin(), o.attach.end());
  if (o.tpm) m.tpm_socket = d + "/swtpm.sock";
  m.console_log = o.console_log.empty() ? d + "/console.log" : o.console_log;
  RunOptions ro{.timeout = std::chrono::seconds(o.timeout_seconds), .tpm_state_dir = d + "/tpm"};
  // hull-init resets the machine after a failure; the run ends at its notice.
  ro.stop_lines = {"hull-init: rebooting", "Kernel panic"};
  ro.stop_lines.push_back(o.validate ? "HULL-VALIDATE {" : GoodBootLine(o));
  auto run = RunMachine(m, ro);
  if (!run.ok() && m.accel == Accel::kKvm && o.accel == "auto" &&
      run.error().code() == ErrorCode::kProcessFailed) {
    // KVM passed its probe but QEMU failed under it: TCG always works.
    r.accel = m.accel = Accel::kTcg;
    std::error_code ec;
    fs::remove_all(d + "/tpm", ec);
    m.firmware_vars += ".tcg";
    HULL_TRY(PrepareFirmware(o, m));
    run = RunMachine(m, ro);
  }
  if (!run.ok()) return run.error();
  Finish(o, r, *run);
  if (server) {
    FileServerStats st = server->stats();
    r.netboot_bytes = st.body_bytes;
    r.netboot_first_get_s = st.first_get_s;
    r.netboot_last_byte_s = st.last_byte_s;
  }
  return r;
}

nlohmann::json ToJson(const BootResult& r) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : r.checks) {
    checks.push_back({{"name", c.name}, {"state", CheckStateName(c.state)}, {"detail", c.detail}});
  }
  nlohmann::json j = {{"ok", r.ok},
                      {"outcome", OutcomeName(r.outcome)},
                      {"accel", r.accel == Accel::kKvm ? "kvm" : "tcg"},
                      {"seconds", r.seconds},
                      {"reboots", r.reboots},
                      {"image_version", r.expected.image_version},
                      {"root_hash", r.expected.root_hash},
                      {"checks", checks}};
  if (r.netboot_bytes > 0 || r.netboot_first_get_s >= 0) {
    j["netboot"] = {{"bytes", r.netboot_bytes},
                    {"first_get_seconds", r.netboot_first_get_s},
                    {"last_byte_seconds", r.netboot_last_byte_s}};
  }
  if (!r.failure.empty()) j["failure"] = r.failure;
  if (!r.ok) j["console_tail"] = r.console_tail;
  if (!r.report.is_null()) j["guest"] = r.report;
  return j;
}

}  // namespace hull::vm

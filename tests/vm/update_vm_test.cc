// Image-based A/B updates end to end, on real boots (QEMU TCG + OVMF with
// Secure Boot and the image's keys, swtpm), from a release repository served
// by nginx on the host's loopback (the guest reaches it as 10.0.2.2):
//   0. release N boots; its agent merges the system extension N wants
//      without a reboot, then refuses N+1, for which none is published;
//      once the host has published one, and an update of N's (declaring a
//      service to restart), N's next run swaps that update in, restarting
//      the service under the FleetLock slot, still without a reboot;
//   1. then N's agent finds N+1 in the repository, installs it
//      into the other slot by delta (the active slot read in place as the
//      seed, the new image written straight into the other slot) with a
//      counted entry and reboots;
//   2. N+1 boots, passes the health gate (hull-bless.service blesses it) and
//      reports its version, root hash and PCR 11, which must equal N+1's
//      build (the PCR 11 prediction of all four phases); meanwhile N+2 is
//      published without delta or chunk index, whose health gate requires a
//      unit that does not exist;
//   3. the agent installs N+2, downloaded whole straight into the other
//      slot, and reboots; N+2 fails its gate on its only try and reboots;
//   4. systemd-boot falls back to N+1 by itself; the agent records N+2 as
//      bad, reports the rollback and never installs N+2 again; meanwhile N+3
//      is published, whose command line hull-init refuses (it fails before
//      userspace);
//   5. the agent installs N+3 (by delta from N+1) and reboots; hull-init prints why and resets
//      the machine (no halt), which spends N+3's only try;
//   6. systemd-boot falls back to N+1 by itself; the agent records N+3 as bad.
// Every reboot is coordinated: the node's update configuration names a
// FleetLock server on the host (`hull fleetlock serve` on a real etcd, on
// loopback, the guest's 10.0.2.2); etcd is read at the agent's events to see
// the slot taken before each reboot, held through it and freed after the bless.
// The disk has the default partition sizes: the updates need no working
// space beyond a patch and a verity tree. Every boot also hands softdog, armed by hull-init, over
// to systemd (RuntimeWatchdogSec=): a hand-over that failed would reset the machine.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file.h"
#include "base/subprocess.h"
#include "fleet/fixture.h"
#include "keys/keys.h"
#include "support/nginx.h"
#include "support/status_matchers.h"
#include "vm/accel.h"
#include "vm/machine.h"

namespace hull {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kN = "202611.20.0";
constexpr const char* kN1 = "202611.20.1";
constexpr const char* kN2 = "202611.20.2";
constexpr const char* kN3 = "202611.20.3";

std::string Bin() { return std::getenv("HULL_BIN"); }

Result<ProcessOutput> Hull(std::vector<std::string> args, int minutes = 30) {
  args.insert(args.begin(), Bin());
  return RunAllowFailure(Command{.argv = args, .timeout = std::chrono::minutes(minutes)});
}

json HullJson(const std::vector<std::string>& args) {
  auto r = Hull(args);
  EXPECT_OK(r);
  if (!r.ok()) return {};
  EXPECT_EQ(r->exit_code, 0) << fmt::format("{}", fmt::join(args, " ")) << "\n" << r->err;
  return json::parse(r->out, nullptr, false);
}

// The node's reboot coordination: a real etcd and one `hull fleetlock serve`
// on the host's loopback (the guest reaches it as 10.0.2.2), one slot in the
// node's group; etcd is read with etcdctl, independently of Hull's client.
class FleetLockHost {
 public:
  static constexpr const char* kGroup = "workers";

  Status Start(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    HULL_ASSIGN_OR_RETURN(etcd_, fleet::testing::Etcd::Start(dir));
    HULL_ASSIGN_OR_RETURN(auto replica,
                          fleet::testing::StartReplica(
                              etcd_->url(), {"--group", std::string(kGroup) + "=1", "--json-log"},
                              dir + "/serve.log"));
    server_ = std::move(replica.child);
    port_ = replica.base_url.substr(replica.base_url.rfind(':') + 1);
    port_.pop_back();  // the trailing '/'
    return Ok();
  }
  // The `update.fleetlock` lines of the node's spec.
  std::string SpecLines() const {
    return fmt::format("  fleetlock: {{url: \"http://10.0.2.2:{}/\", group: {}}}\n", port_, kGroup);
  }
  // The group's holders as stored in etcd now ("?" entries: unreadable).
  std::vector<std::string> Holders() const {
    auto v = fleet::testing::EtcdctlGet(etcd_->url(), SemaphoreKey());
    if (!v.ok()) return {"?" + v.error().ToString()};
    return HoldersIn(*v);
  }
  // Every holder set the semaphore had, oldest first, from etcd's history
  // (consecutive equal sets and a leading empty one folded).
  Result<std::vector<std::vector<std::string>>> HolderHistory(const std::string& dir) const {
    HULL_ASSIGN_OR_RETURN(auto values,
                          fleet::testing::HistoryOfKey(etcd_->url(), SemaphoreKey(), dir));
    std::vector<std::vector<std::string>> out;
    for (const auto& v : values) {
      auto h = HoldersIn(v);
      if (out.empty() ? h.empty() : out.back() == h) continue;
      out.push_back(std::move(h));
    }
    return out;
  }

 private:
  static std::string SemaphoreKey() {
    return fmt::format("com.coreos.airlock/groups/{}/v1/semaphore", kGroup);
  }
  static std::vector<std::string> HoldersIn(const std::string& value) {
    json j = json::parse(value, nullptr, false);
    if (!j.is_object()) return {"?" + value};
    std::vector<std::string> out;
    if (j["holders"].is_array())
      for (const auto& h : j["holders"])
        out.push_back(h.is_string() ? h.get<std::string>() : "?" + h.dump());
    return out;
  }

  std::unique_ptr<fleet::testing::Etcd> etcd_;
  std::unique_ptr<fleet::testing::Child> server_;
  std::string port_;
};

// The default spec with an `update` section pointing at the test repository
// and `cmdline_extra` appended to the kernel command line.
std::string SpecText(int port, const std::string& root, const std::string& health_units,
                     const std::string& cmdline_extra, const std::string& update_extra) {
  auto r = Hull({"spec", "show-default"});
  if (!r.ok()) return "";
  // The default partition sizes: hull-init grows the 64 MiB root to the
  // node's disk, which the test makes larger than the image.
  std::string text = r->out;
  const std::string cmdline = "\n  cmdline: [console=ttyS0, \"console=tty0\"]\n";
  size_t c = text.find(cmdline);
  if (c == std::string::npos) return "";
  if (!cmdline_extra.empty())
    text.replace(c, cmdline.size(),
                 "\n  cmdline: [console=ttyS0, \"console=tty0\", " + cmdline_extra + "]\n");
  size_t a = text.find("\nupdate:\n"), b = text.find("\nsigning:");
  if (a == std::string::npos || b == std::string::npos) return "";
  return text.substr(0, a + 1) +
         fmt::format(
             "update:\n  repository: http://10.0.2.2:{}/repo/\n  trusted_root: {}\n"
             "  channel: stable\n  upgrade_channel: NodeImage\n  boot_tries: 1\n"
             "  health_units: [{}]\n  event_console: /dev/ttyS0\n{}",
             port, root, health_units, update_extra) +
         text.substr(b);
}

struct Built {
  std::string image;
  json manifest;
};

class UpdateVm : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("hull-update-vm");
    ASSERT_OK(t);
    dir_.emplace(std::move(*t));
    d_ = dir_->path();
    fs::create_directories(d_ + "/www");
    fs::permissions(d_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
    auto keys = Hull({"keys", "init", d_ + "/keys"});
    ASSERT_OK(keys);
    ASSERT_EQ(keys->exit_code, 0) << keys->err;
    auto init = Hull({"release", "init", d_ + "/www/repo", "--keys", d_ + "/repo-keys"});
    ASSERT_OK(init);
    ASSERT_EQ(init->exit_code, 0) << init->err;
    auto st = nginx_.Start(d_ + "/nginx", d_ + "/www");
    ASSERT_OK(st);
    ASSERT_OK(fleet_.Start(d_ + "/fleetlock"));
  }

  // `probe_units`: the image gains two test units (ProbeUnits).
  Built Build(const char* version, const std::string& health_units,
              const std::string& cmdline_extra = "", const std::string& update_extra = "",
              bool probe_units = false) {
    std::string spec = d_ + fmt::format("/spec-{}.yaml", version);
    std::string text = SpecText(nginx_.port(), d_ + "/www/repo/root.json", health_units,
                                cmdline_extra, fleet_.SpecLines() + update_extra);
    EXPECT_FALSE(text.empty());
    if (probe_units) text = ProbeUnits(text);
    EXPECT_OK(WriteFileAtomic(spec, text));
    std::string out = d_ + "/image-" + version;
    json m = HullJson(
        {"build", spec, "--keys", d_ + "/keys", "--out", out, "--version", version, "--json"});
    Built b{.manifest = m};
    for (auto& [name, _] : m["outputs"].items())
      if (name.ends_with(".raw")) b.image = out + "/" + name;
    EXPECT_FALSE(b.image.empty());
    return b;
  }

  // Two test units in the image (spec `files`, enabled): e2e-probe.service
  // prints what /usr says of the probe extension (its file
  // /usr/share/hull-probe/for, "none" without it) and the boot id on the
  // console at boot and whenever it is restarted; a drop-in gives
  // hull-update.service OnFailure=hull-e2e-again.service, which starts the
  // update again 15 s later (the timer would take 15 minutes).
  std::string ProbeUnits(std::string text) {
    const std::string u = d_ + "/units";
    fs::create_directories(u);
    EXPECT_OK(WriteFileAtomic(
        u + "/e2e-probe.service",
        "[Unit]\nDescription=e2e: what /usr says of the probe extension\n"
        "After=hull-extensions.service\n[Service]\nType=oneshot\nRemainAfterExit=yes\n"
        "ExecStart=/bin/sh -c 'echo \"HULL-E2E-PROBE $(cat /usr/share/hull-probe/for 2>/dev/null"
        " || echo none) $(cat /proc/sys/kernel/random/boot_id)\" >/dev/ttyS0'\n"
        "[Install]\nWantedBy=multi-user.target\n"));
    EXPECT_OK(WriteFileAtomic(u + "/hull-e2e-again.service",
                              "[Unit]\nDescription=e2e: the update again after a failed run\n"
                              "[Service]\nType=oneshot\nExecStart=/bin/sleep 15\n"
                              "ExecStart=/bin/systemctl start --no-block hull-update.service\n"));
    EXPECT_OK(WriteFileAtomic(u + "/e2e-again.conf", "[Unit]\nOnFailure=hull-e2e-again.service\n"));
    const std::string files = fmt::format(
        "files:\n"
        "  - {{source: {0}/e2e-probe.service, dest: "
        "/usr/lib/systemd/system/e2e-probe.service}}\n"
        "  - {{source: {0}/hull-e2e-again.service, dest: "
        "/usr/lib/systemd/system/hull-e2e-again.service}}\n"
        "  - {{source: {0}/e2e-again.conf, dest: "
        "/usr/lib/systemd/system/hull-update.service.d/e2e-again.conf}}\n",
        u);
    const std::string enable = "enable: [containerd.service, systemd-networkd.service";
    size_t f = text.find("\nfiles: []\n"), e = text.find(enable);
    EXPECT_TRUE(f != std::string::npos && e != std::string::npos);
    if (f == std::string::npos || e == std::string::npos) return text;
    text.insert(e + enable.size(), ", e2e-probe.service");
    return text.replace(f + 1, std::string("files: []\n").size(), files);
  }

  // A files-only extension `probe` VERSION for exactly OS `os` (version_id),
  // built with the image's key (its builds reuse the image builds' cached
  // base compose); /usr/share/hull-probe/for says "VERSION OS". `restarts`:
  // the spec's line. Its root hash, from the build's manifest.
  std::string BuildProbe(const char* version, const char* os, const std::string& restarts = "") {
    const std::string d = d_ + "/probe-" + version;
    fs::create_directories(d + "/files/usr/share/hull-probe");
    EXPECT_OK(WriteFileAtomic(d + "/files/usr/share/hull-probe/for",
                              fmt::format("{} {}\n", version, os)));
    EXPECT_OK(WriteFileAtomic(
        d + "/probe.yaml",
        fmt::format("name: probe\nversion: \"{}\"\ncompatibility: {{id: hull, version_id: "
                    "\"{}\"}}\nfiles: [files]\n{}",
                    version, os, restarts)));
    json m = HullJson({"sysext", "build", d + "/probe.yaml", "--keys", d_ + "/keys", "--out",
                       d + "/out", "--json"});
    return m.value("root_hash", "");
  }
  // Publishes what BuildProbe built, with `hull release add-sysext`.
  void PublishProbe(const char* version) {
    HullJson({"release", "add-sysext", d_ + "/www/repo",
              fmt::format("{}/probe-{}/out/probe_{}_amd64.raw", d_, version, version), "--keys",
              d_ + "/repo-keys", "--json"});
  }

  // `whole`: without delta or chunk index, so nodes download the image whole.
  void Publish(const Built& b, bool whole = false) {
    std::vector<std::string> args = {
        "release",         "add",       d_ + "/www/repo", b.image,         "--keys",
        d_ + "/repo-keys", "--channel", "stable",         "--delta-level", "3",
        "--chunk-level",   "3",         "--json"};
    if (whole) args.insert(args.end(), {"--deltas", "0", "--no-chunks"});
    json r = HullJson(args);
    EXPECT_FALSE(r.is_discarded());
  }

  // etcd's holders of the node's group, read when the agent says it is
  // about to reboot, has taken its slot or judged a boot unhealthy: moments
  // after which it cannot free the slot before a reboot (what follows a
  // healthy boot or a release is read from etcd's history instead).
  void WatchSlot(const json& e, size_t index) {
    static const std::set<std::string> kWatched = {"rebooting", "slot-taken", "unhealthy"};
    if (kWatched.contains(e.value("event", ""))) holders_at_[index] = fleet_.Holders();
  }

  // The slot is taken before each reboot, held in etcd through it (the
  // rollback reboot of a failed gate included) and freed only after the
  // bless, reporting how the release went.
  void CheckSlotCoveredEveryReboot(const std::vector<json>& events) {
    auto find = [&](const std::string& ev, const std::string& version,
                    size_t from = 0) -> std::optional<size_t> {
      for (size_t i = from; i < events.size(); ++i)
        if (events[i]["event"] == ev &&
            (events[i].value("version", "") == version ||
             (events[i].contains("fleetlock") && events[i]["fleetlock"]["version"] == version)))
          return i;
      return std::nullopt;
    };
    size_t reboots = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i]["event"] != "rebooting") continue;
      ++reboots;
      EXPECT_EQ(holders_at_[i].size(), 1u) << "reboot at event " << i << ": holders "
                                           << fmt::format("{}", fmt::join(holders_at_[i], ","));
      EXPECT_TRUE(events[i].contains("fleetlock") && events[i]["fleetlock"]["held"] == true)
          << events[i].dump();
    }
    // N -> N+1, N+1 -> N+2, N+2's failed gate, N+1 -> N+3 (hull-init's
    // reset of N+3 is no agent's reboot).
    EXPECT_EQ(reboots, 4u);
    // N+1: taken before the install, freed after the bless.
    auto taken = find("slot-taken", kN1);
    auto installed = find("installed", kN1);
    ASSERT_TRUE(taken && installed);
    EXPECT_LT(*taken, *installed);
    ASSERT_EQ(holders_at_[*taken].size(), 1u);
    const std::string node = holders_at_[*taken][0];
    auto blessed = find("blessed", kN1, *installed);
    auto released = find("slot-released", kN1, *installed);
    ASSERT_TRUE(blessed && released);
    EXPECT_LT(*blessed, *released);
    auto reported = find("reported", kN1, *blessed);
    ASSERT_TRUE(reported);
    EXPECT_EQ(events[*reported]["result"], "healthy");
    // N+2: its failed gate's reboot runs under N+2's slot; back on N+1 the
    // agent reports the rollback, then frees it.
    auto bad = find("unhealthy", kN2);
    ASSERT_TRUE(bad);
    EXPECT_EQ(holders_at_[*bad], std::vector<std::string>{node});
    auto reported2 = find("reported", kN2, *bad);
    auto released2 = find("slot-released", kN2, *bad);
    ASSERT_TRUE(reported2 && released2);
    EXPECT_LT(*reported2, *released2);
    EXPECT_EQ(events[*reported2]["result"], "rolled-back");
    ASSERT_TRUE(find("slot-released", kN3, *released2));
    // etcd's own history of the semaphore: held by the node four times (N's
    // extension update; N+1; N+2 through both its reboots; N+3), freed
    // between and at the end.
    auto history = fleet_.HolderHistory(d_ + "/fleetlock");
    ASSERT_OK(history);
    const std::vector<std::string> none, held{node};
    // The first: N's extension update restarting a service.
    EXPECT_EQ(*history, (std::vector<std::vector<std::string>>{held, none, held, none, held, none,
                                                               held, none}))
        << HistoryText(*history);
  }

  static std::string HistoryText(const std::vector<std::vector<std::string>>& history) {
    std::string out;
    for (const auto& h : history) out += "[" + fmt::format("{}", fmt::join(h, ",")) + "] ";
    return out;
  }

  std::optional<TempDir> dir_;
  std::string d_;
  test_support::Nginx nginx_;
  FleetLockHost fleet_;
  std::map<size_t, std::vector<std::string>> holders_at_;
};

// The JSON of a "HULL-AGENT {...}" console line; one the kernel's console
// output cut into is kept as an "unreadable-line" event, so a run that then
// misses an event says why.
std::optional<json> AgentEvent(const std::string& line) {
  size_t p = line.find("HULL-AGENT {");
  if (p == std::string::npos) return std::nullopt;
  json j = json::parse(line.substr(p + 11), nullptr, false);
  if (!j.is_object() || !j.contains("event") || !j["event"].is_string())
    return json{{"event", "unreadable-line"}, {"line", line}};
  return j;
}

TEST_F(UpdateVm, UpdatesThenRollsBackFromAFailingRelease) {
  // N wants the extension `probe` (docs/sysext.md "Lifecycle"): its first
  // run activates probe 1 (for N) without a reboot, then refuses N+1, for
  // which none is published; the host publishes probe 1.1 for N (declaring a
  // service to restart) and probe 2 for N+1; N's next run (a test unit starts
  // it) swaps 1.1 in without a reboot, restarting that service under the
  // FleetLock slot, then fetches N+1's and installs N+1. N+1's
  // configuration wants none, so N+2 and N+3 need none.
  Built n = Build(kN, "containerd.service", "", "  sysexts: [probe]\n", /*probe_units=*/true);
  Built n1 = Build(kN1, "containerd.service");
  Built n2 = Build(kN2, "containerd.service, hull-e2e-missing.service");
  // hull-init refuses hull.disk_timeout=0 (1..600): a release that fails
  // before userspace, whatever its /usr holds.
  Built n3 = Build(kN3, "containerd.service", "hull.disk_timeout=0");
  ASSERT_FALSE(HasFailure());
  Publish(n);
  Publish(n1);
  const std::string probe_n = BuildProbe("1", kN),
                    probe_n_update = BuildProbe("1.1", kN, "restarts: [e2e-probe.service]\n"),
                    probe_n1 = BuildProbe("2", kN1);
  PublishProbe("1");
  ASSERT_FALSE(HasFailure());

  // The node: a copy of N's disk (the VM writes it: updates land there).
  const std::string disk = d_ + "/node.raw";
  ASSERT_OK(hull::Run(Command{.argv = {"cp", "--sparse=always", n.image, disk}}));
  // A node's disk is larger than the image (the root grows to it); the
  // updates themselves write the image into the other slot in place.
  ASSERT_OK(hull::Run(Command{.argv = {"qemu-img", "resize", "-q", "-f", "raw", disk, "6G"}}));
  vm::MachineSpec m;
  auto accel = vm::ResolveAccel("auto");
  ASSERT_OK(accel);
  m.accel = *accel;
  m.secure_boot = true;
  m.firmware_code = vm::kOvmfCodeSecureBoot;
  m.firmware_vars = d_ + "/vars.fd";
  ASSERT_OK(keys::MakeFirmwareVars({.key_dir = d_ + "/keys", .out = m.firmware_vars}));
  m.disks.push_back({.path = disk});
  m.tpm_socket = d_ + "/swtpm.sock";
  m.console_log = d_ + "/console.log";
  m.user_network = true;

  std::vector<json> events;
  // e2e-probe.service's lines: what /usr says of the probe, the boot id,
  // and how many agent events came before.
  std::vector<std::pair<size_t, std::string>> probes;
  bool published_n2 = false, published_n3 = false, published_probes = false;
  vm::RunOptions ro{.timeout = std::chrono::minutes(40), .tpm_state_dir = d_ + "/tpm"};
  ro.stop_lines = {"Kernel panic"};
  ro.on_line = [&](const std::string& line) {
    if (size_t p = line.find("HULL-E2E-PROBE "); p != std::string::npos)
      probes.emplace_back(events.size(), line.substr(p + 15));
    auto e = AgentEvent(line);
    if (!e) return false;
    events.push_back(*e);
    WatchSlot(*e, events.size() - 1);
    const std::string ev = (*e)["event"].get<std::string>();
    // The refused run's error is expected; any other ends the run.
    if (ev == "error")
      return events.size() < 2 || events[events.size() - 2]["event"] != "extensions-missing";
    if (ev == "extensions-missing" && !published_probes) {
      PublishProbe("1.1");  // while N's run ends and the next is 15 s away
      PublishProbe("2");
      published_probes = true;
    }
    if (ev == "installed" && (*e)["version"] == kN1 && !published_n2) {
      Publish(n2, /*whole=*/true);  // while N reboots into N+1
      published_n2 = true;
    }
    if (ev == "unhealthy" && (*e)["version"] == kN2 && !published_n3) {
      Publish(n3);  // while N+2 reboots, to fall back to N+1
      published_n3 = true;
    }
    return ev == "up-to-date" && (*e)["running"] == kN1;
  };
  auto run = vm::RunMachine(m, ro);
  ASSERT_OK(run);
  std::string story;
  for (const auto& e : events) story += e.dump() + "\n";
  ASSERT_EQ(run->outcome, vm::Outcome::kStopLine) << "events:\n"
                                                  << story << "console:\n"
                                                  << vm::Tail(run->console, 60);
  // A stop line rather than the agent's last event: a panic.
  ASSERT_TRUE(run->stop_line.empty() || run->stop_line.find("Kernel panic") == std::string::npos)
      << run->stop_line << "\nevents:\n"
      << story << "console:\n"
      << vm::Tail(run->console, 80);
  SCOPED_TRACE("events:\n" + story);

  auto find = [&](const std::string& ev, const std::string& key, const std::string& value,
                  size_t from = 0) -> std::optional<size_t> {
    for (size_t i = from; i < events.size(); ++i)
      if (events[i]["event"] == ev && events[i].value(key, "") == value) return i;
    return std::nullopt;
  };
  // 1. N installs N+1, mostly by delta.
  auto inst1 = find("installed", "version", kN1);
  ASSERT_TRUE(inst1);
  EXPECT_EQ(events[*inst1]["pieces"]["usr"]["method"], std::string("delta from ") + kN);
  EXPECT_LT(events[*inst1]["downloaded"].get<uint64_t>(),
            events[*inst1]["full_size"].get<uint64_t>() / 20);
  // 2. N+1 boots healthy on its trial, with N+1's root hash and PCR 11.
  auto healthy1 = find("healthy", "version", kN1, *inst1);
  ASSERT_TRUE(healthy1);
  const json& h = events[*healthy1];
  EXPECT_EQ(h["root_hash"], n1.manifest["usr"]["root_hash"]);
  EXPECT_TRUE(h["on_trial"].get<bool>());
  EXPECT_EQ(h["pcr11"], n1.manifest["uki"]["pcr11"]["enter-initrd:leave-initrd:sysinit:ready"]);
  auto blessed1 = find("blessed", "version", kN1, *healthy1);
  ASSERT_TRUE(blessed1);
  // The extensions: N fetched both versions of probe before installing N+1;
  // N+1 booted with its own merged (the root hash its build gave), N's kept
  // beside it until the bless, then removed with its record.
  // First, on N: probe 1 fetched for N and activated without a reboot.
  auto fetched_n = find("extension-fetched", "file", "probe_1_amd64.raw");
  auto first = find("extension-updated", "to", "probe_1_amd64.raw");
  ASSERT_TRUE(fetched_n && first);
  EXPECT_EQ(events[*fetched_n]["for"], kN);
  EXPECT_EQ(events[*first]["from"], "");
  EXPECT_EQ(events[*first]["root_hash"], probe_n);
  EXPECT_EQ(events[*first]["restarted"], json::array());
  // N+1 refused while no probe is published for it: nothing fetched for it,
  // nothing installed, the reason named.
  auto missing = find("extensions-missing", "version", kN1);
  ASSERT_TRUE(missing);
  EXPECT_LT(*first, *missing);
  EXPECT_NE(events[*missing]
                .value("reason", "")
                .find(std::string("extension probe has no version for release ") + kN1),
            std::string::npos);
  EXPECT_LT(*missing, *inst1);
  for (size_t i = 0; i < *missing; ++i) {
    EXPECT_NE(events[i]["event"], "installed") << i;
    EXPECT_NE(events[i]["event"], "slot-taken") << i;
  }
  // N's next run: probe 1.1 swapped in without a reboot, the service it
  // names restarted under the FleetLock slot, 1 removed; then N+1's probe
  // fetched before N+1 is installed.
  auto update = find("extension-updated", "to", "probe_1.1_amd64.raw", *missing);
  ASSERT_TRUE(update);
  EXPECT_EQ(events[*update]["from"], "probe_1_amd64.raw");
  EXPECT_EQ(events[*update]["root_hash"], probe_n_update);
  EXPECT_EQ(events[*update]["restarted"], json::array({"e2e-probe.service"}));
  EXPECT_FALSE(events[*update].contains("restart_error")) << events[*update].dump();
  auto find_slot = [&](const std::string& ev, const std::string& version,
                       size_t from) -> std::optional<size_t> {
    for (size_t i = from; i < events.size(); ++i)
      if (events[i]["event"] == ev && events[i].contains("fleetlock") &&
          events[i]["fleetlock"].value("version", "") == version)
        return i;
    return std::nullopt;
  };
  auto probe_slot = find_slot("slot-taken", kN, *missing);
  auto probe_free = find_slot("slot-released", kN, *missing);
  ASSERT_TRUE(probe_slot && probe_free);
  // Taken, the new one active, (the restart), freed, then the outcome.
  auto active_update = find("extension-active", "file", "probe_1.1_amd64.raw", *missing);
  ASSERT_TRUE(active_update);
  EXPECT_LT(*probe_slot, *active_update);
  EXPECT_LT(*active_update, *probe_free);
  EXPECT_LT(*probe_free, *update);
  EXPECT_LT(*update, *inst1);
  EXPECT_EQ(holders_at_[*probe_slot].size(), 1u);
  // What /usr said, read by the restarted unit: nothing at boot, then 1.1's
  // file, in the same boot (boot id).
  ASSERT_GE(probes.size(), 2u);
  const std::string boot_n = probes[0].second.substr(probes[0].second.rfind(' ') + 1);
  EXPECT_EQ(probes[0].second, "none " + boot_n);
  EXPECT_LE(probes[0].first, *first);
  EXPECT_EQ(probes[1].second, std::string("1.1 ") + kN + " " + boot_n);
  EXPECT_GT(probes[1].first, *active_update);
  EXPECT_LE(probes[1].first, *probe_free);
  EXPECT_EQ(probes.size(), 2u);
  EXPECT_EQ(boot_n.size(), 36u);
  for (size_t i = 0; i < *inst1; ++i) EXPECT_NE(events[i]["event"], "rebooting") << i;
  auto fetched_n1 = find("extension-fetched", "file", "probe_2_amd64.raw");
  ASSERT_TRUE(fetched_n1);
  EXPECT_EQ(events[*fetched_n1]["for"], kN1);
  EXPECT_LT(*update, *fetched_n1);
  EXPECT_LT(*fetched_n1, *inst1);
  auto active = find("extension-active", "file", "probe_2_amd64.raw", *inst1);
  ASSERT_TRUE(active);
  EXPECT_LT(*active, *healthy1);
  EXPECT_EQ(events[*active]["root_hash"], probe_n1);
  EXPECT_FALSE(find("extension-active", "file", "probe_1_amd64.raw", *inst1));
  EXPECT_FALSE(find("extension-active", "file", "probe_1.1_amd64.raw", *inst1));
  EXPECT_FALSE(find("extension-refused", "name", "probe"));
  EXPECT_FALSE(find("extension-update-failed", "name", "probe"));
  // At the bless, 1.1 (N's) goes; 1 went at the swap, or it would be here.
  auto pruned = find("extensions-pruned", "running", kN1, *blessed1);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(events[*pruned]["removed"],
            json::array({"probe_1.1_amd64.raw", "probe_1.1_amd64.json"}));
  EXPECT_FALSE(find("extensions-pruned", "running", kN1, *pruned + 1));
  EXPECT_NE(probe_n, probe_n1);
  EXPECT_NE(probe_n, probe_n_update);
  // 3. N+2 is installed, fails its gate on a counted boot.
  auto inst2 = find("installed", "version", kN2, *healthy1);
  ASSERT_TRUE(inst2);
  // Published without delta or chunks: downloaded whole into the slot.
  EXPECT_EQ(events[*inst2]["pieces"]["usr"]["method"], "full");
  EXPECT_EQ(events[*inst2]["pieces"]["usr"]["fallback"], "");
  EXPECT_GE(events[*inst2]["downloaded"].get<uint64_t>(),
            events[*inst2]["pieces"]["usr"]["downloaded"].get<uint64_t>());
  EXPECT_GT(events[*inst2]["pieces"]["usr"]["downloaded"].get<uint64_t>(),
            events[*inst2]["full_size"].get<uint64_t>() / 2);
  auto bad = find("unhealthy", "version", kN2, *inst2);
  ASSERT_TRUE(bad);
  EXPECT_TRUE(events[*bad]["on_trial"].get<bool>());
  EXPECT_NE(events[*bad]["reasons"].dump().find("hull-e2e-missing.service does not exist"),
            std::string::npos);
  // 4. Back on N+1 by itself: the rollback is recorded; N+2 is never retried.
  auto rb = find("rollback", "failed", kN2, *bad);
  ASSERT_TRUE(rb);
  EXPECT_EQ(events[*rb]["running"], kN1);
  EXPECT_FALSE(find("installed", "version", kN2, *rb));
  // 5. N+3 is installed; its hull-init fails and resets the machine.
  auto inst3 = find("installed", "version", kN3, *rb);
  ASSERT_TRUE(inst3);
  EXPECT_EQ(events[*inst3]["pieces"]["usr"]["method"], std::string("delta from ") + kN1);
  const std::string& console = run->console;
  size_t failed = console.find("hull-init: FAILED: hull.disk_timeout=0: expected seconds 1..600");
  ASSERT_NE(failed, std::string::npos) << vm::Tail(console, 60);
  EXPECT_NE(console.find("hull-init: rebooting in 5 s", failed), std::string::npos);
  // One reset per try (boot_tries: 1), and no more.
  EXPECT_EQ(console.find("hull-init: FAILED", failed + 1), std::string::npos);
  // 6. Back on N+1 by itself, within N+3's one try: N+3 is recorded as bad.
  auto rb3 = find("rollback", "failed", kN3, *inst3);
  ASSERT_TRUE(rb3);
  EXPECT_EQ(events[*rb3]["running"], kN1);
  // N -> N+1 -> N+2 -> N+1 -> N+3 -> (reset) N+1.
  EXPECT_EQ(run->reboots, 5);
  const json& last = events.back();
  EXPECT_EQ(last["event"], "up-to-date");
  EXPECT_EQ(last["bad_versions"], json::array({kN2, kN3}));
  // systemd took the watchdog over from hull-init (softdog's identity).
  EXPECT_NE(console.find("Using hardware watchdog 'Software Watchdog'"), std::string::npos);
  CheckSlotCoveredEveryReboot(events);
}

}  // namespace
}  // namespace hull

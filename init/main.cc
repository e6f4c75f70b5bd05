// hull-init: /init of Hull's initrd. Boot flow and failure messages:
// docs/init.md. Any failure is printed as "hull-init: FAILED: <reason>" and
// the machine resets after a short delay (init/failure.h): an unverified /usr
// is never mounted, and boot counting falls back to the previous entry.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include "base/hex.h"
#include "crypto/digest_algorithm.h"
#include "init/cmdline.h"
#include "init/dps.h"
#include "init/failure.h"
#include "init/live_root.h"
#include "init/optical.h"
#include "init/sha256.h"
#include "init/sys.h"
#include "node/medium.h"
#include "node/usrhash.h"
#include "slot/dm_device.h"
#include "verity/superblock.h"
#include "verity/table.h"

namespace hull::init {
namespace {

constexpr const char* kSysroot = "/sysroot";
constexpr const char* kEtcOverlay = "/sysroot/var/lib/hull/etc-overlay";

[[noreturn]] void Reboot(const FailurePlan& plan) {
  for (const std::string& line : plan.lines) LogError(line);
  sync();
  std::this_thread::sleep_for(std::chrono::seconds(plan.delay_s));
  reboot(RB_AUTOBOOT);
  for (;;) pause();
}

void ReopenConsole() {
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int i = 0; i < 3; ++i) dup2(fd, i);
  if (fd > 2) close(fd);
}

// The highest-priority "sha256" in /proc/crypto: what dm-verity will use.
std::string BestSha256Driver() {
  auto text = ReadSmallFile("/proc/crypto", 1 << 20);
  if (!text.ok()) return "unknown";
  std::string best = "unknown", name, driver;
  int best_prio = -1;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) nl = text->size();
    std::string line = text->substr(pos, nl - pos);
    pos = nl + 1;
    auto value = [&](const char* key) -> std::optional<std::string> {
      if (!line.starts_with(key)) return std::nullopt;
      size_t c = line.find(": ");
      return c == std::string::npos ? std::string() : line.substr(c + 2);
    };
    if (auto v = value("name ")) name = *v;
    if (auto v = value("driver ")) driver = *v;
    if (auto v = value("priority ")) {
      int prio = std::atoi(v->c_str());
      if (name == "sha256" && prio > best_prio) best = driver, best_prio = prio;
    }
  }
  return best;
}

std::string ModuleDir() {
  utsname u{};
  uname(&u);
  return std::string("/usr/lib/modules/") + u.release;
}

Result<ModuleIndex> ReadModuleIndex(const std::string& dir) {
  auto dep = ReadSmallFile(dir + "/modules.dep", 8 << 20);
  auto builtin = ReadSmallFile(dir + "/modules.builtin", 8 << 20);
  return ParseModules(dep.ok() ? *dep : "", builtin.ok() ? *builtin : "");
}

// softdog (Debian's cloud kernel has no driver for QEMU's i6300esb, nor
// iTCO), armed until systemd takes it over: a hang from here until then
// resets the machine. A kernel with its own watchdog driver built in has
// /dev/watchdog already, and softdog then registers as a second device.
Status ArmEarlyWatchdog(const Cmdline& c, const std::string& dir, const ModuleIndex& index,
                        std::set<std::string>& loaded) {
  if (c.watchdog_s == 0) {
    Log("watchdog: off (hull.watchdog=0)");
    return {};
  }
  if (Find(index, "softdog") == Presence::kModule)
    HULL_TRY(LoadModule(dir, index, "softdog", loaded));
  HULL_ASSIGN_OR_RETURN(int t, ArmWatchdog(c.watchdog_s));
  Log(fmt::format("watchdog armed: {} s until systemd takes it over", t));
  return {};
}

Status LoadModules(const std::string& dir, const ModuleIndex& index,
                   std::set<std::string>& loaded) {
  // Optional: disk drivers (whichever the initrd has), the TPM interfaces and
  // the SHA-256 implementations with SSSE3/AVX2 (before dm-verity binds
  // "sha256", or it keeps the slow generic one). nd_pmem and nfit: a
  // netbooted medium, the firmware's RAM disk (docs/iso.md "Netboot").
  for (const char* m :
       {"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "sr_mod", "loop", "nvme", "ahci",
        "nd_pmem", "nfit", "tpm_crb", "tpm_tis", "sha256_ssse3", "efivarfs"})
    if (Find(index, m) == Presence::kModule) {
      // Optional: a driver without its hardware (ENODEV) is not a failure.
      if (auto s = LoadModule(dir, index, m, loaded); !s.ok())
        Log("skipped: " + s.error().ToString());
    }
  for (const char* m : {"dm_verity", "erofs", "ext4", "overlay"})
    HULL_TRY(LoadModule(dir, index, m, loaded).Context("required module"));
  Log("modules loaded from " + dir + "; sha256 driver: " + BestSha256Driver());
  return {};
}

Result<Found> WaitForDisk(const Cmdline& c, const BootDevice& boot) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(c.disk_timeout_s);
  for (;;) {
    std::vector<std::string> unusable;
    std::vector<Disk> disks = ScanDisks(&unusable);
    auto found = FindPartitions(disks, c.usrhash, boot.esp, boot.pci);
    if (found.ok() || found.error().code() != ErrorCode::kNotFound ||
        std::chrono::steady_clock::now() > deadline) {
      if (!found.ok() && !unusable.empty()) {
        std::string list;
        for (const auto& u : unusable) list += (list.empty() ? "" : "; ") + u;
        found = Errorf(found.error().code(), "{} (devices without a usable GPT: {})",
                       found.error().ToString(), list);
      }
      return std::move(found).Context(
          fmt::format("after waiting up to {} s for the disk", c.disk_timeout_s));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// A disk the kernel did not split (an optical drive, docs/iso.md): each
// partition used becomes a read-only dm-linear device over the drive.
Status MapUnsplitDisk(Found& f) {
  struct stat st;
  if (stat(f.usr_dev.c_str(), &st) == 0) return {};
  HULL_ASSIGN_OR_RETURN(uint64_t bytes, BlockDeviceSize(f.disk));
  HULL_ASSIGN_OR_RETURN(uint32_t block, LogicalBlockSize(f.disk));
  gpt::Table table;
  table.sector_size = f.sector_size;
  std::pair<const gpt::Partition*, std::string*> parts[] = {
      {&f.usr, &f.usr_dev}, {&f.verity, &f.verity_dev}, {&f.root, &f.root_dev}};
  const char* roles[] = {"usr", "usr-verity", "root"};
  for (size_t i = 0; i < 3; ++i) {
    HULL_ASSIGN_OR_RETURN(LinearMap m,
                          PlanPartitionMap(f.disk, bytes, block, table, *parts[i].first, roles[i]));
    HULL_ASSIGN_OR_RETURN(node::DevNumber dev,
                          slot::DmCreate(m.name, "HULL-" + m.name, m.sectors, "linear", m.params));
    HULL_TRY(slot::MakeDmNode(m.name, dev));
    *parts[i].second = "/dev/mapper/" + m.name;
    Log(fmt::format("{} ({}:{}): linear {} sectors of {}", *parts[i].second, dev.major, dev.minor,
                    m.sectors, m.params));
  }
  return {};
}

Status SetupVerity(const Cmdline& c, const Found& f) {
  HULL_ASSIGN_OR_RETURN(Bytes sb, ReadAt(f.verity_dev, 0, verity::kSuperblockSize));
  HULL_ASSIGN_OR_RETURN(verity::VerityParams p, verity::DecodeSuperblock(sb).Context(
                                                    "usr-verity superblock of " + f.verity_dev));
  HULL_ASSIGN_OR_RETURN(uint64_t usr_size, BlockDeviceSize(f.usr_dev));
  uint64_t data_bytes = 0;
  if (!CheckedMul(p.data_blocks, uint64_t(p.data_block_size), &data_bytes) || data_bytes > usr_size)
    return Errorf(ErrorCode::kCorrupt,
                  "verity data ({} blocks of {}) exceeds usr partition {} ({} bytes)",
                  p.data_blocks, p.data_block_size, f.usr_dev, usr_size);
  if (c.usrhash.size() != crypto::DigestSize(p.algorithm))
    return Errorf(ErrorCode::kInvalidArgument, "usrhash= has {} bytes but the superblock says {}",
                  c.usrhash.size(), crypto::DigestName(p.algorithm));
  HULL_ASSIGN_OR_RETURN(std::string table, verity::KernelTable(p, f.usr_dev, f.verity_dev,
                                                               c.usrhash, VerityOptions(c.verity)));
  Log("dm-verity table: " + table);
  std::string uuid = "HULL-VERITY-usr-" + HexEncode(ByteSpan(c.usrhash).subspan(0, 16));
  HULL_ASSIGN_OR_RETURN(node::DevNumber dev,
                        slot::DmCreate("usr", uuid, data_bytes / 512, "verity", table));
  HULL_TRY(slot::MakeDmNode("usr", dev));
  Log(fmt::format("/dev/mapper/usr ({}:{}) verifies {} against {}", dev.major, dev.minor, f.usr_dev,
                  f.verity_dev));
  return {};
}

// A live boot's / (docs/iso.md): a copy of the medium's root template in
// memory (a sparse file on the /run tmpfs, through a loop device), so the
// state lives in memory and / keeps the template's SELinux labels (a tmpfs
// cannot carry them before the policy is loaded). The file's size is
// init/live_root.h's, capped by memory; the ext4 inside is grown to it after
// the mount.
// The template is hashed as it is copied and must match the signed command
// line's hull.roottemplate= before anything mounts it (CheckRootTemplate).
// The loop device's descriptor is kept until the exec of init (O_CLOEXEC):
// the mount holds the device from then on (LO_FLAGS_AUTOCLEAR).
Result<slot::Loop> MakeLiveRoot(const Cmdline& c, const Found& f) {
  HULL_TRY(CheckRootTemplate(c.root_template, {}));
  const std::string image = "/run/hull-live-root.img";
  uint64_t bytes = f.root.sectors() * f.sector_size;
  HULL_ASSIGN_OR_RETURN(std::string meminfo, ReadSmallFile("/proc/meminfo", 1 << 16));
  HULL_ASSIGN_OR_RETURN(uint64_t mem, ParseMemTotal(meminfo));
  HULL_ASSIGN_OR_RETURN(uint64_t file_bytes, LiveRootBytes(bytes, mem));
  Sha256Stream hash;
  HULL_TRY(CopyDeviceToFile(f.root_dev, bytes, image, file_bytes, &hash));
  HULL_TRY(CheckRootTemplate(c.root_template, hash.Final()));
  Log(fmt::format("live root template {} matches {}=", f.root_dev, node::kRootTemplateOption));
  HULL_ASSIGN_OR_RETURN(slot::Loop loop, slot::AttachLoop(image, 0, 0, /*writable=*/true));
  Log(fmt::format("live root: {} ({} MiB template, {} MiB in memory at most of {} MiB) on {}",
                  image, bytes >> 20, file_bytes >> 20, mem >> 20, loop.path));
  return loop;
}

// The one sign of a live boot the agent reads (node::kLiveBootMarker): /run
// moves under the new root with switch_root.
Status MarkLiveBoot() {
  const std::string path = node::kLiveBootMarker;
  HULL_TRY(Mkdirs(path.substr(0, path.rfind('/'))));
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errorf(ErrorCode::kIo, "create {}: {}", path, std::strerror(errno));
  close(fd);
  return {};
}

Status MountSysroot(const Found& f) {
  HULL_TRY(Mount(f.root_dev, kSysroot, "ext4", 0).Context("writable root"));
  HULL_TRY(Mount("/dev/mapper/usr", std::string(kSysroot) + "/usr", "erofs", MS_RDONLY | MS_NODEV)
               .Context("/usr"));
  std::string upper = std::string(kEtcOverlay) + "/upper",
              work = std::string(kEtcOverlay) + "/work";
  HULL_TRY(Mkdirs(upper));
  HULL_TRY(Mkdirs(work));
  HULL_TRY(Mount("overlay", std::string(kSysroot) + "/etc", "overlay", 0,
                 "lowerdir=/sysroot/usr/etc,upperdir=" + upper + ",workdir=" + work)
               .Context("/etc overlay"));
  for (const char* d : {"/var/tmp", "/tmp", "/home", "/root", "/srv", "/mnt", "/opt"})
    HULL_TRY(Mkdirs(std::string(kSysroot) + d));
  chmod("/sysroot/tmp", 01777);
  chmod("/sysroot/var/tmp", 01777);
  for (const char* l : {"bin", "sbin", "lib", "lib64"}) {
    std::string link = std::string(kSysroot) + "/" + l;
    struct stat st;
    if (lstat(link.c_str(), &st) != 0) symlink((std::string("usr/") + l).c_str(), link.c_str());
  }
  Log("mounted " + f.root_dev + " on / (rw" + (f.live ? ", in memory" : "") +
      "), /usr (ro, verity), /etc (overlay)");
  return {};
}

Status Run() {
  ReopenConsole();
  HULL_ASSIGN_OR_RETURN(std::string text, ReadSmallFile("/proc/cmdline", 1 << 16));
  HULL_ASSIGN_OR_RETURN(Cmdline c, ParseCmdline(text));
  for (const std::string& note : c.notes) LogError(note);
  std::set<std::string> loaded;
  const std::string dir = ModuleDir();
  HULL_ASSIGN_OR_RETURN(ModuleIndex index, ReadModuleIndex(dir));
  if (auto s = ArmEarlyWatchdog(c, dir, index, loaded); !s.ok()) {
    FailurePlan plan = PlanFailure(Step::kWatchdog, s.error());
    if (plan.next == Next::kReboot) Reboot(plan);
    for (const std::string& line : plan.lines) LogError(line);
  }
  HULL_TRY(LoadModules(dir, index, loaded));
  HULL_ASSIGN_OR_RETURN(bool tpm, ExtendPhase("enter-initrd"));
  Log(tpm ? "PCR 11 extended with enter-initrd" : "no TPM: PCR 11 phases not measured");
  BootDevice boot = ReadBootDevice();
  Log(boot.esp ? "booted from the disk holding ESP " + boot.esp->ToString()
               : "the disk booted from is unknown: " + boot.why_no_esp);
  Log(!boot.pci.empty() ? "the firmware's boot device: " + node::PciPathString(boot.pci)
                        : "the firmware's boot device is unknown: " + boot.why_no_pci);
  HULL_ASSIGN_OR_RETURN(Found f, WaitForDisk(c, boot));
  HULL_TRY(MapUnsplitDisk(f).Context("partitions of " + f.disk));
  Log(fmt::format("usr {} usr-verity {} root {} on {}", f.usr_dev, f.verity_dev, f.root_dev,
                  f.disk));
  // A disk that cannot be rewritten still boots, as it was; a medium is not
  // rewritten.
  slot::Loop live_root;
  if (f.live) {
    Log("live boot from the install medium on " + f.disk + ": state in memory");
    HULL_TRY(MarkLiveBoot());
    HULL_ASSIGN_OR_RETURN(live_root, MakeLiveRoot(c, f));
    f.root_dev = live_root.path;
  } else if (auto g = PrepareOsDisk(f); !g.ok())
    LogError("GPT not rewritten (identity, growth): " + g.error().ToString());
  else
    for (const std::string& line : *g) Log(line);
  HULL_TRY(SetupVerity(c, f));
  HULL_TRY(MountSysroot(f));
  if (auto g = GrowRootFs(f.root_dev, kSysroot); !g.ok())
    LogError("root file system not grown: " + g.error().ToString());
  if (tpm) {
    HULL_TRY(ExtendPhase("leave-initrd"));
    Log("PCR 11 extended with leave-initrd");
  }
  Log("switching root, exec " + c.init);
  return SwitchRoot(kSysroot, c.init);
}

}  // namespace
}  // namespace hull::init

int main() {
  using namespace hull::init;
  // Anywhere but as the initrd's /init it would mount over /proc, /dev and
  // /run and reboot the machine it runs on.
  if (getpid() != 1) {
    std::fputs("hull-init: not process 1; it runs only as /init of Hull's initrd (docs/init.md)\n",
               stderr);
    return 2;
  }
  if (auto s = MountApi(); !s.ok()) Reboot(PlanFailure(Step::kBoot, s.error()));
  Log("starting");
  auto s = Run();
  Reboot(PlanFailure(
      Step::kBoot,
      s.ok() ? hull::Error(hull::ErrorCode::kInternal, "switch_root returned") : s.error()));
}

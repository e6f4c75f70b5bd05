#include "agent/node.h"

#include "node/medium.h"

#include <fmt/format.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "agent/environment.h"
#include "agent/facts.h"
#include "agent/sysfs.h"
#include "base/file.h"
#include "base/hex.h"
#include "gpt/dps.h"
#include "gpt/gpt.h"
#include "gpt/types.h"
#include "node/arch.h"
#include "node/os_release.h"
#include "node/usrhash.h"
#include "slot/io.h"

namespace hull::agent {
namespace fs = std::filesystem;
namespace {

// The partition device of `disk` (a /sys/block name) with GPT number `n`.
std::string PartitionDevice(const std::string& disk, uint32_t n) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/block/" + disk, ec)) {
    // Entries without a "partition" file (queue/, holders/...) are not partitions.
    auto number = ReadSysLine(e.path().string() + "/partition");
    if (number.ok() && *number == std::to_string(n)) return "/dev/" + e.path().filename().string();
  }
  return "";
}

// The disks under the device-mapper device "usr" hull-init made (the
// parents of its slaves, the usr and usr-verity partitions); empty when
// there is none (not booted by hull-init) or sysfs does not say.
std::vector<std::string> DisksUnderUsr() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/block", ec)) {
    if (e.path().filename().string().rfind("dm-", 0) != 0) continue;
    auto name = ReadSysLine(e.path().string() + "/dm/name");
    if (!name.ok() || *name != "usr") continue;
    std::error_code sec;
    for (const auto& slave : fs::directory_iterator(e.path() / "slaves", sec)) {
      // /sys/class/block/vda2 -> .../block/vda/vda2: a partition's parent is its disk.
      std::error_code cec;
      fs::path real = fs::canonical("/sys/class/block" / slave.path().filename(), cec);
      if (cec) continue;
      std::string disk = fs::exists(real / "partition", cec)
                             ? real.parent_path().filename().string()
                             : real.filename().string();
      if (std::find(out.begin(), out.end(), disk) == out.end()) out.push_back(disk);
    }
  }
  return out;
}

// Finds the disk whose GPT holds a partition with UUID `usr` (of several,
// the one under /dev/mapper/usr: ChooseNodeDisk) and its ESP.
Status FindDisk(const Uuid& usr, Node& node) {
  std::vector<std::string> holders;
  std::map<std::string, std::optional<uint32_t>> esp_of;  // disk -> its first ESP's number
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/block", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("loop", 0) == 0 || name.rfind("ram", 0) == 0 || name.rfind("dm-", 0) == 0 ||
        name.rfind("sr", 0) == 0 || name.rfind("zram", 0) == 0)
      continue;
    auto disk = slot::FileDisk::Open("/dev/" + name, false);
    if (!disk.ok()) continue;
    slot::DiskSource src(**disk);
    auto table = gpt::ReadRecovering(src);
    if (!table.ok()) continue;
    std::optional<uint32_t> esp;
    bool has_usr = false;
    for (const auto& p : table->table.partitions) {
      if (p.uuid == usr) has_usr = true;
      const gpt::PartitionType* t = gpt::LookupTypeGuid(p.type);
      if (t && t->role == gpt::Role::kEsp && !esp) esp = p.number;
    }
    if (!has_usr) continue;
    holders.push_back(name);
    esp_of[name] = esp;
  }
  auto chosen = ChooseNodeDisk(holders, DisksUnderUsr());
  if (!chosen.ok()) return std::move(chosen).error().Wrap("usr partition " + usr.ToString());
  node.disk = "/dev/" + *chosen;
  const std::optional<uint32_t> esp = esp_of[*chosen];
  if (!esp) return Errorf(ErrorCode::kNotFound, "{} has no EFI system partition", node.disk);
  node.esp_device = PartitionDevice(*chosen, *esp);
  if (node.esp_device.empty())
    return Errorf(ErrorCode::kNotFound, "no device for partition {} of {}", *esp, node.disk);
  return Ok();
}

}  // namespace

bool LiveBoot() {
  std::error_code ec;
  return fs::exists(Env().Path(node::kLiveBootMarker), ec);
}

Result<Node> ReadNode() {
  Node n;
  const Environment& env = Env();
  HULL_ASSIGN_OR_RETURN(std::string cmdline, ReadSysText(env.Path("/proc/cmdline")));
  HULL_ASSIGN_OR_RETURN(n.usrhash, node::UsrHashOfCmdline(cmdline).Context("not a Hull node"));
  HULL_ASSIGN_OR_RETURN(std::string osrel_text, ReadSysText(env.Path("/usr/lib/os-release")));
  node::OsRelease osrel = node::ParseOsRelease(osrel_text);
  n.version = osrel["IMAGE_VERSION"];
  n.flavor = osrel["VARIANT_ID"];
  // The architecture this program was built for (one rule with hull-init
  // and extension activation: gpt::kNativeArch); none matches no release.
  const node::ArchNames* arch = node::ArchOfGpt(gpt::kNativeArch);
  n.arch = arch ? std::string(arch->debian) : "";
  // Missing or unset: no partial rollouts, never a failure (the health gate
  // reads the node too).
  auto machine_id = ReadSysText(env.Path("/etc/machine-id"));
  n.machine_id = machine_id.ok() ? ParseMachineId(*machine_id) : "";
  HULL_ASSIGN_OR_RETURN(Bytes root, HexDecode(n.usrhash));
  HULL_ASSIGN_OR_RETURN(gpt::VerityUuids uuids, gpt::DpsVerityUuids(root));
  if (env.simulated()) {
    // Its one disk, the ESP inside it (no device: read through mtools).
    n.disk = env.disk();
    return n;
  }
  HULL_TRY(FindDisk(uuids.data, n));
  return n;
}

Result<std::string> MountEsp(const Node& node) {
  if (Env().simulated()) return std::string();  // slot::OpenDisk reads the image's ESP
  HULL_ASSIGN_OR_RETURN(std::string mountinfo, ReadSysText("/proc/self/mountinfo"));
  auto mounts = ParseMountInfo(mountinfo);
  if (mounts.ok()) {
    for (const auto& m : *mounts)
      if (m.source == node.esp_device && m.fstype == "vfat") return m.mount_point;
  }
  const std::string dir = "/run/hull/esp";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (mount(node.esp_device.c_str(), dir.c_str(), "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC,
            // The kernel's default iocharset (ascii) is a module the image
            // need not keep; iso8859-1 is in the default allow-list.
            "umask=0077,iocharset=iso8859-1") != 0) {
    return Errorf(ErrorCode::kIo, "cannot mount the ESP {} at {}: {}", node.esp_device, dir,
                  std::strerror(errno));
  }
  return dir;
}

Result<NodeDisk> OpenNodeDisk(const Node& node, bool writable) {
  NodeDisk d;
  HULL_ASSIGN_OR_RETURN(std::string esp, MountEsp(node));
  HULL_ASSIGN_OR_RETURN(d.io, slot::OpenDisk(node.disk, writable, esp));
  HULL_ASSIGN_OR_RETURN(d.state, slot::ReadDiskState(*d.io.disk, *d.io.esp)
                                     .Context("reading " + node.disk + " and the ESP at " + esp));
  return d;
}

}  // namespace hull::agent

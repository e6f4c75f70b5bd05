#include "init/dps.h"

#include "gpt/dps.h"
#include "gpt/types.h"
#include "node/medium.h"

namespace hull::init {

std::string PartitionDevice(const std::string& disk, uint32_t number) {
  bool digit = !disk.empty() && disk.back() >= '0' && disk.back() <= '9';
  return disk + (digit ? "p" : "") + std::to_string(number);
}

namespace {

// A DPS type of this program's own architecture ("usr" is usr-arm64 in an
// aarch64 hull-init), or an architecture-free one ("esp").
Uuid TypeOf(const char* name) { return *gpt::ParseType(name, gpt::kNativeArch); }

// The partition of `d` with `uuid`; kConflict for two, kCorrupt for one of
// another type than DPS `role`.
Result<const gpt::Partition*> FindOnDisk(const Disk& d, const Uuid& uuid, const Uuid& want_type,
                                         const char* role) {
  const gpt::Partition* hit = nullptr;
  for (const gpt::Partition& p : d.table.partitions) {
    if (p.uuid != uuid) continue;
    if (hit) return Errorf(ErrorCode::kConflict, "two partitions with UUID {}", uuid.ToString());
    if (p.type != want_type)
      return Errorf(ErrorCode::kCorrupt, "partition {}#{} has the {} UUID but type {}, not DPS {}",
                    d.device, p.number, role, p.type.ToString(), role);
    hit = &p;
  }
  return hit;
}

// A disk holding both halves of the usr pair.
struct Candidate {
  const Disk* disk;
  const gpt::Partition* usr;
  const gpt::Partition* verity;
};

bool HoldsEsp(const Disk& d, const Uuid& esp) {
  Uuid esp_type = TypeOf("esp");
  for (const gpt::Partition& p : d.table.partitions)
    if (p.uuid == esp && p.type == esp_type) return true;
  return false;
}

// The install medium's root template (node/medium.h), or null.
const gpt::Partition* MediumRoot(const Disk& d) {
  Uuid type = TypeOf(node::kMediumRootType);
  for (const gpt::Partition& p : d.table.partitions)
    if (p.type == type && p.name == node::kMediumRootLabel) return &p;
  return nullptr;
}

std::string DeviceList(const std::vector<Candidate>& c) {
  std::string s;
  for (const auto& x : c) s += (s.empty() ? "" : ", ") + x.disk->device;
  return s;
}

// One disk out of several holding the usr pair: the one with the ESP the
// firmware booted from.
Result<Candidate> PickBootDisk(const std::vector<Candidate>& all, const gpt::VerityUuids& want,
                               const std::optional<Uuid>& boot_esp,
                               const std::vector<node::PciFunction>& boot_pci) {
  if (!boot_esp) {
    if (all.size() == 1) return all[0];
    return Errorf(ErrorCode::kConflict,
                  "usr partition {} is on {} disks ({}) and the boot loader did not name the "
                  "disk it booted from (no LoaderDevicePartUUID): detach the copies",
                  want.data.ToString(), all.size(), DeviceList(all));
  }
  std::vector<Candidate> booted;
  for (const Candidate& c : all)
    if (HoldsEsp(*c.disk, *boot_esp)) booted.push_back(c);
  if (booted.size() == 1) return booted[0];
  // Copies down to the ESP's UUID: only the firmware's boot device tells
  // them apart, and only when exactly one of them sits there.
  std::vector<Candidate> at_boot_device;
  if (!boot_pci.empty())
    for (const Candidate& c : booted)
      if (c.disk->pci == boot_pci) at_boot_device.push_back(c);
  if (at_boot_device.size() == 1) return at_boot_device[0];
  if (booted.empty())
    return Errorf(ErrorCode::kNotFound,
                  "usr partition {} found on {} but not on the disk holding the ESP {} the "
                  "firmware booted from (LoaderDevicePartUUID)",
                  want.data.ToString(), DeviceList(all), boot_esp->ToString());
  std::string device =
      boot_pci.empty()
          ? "is unknown"
          : fmt::format("({}) matches {}", node::PciPathString(boot_pci),
                        at_boot_device.empty() ? std::string("none of them")
                                               : fmt::format("{} of them", at_boot_device.size()));
  return Errorf(ErrorCode::kConflict,
                "the ESP {} the firmware booted from and usr partition {} are on {} disks ({}): "
                "copies of one disk, and the firmware's boot device {}: detach the copies",
                boot_esp->ToString(), want.data.ToString(), booted.size(), DeviceList(booted),
                device);
}

}  // namespace

Result<Found> FindPartitions(const std::vector<Disk>& disks, ByteSpan root_hash,
                             const std::optional<Uuid>& boot_esp,
                             const std::vector<node::PciFunction>& boot_pci) {
  HULL_ASSIGN_OR_RETURN(gpt::VerityUuids want, gpt::DpsVerityUuids(root_hash));
  const Uuid usr_type = TypeOf("usr"), verity_type = TypeOf("usr-verity");
  std::vector<Candidate> all;
  const Disk* usr_only = nullptr;
  const Disk* verity_only = nullptr;
  for (const Disk& d : disks) {
    HULL_ASSIGN_OR_RETURN(const gpt::Partition* usr, FindOnDisk(d, want.data, usr_type, "usr"));
    HULL_ASSIGN_OR_RETURN(const gpt::Partition* ver,
                          FindOnDisk(d, want.verity, verity_type, "usr-verity"));
    if (usr && ver) all.push_back({&d, usr, ver});
    if (usr && !ver && !usr_only) usr_only = &d;
    if (ver && !usr && !verity_only) verity_only = &d;
  }
  if (all.empty()) {
    if (usr_only && verity_only)
      return Errorf(ErrorCode::kNotFound, "usr partition on {} but usr-verity partition on {}",
                    usr_only->device, verity_only->device);
    if (usr_only)
      return Errorf(ErrorCode::kNotFound,
                    "usr partition {} found on {} but no usr-verity partition {}",
                    want.data.ToString(), usr_only->device, want.verity.ToString());
    if (verity_only)
      return Errorf(ErrorCode::kNotFound,
                    "usr-verity partition {} found on {} but no usr partition {}",
                    want.verity.ToString(), verity_only->device, want.data.ToString());
    return Errorf(ErrorCode::kNotFound,
                  "no partition with UUID {} (usr) and {} (usr-verity) on {} disk(s)",
                  want.data.ToString(), want.verity.ToString(), disks.size());
  }
  HULL_ASSIGN_OR_RETURN(Candidate c, PickBootDisk(all, want, boot_esp, boot_pci));
  const Disk& d = *c.disk;
  Uuid root_type = TypeOf("root");
  const gpt::Partition* root = nullptr;
  for (const gpt::Partition& p : d.table.partitions) {
    if (p.type != root_type) continue;
    if (root) return Errorf(ErrorCode::kConflict, "two DPS root partitions on {}", d.device);
    root = &p;
  }
  bool live = false;
  if (!root) {
    root = MediumRoot(d);
    live = root != nullptr;
  }
  if (!root) return Errorf(ErrorCode::kNotFound, "no DPS root partition on {}", d.device);
  Found f{d.device, *c.usr, *c.verity, *root, {}, {}, {}, live, d.table.sector_size};
  f.usr_dev = PartitionDevice(d.device, f.usr.number);
  f.verity_dev = PartitionDevice(d.device, f.verity.number);
  f.root_dev = PartitionDevice(d.device, f.root.number);
  return f;
}

}  // namespace hull::init

#include "init/dps.h"

#include "gpt/dps.h"
#include "gpt/types.h"

namespace hull::init {

std::string PartitionDevice(const std::string& disk, uint32_t number) {
  bool digit = !disk.empty() && disk.back() >= '0' && disk.back() <= '9';
  return disk + (digit ? "p" : "") + std::to_string(number);
}

namespace {

struct Hit {
  const Disk* disk;
  const gpt::Partition* part;
};

Result<std::optional<Hit>> FindUnique(const std::vector<Disk>& disks, const Uuid& uuid,
                                      const Uuid& want_type, const char* role) {
  std::optional<Hit> hit;
  for (const Disk& d : disks) {
    for (const gpt::Partition& p : d.table.partitions) {
      if (p.uuid != uuid) continue;
      if (hit) return Errorf(ErrorCode::kConflict, "two partitions with UUID {}", uuid.ToString());
      if (p.type != want_type)
        return Errorf(ErrorCode::kCorrupt,
                      "partition {}#{} has the {} UUID but type {}, not DPS {}", d.device, p.number,
                      role, p.type.ToString(), role);
      hit = Hit{&d, &p};
    }
  }
  return hit;
}

Uuid TypeOf(const char* name) { return *gpt::ParseType(name); }

}  // namespace

Result<Found> FindPartitions(const std::vector<Disk>& disks, ByteSpan root_hash) {
  HULL_ASSIGN_OR_RETURN(gpt::VerityUuids want, gpt::DpsVerityUuids(root_hash));
  HULL_ASSIGN_OR_RETURN(auto usr, FindUnique(disks, want.data, TypeOf("usr-x86-64"), "usr"));
  HULL_ASSIGN_OR_RETURN(auto ver,
                        FindUnique(disks, want.verity, TypeOf("usr-x86-64-verity"), "usr-verity"));
  if (!usr && !ver)
    return Errorf(ErrorCode::kNotFound,
                  "no partition with UUID {} (usr) and {} (usr-verity) on {} disk(s)",
                  want.data.ToString(), want.verity.ToString(), disks.size());
  if (!ver)
    return Errorf(ErrorCode::kNotFound,
                  "usr partition {} found on {} but no usr-verity partition {}",
                  want.data.ToString(), usr->disk->device, want.verity.ToString());
  if (!usr)
    return Errorf(ErrorCode::kNotFound,
                  "usr-verity partition {} found on {} but no usr partition {}",
                  want.verity.ToString(), ver->disk->device, want.data.ToString());
  if (usr->disk != ver->disk)
    return Errorf(ErrorCode::kNotFound, "usr partition on {} but usr-verity partition on {}",
                  usr->disk->device, ver->disk->device);
  const Disk& d = *usr->disk;
  Uuid root_type = TypeOf("root-x86-64");
  const gpt::Partition* root = nullptr;
  for (const gpt::Partition& p : d.table.partitions) {
    if (p.type != root_type) continue;
    if (root) return Errorf(ErrorCode::kConflict, "two DPS root partitions on {}", d.device);
    root = &p;
  }
  if (!root) return Errorf(ErrorCode::kNotFound, "no DPS root partition on {}", d.device);
  Found f{d.device, *usr->part, *ver->part, *root, {}, {}, {}};
  f.usr_dev = PartitionDevice(d.device, f.usr.number);
  f.verity_dev = PartitionDevice(d.device, f.verity.number);
  f.root_dev = PartitionDevice(d.device, f.root.number);
  return f;
}

}  // namespace hull::init

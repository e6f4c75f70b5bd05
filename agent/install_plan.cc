#include "agent/install_plan.h"

#include <fmt/format.h>

#include <array>

#include "base/hex.h"
#include "gpt/attributes.h"
#include "gpt/dps.h"
#include "gpt/types.h"
#include "node/medium.h"
#include "node/usrhash.h"

namespace hull::agent {
namespace {

constexpr uint64_t kMiB = 1 << 20;

uint64_t RoundUpMiB(uint64_t v) { return (v + kMiB - 1) / kMiB * kMiB; }

struct MediumParts {
  std::array<gpt::Partition, 4> a;  // esp, usr, usr-verity, usr-verity-sig
  gpt::Partition root;
};

Result<MediumParts> ReadMedium(const gpt::Table& m) {
  MediumParts out;
  const std::array<gpt::Role, 4> roles{gpt::Role::kEsp, gpt::Role::kUsr, gpt::Role::kUsrVerity,
                                       gpt::Role::kUsrVeritySig};
  HULL_ASSIGN_OR_RETURN(Uuid root_type, gpt::ParseType(node::kMediumRootType));
  bool root = false;
  std::array<bool, 4> found{};
  for (const gpt::Partition& p : m.partitions) {
    const gpt::PartitionType* t = gpt::LookupTypeGuid(p.type);
    for (size_t i = 0; i < roles.size(); ++i)
      if (t && t->role == roles[i] && !found[i]) out.a[i] = p, found[i] = true;
    if (p.type == root_type && p.name == node::kMediumRootLabel && !root) out.root = p, root = true;
  }
  for (size_t i = 0; i < roles.size(); ++i)
    if (!found[i])
      return Errorf(ErrorCode::kCorrupt, "install medium: no {} partition",
                    gpt::DpsDesignator(roles[i]));
  if (!root)
    return Errorf(ErrorCode::kCorrupt, "install medium: no {} partition", node::kMediumRootLabel);
  return out;
}

// The DPS root type of the architecture of the medium's usr partition.
Result<Uuid> RootTypeFor(const gpt::Partition& usr) {
  const gpt::PartitionType* u = gpt::LookupTypeGuid(usr.type);
  for (const gpt::PartitionType& t : gpt::AllPartitionTypes())
    if (u && t.role == gpt::Role::kRoot && t.arch == u->arch) return Uuid::Parse(t.guid);
  return Errorf(ErrorCode::kCorrupt, "install medium: no DPS root type for usr type {}",
                usr.type.ToString());
}

uint64_t Bytes(const gpt::Table& t, const gpt::Partition& p) { return p.sectors() * t.sector_size; }

}  // namespace

Result<InstallPlan> PlanInstall(const gpt::Table& medium, const InstallTarget& target, bool wipe,
                                const InstallIds& ids) {
  HULL_ASSIGN_OR_RETURN(MediumParts m, ReadMedium(medium));
  if (target.booted_from)
    return Errorf(ErrorCode::kRefused, "{} is the disk this system booted from", target.device);
  if (target.holds_data && !wipe)
    return Errorf(ErrorCode::kRefused,
                  "{} holds data (a partition table, a file system or a volume label in its "
                  "first MiB): pass --wipe to replace it",
                  target.device);
  InstallPlan plan;
  // GPT head and tail, the A and B slots, the ESP and the root as it is.
  plan.min_bytes = 2 * kMiB + RoundUpMiB(Bytes(medium, m.a[0])) + RoundUpMiB(Bytes(medium, m.root));
  for (size_t i = 1; i < 4; ++i) plan.min_bytes += 2 * RoundUpMiB(Bytes(medium, m.a[i]));
  if (target.bytes < plan.min_bytes)
    return Errorf(ErrorCode::kRefused, "{} ({} bytes) is smaller than the image ({} bytes)",
                  target.device, target.bytes, plan.min_bytes);
  const uint32_t ss = target.sector_size;
  if (ss != 512 && ss != 4096)  // before any division by it
    return Errorf(ErrorCode::kInvalidArgument, "{}: sector size {} (allowed: 512, 4096)",
                  target.device, ss);
  HULL_ASSIGN_OR_RETURN(gpt::Table t, gpt::NewTable(target.bytes / ss * ss, ss, ids.disk)
                                          .Context(fmt::format("target {}", target.device)));
  uint64_t at = kMiB;  // bytes
  auto add = [&](gpt::Partition p, uint64_t bytes) {
    uint32_t number = uint32_t(t.partitions.size() + 1);
    p.number = number;
    p.first_lba = at / ss;
    p.last_lba = (at + bytes) / ss - 1;
    at += RoundUpMiB(bytes);
    t.partitions.push_back(std::move(p));
    return number;
  };
  for (size_t i = 0; i < 4; ++i) {
    gpt::Partition p = m.a[i];
    if (i == 0) p.uuid = ids.esp;
    uint64_t bytes = Bytes(medium, m.a[i]);
    plan.copies.push_back({m.a[i].number, add(p, RoundUpMiB(bytes)), bytes});
  }
  for (size_t i = 1; i < 4; ++i) {
    gpt::Partition b = m.a[i];
    b.name = "_empty";
    b.uuid = ids.b[i - 1];
    plan.zero.push_back(add(b, RoundUpMiB(Bytes(medium, m.a[i]))));
  }
  gpt::Partition root = m.root;
  HULL_ASSIGN_OR_RETURN(root.type, RootTypeFor(m.a[1]));
  root.name = "root";
  root.uuid = ids.root;
  root.attributes = gpt::kAttrGrowFs;
  uint64_t rest = (t.last_usable_lba + 1) * ss - at;
  rest = rest / kMiB * kMiB;
  plan.copies.push_back({m.root.number, add(root, rest), Bytes(medium, m.root), true});
  HULL_TRY(gpt::Validate(t));
  plan.table = std::move(t);
  return plan;
}

Result<std::string> ExpectedRootTemplate(const gpt::Table& medium, std::string_view cmdline) {
  HULL_ASSIGN_OR_RETURN(MediumParts m, ReadMedium(medium));
  auto usrhash = node::UsrHashOfCmdline(cmdline);
  if (!usrhash.ok() && usrhash.error().code() == ErrorCode::kNotFound)
    return Error(ErrorCode::kRefused,
                 "the running system is not a Hull node (no usrhash= on its kernel command "
                 "line), so nothing vouches for the medium's root template: boot the install "
                 "medium and install from it");
  if (!usrhash.ok()) return std::move(usrhash).error();
  HULL_ASSIGN_OR_RETURN(hull::Bytes root_hash, HexDecode(*usrhash));
  HULL_ASSIGN_OR_RETURN(gpt::VerityUuids want, gpt::DpsVerityUuids(root_hash));
  const gpt::Partition &usr = m.a[1], &verity = m.a[2];
  if (usr.uuid != want.data || verity.uuid != want.verity)
    return Errorf(ErrorCode::kRefused,
                  "install medium: its /usr (partition UUIDs {}, {}) is not the running "
                  "system's (usrhash={}), so the running system's {}= does not vouch for it: "
                  "boot this medium and install from it",
                  usr.uuid.ToString(), verity.uuid.ToString(), *usrhash, node::kRootTemplateOption);
  auto digest = node::RootTemplateHashOfCmdline(cmdline);
  if (!digest.ok() && digest.error().code() == ErrorCode::kNotFound)
    return Errorf(ErrorCode::kRefused,
                  "the running system's kernel command line has no {}=, so the medium's root "
                  "template cannot be checked: make the medium from an image built with this "
                  "Hull",
                  node::kRootTemplateOption);
  return digest;
}

}  // namespace hull::agent

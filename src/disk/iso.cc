#include "disk/iso.h"

#include <sys/stat.h>

#include <array>

#include "disk/image.h"
#include "disk/iso9660.h"
#include "gpt/types.h"
#include "node/medium.h"

namespace hull::disk {
namespace {

constexpr uint32_t kSector = 512;
// The primary GPT (MBR, header, 128 entries of 128 bytes) ends before the
// ISO 9660 descriptors begin.
static_assert((2 + gpt::kDefaultEntryCount * gpt::kEntrySize / kSector) * kSector <=
              kIsoFirstDescriptorBlock * kIsoBlock);

uint64_t RoundUpMiB(uint64_t v) { return (v + kMiB - 1) / kMiB * kMiB; }

// The first partition of `d`'s role (by partition number: the A slot
// before the B slot); kNotFound naming the role.
Result<gpt::Partition> First(const gpt::Table& t, gpt::Role role) {
  for (const gpt::Partition& p : t.partitions) {
    const gpt::PartitionType* type = gpt::LookupTypeGuid(p.type);
    if (type && type->role == role) return p;
  }
  return Errorf(ErrorCode::kNotFound, "source image has no {} partition", gpt::DpsDesignator(role));
}

}  // namespace

Result<gpt::Table> PlanIsoTable(const gpt::Table& src, bool seed) {
  if (src.sector_size != kSector)
    return Errorf(ErrorCode::kInvalidArgument,
                  "source image has {}-byte sectors; an install medium is made from a 512-byte "
                  "one",
                  src.sector_size);
  std::vector<gpt::Partition> parts;
  for (gpt::Role r : {gpt::Role::kEsp, gpt::Role::kUsr, gpt::Role::kUsrVerity,
                      gpt::Role::kUsrVeritySig, gpt::Role::kRoot}) {
    HULL_ASSIGN_OR_RETURN(gpt::Partition p, First(src, r));
    parts.push_back(std::move(p));
  }
  gpt::Partition& root = parts.back();
  HULL_ASSIGN_OR_RETURN(root.type, gpt::ParseType(node::kMediumRootType));
  root.name = node::kMediumRootLabel;
  if (seed) {
    // Typed linux-generic like the template: nothing mounts or boots it.
    gpt::Partition s;
    s.type = root.type;
    s.uuid = DeriveUuid(src.disk_guid.ToString(), "iso-seed");
    s.last_lba = kMiB / kSector - 1;
    s.name = node::kSeedPartitionName;
    parts.push_back(std::move(s));
  }
  uint64_t total = 2 * kMiB;
  for (const gpt::Partition& p : parts) total += RoundUpMiB(p.sectors() * kSector);
  HULL_ASSIGN_OR_RETURN(gpt::Table t,
                        gpt::NewTable(total, kSector, DeriveUuid(src.disk_guid.ToString(), "iso")));
  uint64_t lba = kMiB / kSector;
  for (size_t i = 0; i < parts.size(); ++i) {
    gpt::Partition p = parts[i];
    uint64_t n = p.sectors();
    p.number = uint32_t(i + 1);
    p.first_lba = lba;
    p.last_lba = lba + n - 1;
    lba += RoundUpMiB(n * kSector) / kSector;
    t.partitions.push_back(std::move(p));
  }
  HULL_TRY(gpt::Validate(t));
  return t;
}

Result<IsoResult> MakeIso(const std::string& image, const IsoOptions& o) {
  const bool seeded = !o.seed.empty();
  if (o.seed.size() > node::kMaxSeedBytes || o.seed.find('\0') != std::string::npos)
    return Errorf(ErrorCode::kInvalidArgument,
                  "the seed must be at most {} bytes of text without NUL bytes (it is {} bytes)",
                  node::kMaxSeedBytes, o.seed.size());
  HULL_ASSIGN_OR_RETURN(File src, File::OpenRead(image));
  HULL_ASSIGN_OR_RETURN(gpt::FileSource source, gpt::FileSource::Open(src));
  HULL_ASSIGN_OR_RETURN(gpt::Table in, gpt::Read(source, kSector).Context(image));
  HULL_ASSIGN_OR_RETURN(gpt::Table t, PlanIsoTable(in, seeded).Context(image));
  IsoResult res;
  res.table = t;
  const gpt::Partition& esp = t.partitions[0];
  res.boot_block = uint32_t(esp.first_lba * kSector / kIsoBlock);
  IsoVolume v{
      .volume_id = IsoVolumeId(o.volume_id.empty() ? "hull_" + t.partitions[1].name : o.volume_id),
      .total_blocks = t.disk_sectors * kSector / kIsoBlock,
      .epoch = o.source_date_epoch,
      .boot_block = res.boot_block,
      .boot_bytes = esp.sectors() * kSector};
  HULL_ASSIGN_OR_RETURN(Bytes header, EncodeIsoHeader(v));
  HULL_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(o.out, 0644));
  HULL_TRY(out.file().Truncate(t.disk_sectors * kSector));
  HULL_TRY(gpt::Write(out.file(), t));
  HULL_TRY(out.file().WriteAt(uint64_t(kIsoFirstDescriptorBlock) * kIsoBlock, header));
  // The planned partitions are the source's in the same order (PlanIsoTable).
  std::array<gpt::Role, 5> roles{gpt::Role::kEsp, gpt::Role::kUsr, gpt::Role::kUsrVerity,
                                 gpt::Role::kUsrVeritySig, gpt::Role::kRoot};
  for (size_t i = 0; i < roles.size(); ++i) {
    HULL_ASSIGN_OR_RETURN(gpt::Partition from, First(in, roles[i]));
    HULL_TRY(CopySparseAt(src, from.first_lba * kSector, from.sectors() * kSector, out.file(),
                          t.partitions[i].first_lba * kSector)
                 .Context(fmt::format("copying partition {} of {}", from.number, image)));
  }
  if (seeded) {
    // The rest of the partition stays zero: the first NUL ends the seed.
    const gpt::Partition& sp = t.partitions.back();
    HULL_TRY(out.file().WriteAt(sp.first_lba * kSector, AsBytes(o.seed)));
  }
  HULL_TRY(out.Commit());
  struct stat st {};
  if (stat(o.out.c_str(), &st) == 0) {
    res.file_size = uint64_t(st.st_size);
    res.allocated = uint64_t(st.st_blocks) * 512;
  }
  return res;
}

}  // namespace hull::disk

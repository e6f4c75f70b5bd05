// GPT reader: validation in a fixed order, nothing repaired (see gpt.h).
#include <algorithm>
#include <cstring>

#include "gpt/gpt.h"

namespace hull::gpt {
namespace {

struct Header {
  uint64_t my_lba, alternate_lba, first_usable, last_usable, entries_lba;
  Uuid disk_guid;
  uint32_t entry_count, entry_size, entries_crc;
};

Error Corrupt(std::string msg) { return Error(ErrorCode::kCorrupt, std::move(msg)); }

Status CheckMbr(const Source& src) {
  Bytes mbr(512);
  HULL_TRY(src.ReadAt(0, mbr));
  if (mbr[510] != 0x55 || mbr[511] != 0xAA)
    return Corrupt("protective MBR: missing boot signature 0x55AA");
  for (int i = 0; i < 4; ++i) {
    const uint8_t* r = &mbr[446 + 16 * i];
    if (r[4] == 0xEE && LoadLe32(r + 8) == 1) return Ok();
  }
  return Corrupt("protective MBR: no 0xEE partition record starting at LBA 1");
}

// Fields up to the entry count; `which` is "primary" or "backup".
Result<Header> ParseFixed(ByteSpan h, uint32_t ss, uint64_t lba, uint64_t disk_sectors,
                          const char* which) {
  if (std::memcmp(h.data(), "EFI PART", 8) != 0)
    return Corrupt(fmt::format("{} header: bad signature", which));
  ByteReader r(h);
  HULL_TRY(r.Seek(8));
  HULL_ASSIGN_OR_RETURN(uint32_t revision, r.Le32("revision"));
  if (revision != kRevision)
    return Errorf(ErrorCode::kUnsupported, "{} header: unsupported revision 0x{:08x}", which,
                  revision);
  HULL_ASSIGN_OR_RETURN(uint32_t hsize, r.Le32("header size"));
  if (hsize < kHeaderSize || hsize > ss)
    return Corrupt(
        fmt::format("{} header: header size {} outside {}..{}", which, hsize, kHeaderSize, ss));
  HULL_ASSIGN_OR_RETURN(uint32_t crc, r.Le32("header CRC"));
  Bytes copy(h.begin(), h.begin() + hsize);
  StoreLe32(&copy[16], 0);
  if (Crc32(copy) != crc) return Corrupt(fmt::format("{} header: header CRC mismatch", which));
  HULL_ASSIGN_OR_RETURN(uint32_t reserved, r.Le32("reserved"));
  bool tail_zero =
      std::all_of(h.begin() + kHeaderSize, h.begin() + hsize, [](uint8_t b) { return b == 0; });
  if (reserved != 0 || !tail_zero)
    return Corrupt(fmt::format("{} header: reserved bytes are not zero", which));
  Header out{};
  HULL_ASSIGN_OR_RETURN(out.my_lba, r.Le64("my_lba"));
  if (out.my_lba != lba)
    return Corrupt(
        fmt::format("{} header: my_lba {} but the header is at LBA {}", which, out.my_lba, lba));
  HULL_ASSIGN_OR_RETURN(out.alternate_lba, r.Le64("alternate_lba"));
  bool primary = lba == 1;
  if (primary && out.alternate_lba >= disk_sectors)
    return Corrupt(
        fmt::format("truncated image: backup header at LBA {} beyond the end ({} "
                    "sectors)",
                    out.alternate_lba, disk_sectors));
  if (primary ? out.alternate_lba <= 1 : out.alternate_lba != 1)
    return Corrupt(fmt::format("{} header: alternate_lba {} invalid", which, out.alternate_lba));
  HULL_ASSIGN_OR_RETURN(out.first_usable, r.Le64("first usable"));
  HULL_ASSIGN_OR_RETURN(out.last_usable, r.Le64("last usable"));
  HULL_ASSIGN_OR_RETURN(auto guid, r.Take(16, "disk GUID"));
  out.disk_guid = Uuid::FromGptBytes(guid);
  HULL_ASSIGN_OR_RETURN(out.entries_lba, r.Le64("entries LBA"));
  HULL_ASSIGN_OR_RETURN(out.entry_count, r.Le32("entry count"));
  HULL_ASSIGN_OR_RETURN(out.entry_size, r.Le32("entry size"));
  HULL_ASSIGN_OR_RETURN(out.entries_crc, r.Le32("entries CRC"));
  return out;
}

// Entry geometry and the usable range against where this header sits.
Status CheckRanges(const Header& h, uint32_t ss, uint64_t lba, uint64_t disk_sectors,
                   const char* which) {
  uint32_t es = h.entry_size;
  if (es < kEntrySize || es > kMaxEntrySize || (es & (es - 1)) != 0)
    return Corrupt(fmt::format("{} header: entry size {} (must be 128 x 2^n, at most {})", which,
                               es, kMaxEntrySize));
  uint64_t array_bytes = uint64_t(h.entry_count) * es;
  if (h.entry_count == 0 || h.entry_count > kMaxEntryCount || array_bytes > kMaxEntryArrayBytes)
    return Corrupt(fmt::format("{} header: entry count {} outside 1..{} (array at most {} bytes)",
                               which, h.entry_count, kMaxEntryCount, kMaxEntryArrayBytes));
  uint64_t esec = (array_bytes + ss - 1) / ss;
  bool primary = lba == 1;
  uint64_t end_of_disk_area = primary ? h.alternate_lba : lba;  // the backup header
  if (h.first_usable < 2 || h.last_usable + 1 < h.first_usable || h.last_usable >= end_of_disk_area)
    return Corrupt(fmt::format("{} header: usable range {}..{} invalid", which, h.first_usable,
                               h.last_usable));
  uint64_t end;
  bool ok = CheckedAdd(h.entries_lba, esec, &end);
  if (ok && end > disk_sectors)
    return Corrupt(
        fmt::format("truncated image: {} entries end at LBA {} beyond the end ({} "
                    "sectors)",
                    which, end, disk_sectors));
  if (!ok || (primary ? (h.entries_lba < 2 || end > h.first_usable)
                      : (h.entries_lba <= h.last_usable || end > lba)))
    return Corrupt(
        fmt::format("{} header: entries LBA {} ({} sectors) overlaps the header or "
                    "the usable range",
                    which, h.entries_lba, esec));
  return Ok();
}

Result<std::vector<Partition>> ParseEntries(ByteSpan array, const Header& h) {
  std::vector<Partition> parts;
  for (uint32_t i = 0; i < h.entry_count; ++i) {
    ByteSpan e = array.subspan(size_t(i) * h.entry_size, kEntrySize);
    Uuid type = Uuid::FromGptBytes(e.subspan(0, 16));
    if (type.IsNil()) continue;
    Partition p;
    p.number = i + 1;
    p.type = type;
    p.uuid = Uuid::FromGptBytes(e.subspan(16, 16));
    p.first_lba = LoadLe64(&e[32]);
    p.last_lba = LoadLe64(&e[40]);
    p.attributes = LoadLe64(&e[48]);
    p.name = DecodeName(e.subspan(56, 72));
    if (p.first_lba > p.last_lba)
      return Corrupt(fmt::format("partition {}: first LBA > last LBA ({} > {})", p.number,
                                 p.first_lba, p.last_lba));
    if (p.first_lba < h.first_usable || p.last_lba > h.last_usable)
      return Corrupt(fmt::format("partition {}: outside usable range ({}..{} not in {}..{})",
                                 p.number, p.first_lba, p.last_lba, h.first_usable, h.last_usable));
    parts.push_back(std::move(p));
  }
  std::vector<const Partition*> sorted;
  for (const auto& p : parts) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return a->first_lba < b->first_lba; });
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i]->first_lba <= sorted[i - 1]->last_lba)
      return Corrupt(fmt::format("partitions {} and {} overlap",
                                 std::min(sorted[i - 1]->number, sorted[i]->number),
                                 std::max(sorted[i - 1]->number, sorted[i]->number)));
  return parts;
}

struct Copy {
  Header header;
  Bytes entries;
  std::vector<Partition> partitions;
};

Result<Copy> ReadCopy(const Source& src, uint32_t ss, uint64_t lba, uint64_t disk_sectors,
                      const char* which) {
  Bytes sector(ss);
  HULL_TRY(src.ReadAt(lba * ss, sector));
  Copy c;
  HULL_ASSIGN_OR_RETURN(c.header, ParseFixed(sector, ss, lba, disk_sectors, which));
  HULL_TRY(CheckRanges(c.header, ss, lba, disk_sectors, which));
  c.entries.resize(size_t(c.header.entry_count) * c.header.entry_size);
  HULL_TRY(src.ReadAt(c.header.entries_lba * ss, c.entries));
  if (Crc32(c.entries) != c.header.entries_crc)
    return Corrupt(fmt::format("{} header: entries CRC mismatch", which));
  HULL_ASSIGN_OR_RETURN(c.partitions, ParseEntries(c.entries, c.header));
  return c;
}

Status CompareCopies(const Copy& p, const Copy& b) {
  const char* field = nullptr;
  if (p.header.disk_guid != b.header.disk_guid)
    field = "disk GUID";
  else if (p.header.first_usable != b.header.first_usable)
    field = "first usable LBA";
  else if (p.header.last_usable != b.header.last_usable)
    field = "last usable LBA";
  else if (p.header.entry_count != b.header.entry_count)
    field = "entry count";
  else if (p.header.entry_size != b.header.entry_size)
    field = "entry size";
  else if (p.entries != b.entries)
    field = "entries";
  if (field) return Corrupt(fmt::format("backup header mismatch: {}", field));
  return Ok();
}

}  // namespace

Result<FileSource> FileSource::Open(const File& file) {
  HULL_ASSIGN_OR_RETURN(uint64_t size, file.Size());
  return FileSource(&file, size);
}

Status MemorySource::ReadAt(uint64_t offset, MutableByteSpan out) const {
  uint64_t end;
  if (!CheckedAdd(offset, out.size(), &end) || end > data_.size())
    return Errorf(ErrorCode::kCorrupt, "read of {} bytes at {} past the end ({} bytes)", out.size(),
                  offset, data_.size());
  std::memcpy(out.data(), data_.data() + offset, out.size());
  return Ok();
}

namespace {

Table TableFrom(const Copy& c, uint32_t ss, uint64_t disk_sectors, bool backup) {
  Table t;
  t.sector_size = ss;
  t.disk_sectors = disk_sectors;
  t.disk_guid = c.header.disk_guid;
  t.first_usable_lba = c.header.first_usable;
  t.last_usable_lba = c.header.last_usable;
  t.entry_count = c.header.entry_count;
  t.entry_size = c.header.entry_size;
  // A backup does not say where the primary array was: the standard place.
  t.primary_entries_lba = backup ? 2 : c.header.entries_lba;
  t.partitions = c.partitions;
  return t;
}

bool HasSignature(const Source& src, uint64_t offset) {
  uint8_t sig[8];
  return src.ReadAt(offset, MutableByteSpan(sig, 8)).ok() && std::memcmp(sig, "EFI PART", 8) == 0;
}

}  // namespace

Result<Recovered> ReadRecovering(const Source& src, uint32_t ss) {
  if (ss == 0) {
    ss = 512;
    bool at512 = HasSignature(src, 512) ||
                 (src.size() >= 512 && HasSignature(src, (src.size() / 512 - 1) * 512));
    if (!at512 && src.size() >= 4096 &&
        (HasSignature(src, 4096) || HasSignature(src, (src.size() / 4096 - 1) * 4096)))
      ss = 4096;
  }
  if (ss != 512 && ss != 4096)
    return Errorf(ErrorCode::kInvalidArgument, "sector size {} (allowed: 512, 4096)", ss);
  uint64_t disk_sectors = src.size() / ss;
  if (disk_sectors < 3)
    return Corrupt(
        fmt::format("truncated image: {} bytes, too small for a GPT at {}-byte "
                    "sectors",
                    src.size(), ss));
  HULL_TRY(CheckMbr(src));
  auto primary = ReadCopy(src, ss, 1, disk_sectors, "primary");
  uint64_t backup_lba = primary.ok() ? primary->header.alternate_lba : disk_sectors - 1;
  auto backup = ReadCopy(src, ss, backup_lba, disk_sectors, "backup");
  Recovered r;
  if (primary.ok()) {
    r.table = TableFrom(*primary, ss, disk_sectors, false);
    if (!backup.ok()) {
      r.note = "backup copy not used: " + backup.error().ToString();
    } else if (Status same = CompareCopies(*primary, *backup); !same.ok()) {
      r.note = "backup copy not used: " + same.error().ToString();
    }
    return r;
  }
  if (!backup.ok())
    return std::move(primary).error().Wrap("no valid GPT (backup: " + backup.error().ToString() +
                                           ")");
  r.table = TableFrom(*backup, ss, disk_sectors, true);
  r.from_backup = true;
  r.note = "primary copy not used: " + primary.error().ToString();
  return r;
}

Result<Table> Read(const Source& src, uint32_t ss) {
  if (ss != 512 && ss != 4096)
    return Errorf(ErrorCode::kInvalidArgument, "sector size {} (allowed: 512, 4096)", ss);
  uint64_t disk_sectors = src.size() / ss;
  if (disk_sectors < 3)
    return Corrupt(
        fmt::format("truncated image: {} bytes, too small for a GPT at {}-byte "
                    "sectors",
                    src.size(), ss));
  HULL_TRY(CheckMbr(src));
  HULL_ASSIGN_OR_RETURN(Copy primary, ReadCopy(src, ss, 1, disk_sectors, "primary"));
  HULL_ASSIGN_OR_RETURN(Copy backup,
                        ReadCopy(src, ss, primary.header.alternate_lba, disk_sectors, "backup"));
  HULL_TRY(CompareCopies(primary, backup));
  Table t;
  t.sector_size = ss;
  t.disk_sectors = disk_sectors;
  t.disk_guid = primary.header.disk_guid;
  t.first_usable_lba = primary.header.first_usable;
  t.last_usable_lba = primary.header.last_usable;
  t.entry_count = primary.header.entry_count;
  t.entry_size = primary.header.entry_size;
  t.primary_entries_lba = primary.header.entries_lba;
  t.partitions = std::move(primary.partitions);
  return t;
}

Result<Table> ReadAuto(const Source& src) {
  for (uint32_t ss : {512u, 4096u}) {
    uint8_t sig[8];
    if (src.ReadAt(ss, MutableByteSpan(sig, 8)).ok() && std::memcmp(sig, "EFI PART", 8) == 0)
      return Read(src, ss);
  }
  return Read(src, 512);
}

Result<Table> ReadFile(const std::string& path, uint32_t sector_size) {
  HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(path));
  HULL_ASSIGN_OR_RETURN(FileSource src, FileSource::Open(f));
  auto t = sector_size == 0 ? ReadAuto(src) : Read(src, sector_size);
  return std::move(t).Context("reading GPT of " + path);
}

}  // namespace hull::gpt

// GPT encoding, geometry and the writer (UEFI 2.10 §5.2.3 protective MBR,
// §5.3.2 header, §5.3.3 entries).
#include <zlib.h>

#include <algorithm>

#include "gpt/gpt.h"

namespace hull::gpt {

uint32_t Crc32(ByteSpan data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; feed in chunks so huge spans cannot truncate.
  size_t off = 0;
  while (off < data.size()) {
    size_t n = std::min<size_t>(data.size() - off, 1u << 30);
    crc = crc32(crc, data.data() + off, uInt(n));
    off += n;
  }
  return uint32_t(crc);
}

uint64_t EntrySectors(const Table& t) {
  uint64_t bytes = uint64_t(t.entry_count) * t.entry_size;
  return (bytes + t.sector_size - 1) / t.sector_size;
}

uint64_t BackupEntriesLba(const Table& t) { return t.disk_sectors - 1 - EntrySectors(t); }

Result<Bytes> EncodeName(std::string_view s) {
  std::u16string units;
  for (size_t i = 0; i < s.size();) {
    uint8_t c = uint8_t(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size())
      return Errorf(ErrorCode::kInvalidArgument, "partition name '{}': invalid UTF-8", s);
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; ++k) {
      uint8_t cc = uint8_t(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return Errorf(ErrorCode::kInvalidArgument, "partition name '{}': invalid UTF-8", s);
      cp = (cp << 6) | (cc & 0x3F);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(char16_t(0xD800 + (cp >> 10)));
      units.push_back(char16_t(0xDC00 + (cp & 0x3FF)));
    } else {
      units.push_back(char16_t(cp));
    }
  }
  if (units.size() > kNameChars)
    return Errorf(ErrorCode::kInvalidArgument,
                  "partition name '{}' is {} UTF-16 units long (at most {})", s, units.size(),
                  kNameChars);
  Bytes out(kNameChars * 2, 0);
  for (size_t i = 0; i < units.size(); ++i) StoreLe16(&out[2 * i], units[i]);
  return out;
}

std::string DecodeName(ByteSpan field) {
  std::string out;
  size_t n = std::min(field.size() / 2, kNameChars);
  for (size_t i = 0; i < n; ++i) {
    uint32_t cp = LoadLe16(&field[2 * i]);
    if (cp == 0) break;
    if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < n) {
      uint32_t lo = LoadLe16(&field[2 * i + 2]);
      if (lo >= 0xDC00 && lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        ++i;
      }
    }
    if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;  // lone surrogate
    if (cp < 0x80) {
      out.push_back(char(cp));
    } else if (cp < 0x800) {
      out.push_back(char(0xC0 | (cp >> 6)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(char(0xE0 | (cp >> 12)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(char(0xF0 | (cp >> 18)));
      out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

Bytes EncodeProtectiveMbr(const Table& t) {
  Bytes s(t.sector_size, 0);
  uint8_t* r = &s[446];                   // first partition record
  r[1] = 0x00, r[2] = 0x02, r[3] = 0x00;  // start CHS 0/0/2
  r[4] = 0xEE;                            // GPT protective
  r[5] = r[6] = r[7] = 0xFF;              // end CHS: not representable
  StoreLe32(r + 8, 1);
  StoreLe32(r + 12, uint32_t(std::min<uint64_t>(t.disk_sectors - 1, 0xFFFFFFFFu)));
  s[510] = 0x55, s[511] = 0xAA;
  return s;
}

Bytes EncodeEntries(const Table& t) {
  Bytes out(size_t(t.entry_count) * t.entry_size, 0);
  for (const Partition& p : t.partitions) {
    if (p.number == 0 || p.number > t.entry_count) continue;  // Validate() rejects these
    uint8_t* e = &out[size_t(p.number - 1) * t.entry_size];
    auto type = p.type.GptBytes(), uuid = p.uuid.GptBytes();
    std::copy(type.begin(), type.end(), e);       // off 0x00
    std::copy(uuid.begin(), uuid.end(), e + 16);  // off 0x10
    StoreLe64(e + 32, p.first_lba);               // off 0x20
    StoreLe64(e + 40, p.last_lba);                // off 0x28
    StoreLe64(e + 48, p.attributes);              // off 0x30
    auto name = EncodeName(p.name);
    if (name.ok()) std::copy(name->begin(), name->end(), e + 56);  // off 0x38
  }
  return out;
}

Bytes EncodeHeader(const Table& t, bool backup, uint32_t entries_crc) {
  Bytes h(t.sector_size, 0);
  uint64_t my = backup ? t.disk_sectors - 1 : 1;
  uint64_t alt = backup ? 1 : t.disk_sectors - 1;
  std::copy_n("EFI PART", 8, h.begin());  // off 0x00
  StoreLe32(&h[8], kRevision);            // off 0x08
  StoreLe32(&h[12], kHeaderSize);         // off 0x0C
  StoreLe64(&h[24], my);                  // off 0x18
  StoreLe64(&h[32], alt);                 // off 0x20
  StoreLe64(&h[40], t.first_usable_lba);  // off 0x28
  StoreLe64(&h[48], t.last_usable_lba);   // off 0x30
  auto g = t.disk_guid.GptBytes();
  std::copy(g.begin(), g.end(), &h[56]);                                    // off 0x38
  StoreLe64(&h[72], backup ? BackupEntriesLba(t) : t.primary_entries_lba);  // off 0x48
  StoreLe32(&h[80], t.entry_count);                                         // off 0x50
  StoreLe32(&h[84], t.entry_size);                                          // off 0x54
  StoreLe32(&h[88], entries_crc);                                           // off 0x58
  StoreLe32(&h[16], Crc32(ByteSpan(h.data(), kHeaderSize)));                // off 0x10
  return h;
}

Result<Table> NewTable(uint64_t disk_bytes, uint32_t sector_size, const Uuid& disk_guid) {
  if (sector_size != 512 && sector_size != 4096)
    return Errorf(ErrorCode::kInvalidArgument, "sector size {} (allowed: 512, 4096)", sector_size);
  if (disk_bytes % sector_size != 0)
    return Errorf(ErrorCode::kInvalidArgument, "disk size {} is not a multiple of {}", disk_bytes,
                  sector_size);
  Table t;
  t.sector_size = sector_size;
  t.disk_sectors = disk_bytes / sector_size;
  t.disk_guid = disk_guid;
  uint64_t es = EntrySectors(t);
  if (t.disk_sectors < 2 * (1 + es) + 2)
    return Errorf(ErrorCode::kInvalidArgument, "disk of {} bytes is too small for a GPT",
                  disk_bytes);
  t.first_usable_lba = 2 + es;
  t.last_usable_lba = t.disk_sectors - 2 - es;
  return t;
}

Status Validate(const Table& t) {
  std::vector<const Partition*> sorted;
  for (const Partition& p : t.partitions) {
    if (p.number == 0 || p.number > t.entry_count)
      return Errorf(ErrorCode::kInvalidArgument, "partition number {} outside 1..{}", p.number,
                    t.entry_count);
    if (p.type.IsNil())
      return Errorf(ErrorCode::kInvalidArgument, "partition {}: nil type GUID", p.number);
    if (p.first_lba > p.last_lba)
      return Errorf(ErrorCode::kInvalidArgument, "partition {}: first LBA > last LBA", p.number);
    if (p.first_lba < t.first_usable_lba || p.last_lba > t.last_usable_lba)
      return Errorf(ErrorCode::kInvalidArgument,
                    "partition {}: LBAs {}..{} outside usable range {}..{}", p.number, p.first_lba,
                    p.last_lba, t.first_usable_lba, t.last_usable_lba);
    // Not HULL_TRY(x.Context()): Context() returns a reference into the temporary.
    if (auto name = EncodeName(p.name); !name.ok())
      return std::move(name).error().Wrap(fmt::format("partition {}", p.number));
    sorted.push_back(&p);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return a->first_lba < b->first_lba; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i]->number == sorted[i - 1]->number)
      return Errorf(ErrorCode::kInvalidArgument, "partition number {} used twice",
                    sorted[i]->number);
    if (sorted[i]->first_lba <= sorted[i - 1]->last_lba)
      return Errorf(ErrorCode::kInvalidArgument, "partitions {} and {} overlap",
                    sorted[i - 1]->number, sorted[i]->number);
  }
  return Ok();
}

Status Write(File& file, const Table& t) {
  HULL_TRY(Validate(t));
  HULL_ASSIGN_OR_RETURN(uint64_t size, file.Size());
  if (size != t.disk_sectors * t.sector_size)
    return Errorf(ErrorCode::kInvalidArgument, "image is {} bytes, the table describes {}", size,
                  t.disk_sectors * t.sector_size);
  Bytes entries = EncodeEntries(t);
  uint32_t crc = Crc32(entries);
  uint64_t ss = t.sector_size;
  HULL_TRY(file.WriteAt(0, EncodeProtectiveMbr(t)));
  HULL_TRY(file.WriteAt(ss, EncodeHeader(t, false, crc)));
  HULL_TRY(file.WriteAt(t.primary_entries_lba * ss, entries));
  HULL_TRY(file.WriteAt(BackupEntriesLba(t) * ss, entries));
  HULL_TRY(file.WriteAt((t.disk_sectors - 1) * ss, EncodeHeader(t, true, crc)));
  return Ok();
}

}  // namespace hull::gpt

// GUID Partition Table: protective MBR, primary and backup headers and entry
// arrays (UEFI 2.10 §5.2-5.3), 512- and 4096-byte logical sectors.
//
// Reading validates everything in a fixed order and repairs nothing; the
// first problem found is returned as kCorrupt (kUnsupported for a revision
// we do not know) with a message naming it, always starting with one of:
//   "truncated image"          the image ends before a structure it must hold
//   "protective MBR"           no 0x55AA signature / no 0xEE record from LBA 1
//   "<which> header: bad signature" | "... unsupported revision" |
//   "... header size" | "... header CRC mismatch" | "... reserved" |
//   "... my_lba" | "... alternate_lba" | "... entry size" | "... entry count" |
//   "... usable range" | "... entries LBA" | "... entries CRC mismatch"
//   "partition N: first LBA > last LBA" | "partition N: outside usable range" |
//   "partitions N and M overlap"
//   "backup header mismatch: <field>"
// where <which> is "primary" or "backup". Checks per header run in this order:
// signature, revision, header size, header CRC, reserved, my_lba,
// alternate_lba, entry size, entry count, usable range, entries LBA, entries
// CRC, then the entries themselves; primary before backup; the backup is then
// compared with the primary field by field.
//
// I/O goes through Source/File at explicit offsets: no whole-disk buffers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/result.h"
#include "base/uuid.h"

namespace hull::gpt {

inline constexpr uint32_t kRevision = 0x00010000;
inline constexpr uint32_t kHeaderSize = 92;
inline constexpr uint32_t kEntrySize = 128;
inline constexpr uint32_t kDefaultEntryCount = 128;
// Caps on attacker-controlled values.
inline constexpr uint32_t kMaxEntrySize = 4096;
inline constexpr uint32_t kMaxEntryCount = 4096;
inline constexpr uint64_t kMaxEntryArrayBytes = 1 << 20;
inline constexpr size_t kNameChars = 36;  // UTF-16 code units in an entry name

struct Partition {
  uint32_t number = 0;  // 1-based slot in the entry array
  Uuid type;
  Uuid uuid;
  uint64_t first_lba = 0;
  uint64_t last_lba = 0;  // inclusive
  uint64_t attributes = 0;
  std::string name;  // UTF-8; stored as UTF-16LE, at most 36 code units

  uint64_t sectors() const { return last_lba - first_lba + 1; }
};

struct Table {
  uint32_t sector_size = 512;
  uint64_t disk_sectors = 0;  // total sectors of the image
  Uuid disk_guid;
  uint64_t first_usable_lba = 0;
  uint64_t last_usable_lba = 0;
  uint32_t entry_count = kDefaultEntryCount;
  uint32_t entry_size = kEntrySize;
  // Primary entry array LBA (2 unless read otherwise); the backup array sits
  // right before the backup header at the last sector.
  uint64_t primary_entries_lba = 2;
  std::vector<Partition> partitions;  // non-empty entries, by number
};

// Random access to an image.
class Source {
 public:
  virtual ~Source() = default;
  virtual Status ReadAt(uint64_t offset, MutableByteSpan out) const = 0;
  virtual uint64_t size() const = 0;
};

class FileSource : public Source {
 public:
  static Result<FileSource> Open(const File& file);
  Status ReadAt(uint64_t offset, MutableByteSpan out) const override {
    return file_->ReadAt(offset, out);
  }
  uint64_t size() const override { return size_; }

 private:
  FileSource(const File* f, uint64_t size) : file_(f), size_(size) {}
  const File* file_;
  uint64_t size_;
};

class MemorySource : public Source {
 public:
  explicit MemorySource(ByteSpan data) : data_(data) {}
  Status ReadAt(uint64_t offset, MutableByteSpan out) const override;
  uint64_t size() const override { return data_.size(); }

 private:
  ByteSpan data_;
};

// Reads and validates the GPT at the given logical sector size (512 or 4096).
Result<Table> Read(const Source& src, uint32_t sector_size);
// Tries 512 then 4096: the one whose LBA 1 holds "EFI PART". When neither
// does, the error of the 512-byte attempt.
Result<Table> ReadAuto(const Source& src);
Result<Table> ReadFile(const std::string& path, uint32_t sector_size = 0);  // 0 = auto

// Reads like Read() but, as firmware and the kernel do (UEFI 2.10 §5.3.2),
// uses the backup copy at the last sector when the primary is invalid, and
// the primary when both are valid but differ (an interrupted rewrite that
// wrote the backup first). `note` names what was not used and why ("" when
// both copies agree). Fails with the primary's error (context: the backup's
// error) when neither copy is valid. sector_size 0 = 512, else 4096 when a
// header signature is found only there.
struct Recovered {
  Table table;
  bool from_backup = false;
  std::string note;
};
Result<Recovered> ReadRecovering(const Source& src, uint32_t sector_size = 0);

// Standard geometry for a new table: entry arrays of 128 x 128 bytes,
// first usable LBA after the primary array, last usable before the backup.
// kInvalidArgument for a sector size other than 512/4096 or a disk too small.
Result<Table> NewTable(uint64_t disk_bytes, uint32_t sector_size, const Uuid& disk_guid);

// Checks a table before writing: partition ranges and overlaps, names, numbers.
Status Validate(const Table& table);

// Writes protective MBR, primary header + entries and backup entries + header
// into `file` (which must already be table.disk_sectors * sector_size long).
// Writes nothing else, so partition contents already there are kept.
Status Write(File& file, const Table& table);

// The codec pieces, shared by Read/Write and the tests.
Bytes EncodeProtectiveMbr(const Table& table);
Bytes EncodeEntries(const Table& table);  // entry_count * entry_size bytes
// The header sector for the primary (backup=false) or backup copy.
Bytes EncodeHeader(const Table& table, bool backup, uint32_t entries_crc);
uint32_t Crc32(ByteSpan data);
uint64_t EntrySectors(const Table& table);
uint64_t BackupEntriesLba(const Table& table);

// UTF-8 <-> the 36-code-unit UTF-16LE name field. Encoding fails with
// kInvalidArgument for invalid UTF-8 or a name longer than 36 units.
Result<Bytes> EncodeName(std::string_view utf8);
std::string DecodeName(ByteSpan field);

}  // namespace hull::gpt

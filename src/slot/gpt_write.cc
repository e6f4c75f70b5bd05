#include "slot/gpt_write.h"

namespace hull::slot {

Status WriteChunked(DiskIo& disk, uint64_t offset, ByteSpan data, uint64_t chunk) {
  if (chunk == 0) return Error(ErrorCode::kInvalidArgument, "chunk size 0");
  for (size_t done = 0; done < data.size();) {
    size_t n = std::min<uint64_t>(chunk, data.size() - done);
    HULL_TRY(disk.WriteAt(offset + done, data.subspan(done, n)));
    done += n;
  }
  return Ok();
}

Status WriteTableCrashSafe(DiskIo& disk, const gpt::Table& t, uint64_t chunk) {
  HULL_TRY(gpt::Validate(t));
  const uint64_t ss = t.sector_size;
  if (t.disk_sectors * ss > disk.size())
    return Errorf(ErrorCode::kInvalidArgument, "the table describes {} bytes, the disk has {}",
                  t.disk_sectors * ss, disk.size());
  if (chunk < ss || chunk % ss != 0)
    return Errorf(ErrorCode::kInvalidArgument, "chunk {} is not a multiple of the sector size {}",
                  chunk, ss);
  Bytes entries = gpt::EncodeEntries(t);
  uint32_t crc = gpt::Crc32(entries);
  HULL_TRY(WriteChunked(disk, gpt::BackupEntriesLba(t) * ss, entries, chunk));
  HULL_TRY(disk.WriteAt((t.disk_sectors - 1) * ss, gpt::EncodeHeader(t, true, crc)));
  HULL_TRY(disk.Sync());
  HULL_TRY(WriteChunked(disk, t.primary_entries_lba * ss, entries, chunk));
  HULL_TRY(disk.WriteAt(ss, gpt::EncodeHeader(t, false, crc)));
  return disk.Sync();
}

Result<gpt::Recovered> ReadRepairing(DiskIo& disk) {
  HULL_ASSIGN_OR_RETURN(gpt::Recovered read, gpt::ReadRecovering(DiskSource(disk)));
  if (read.from_backup)
    HULL_TRY(WriteTableCrashSafe(disk, read.table, 1 << 20)
                 .Context("writing the primary GPT again from the backup"));
  return read;
}

}  // namespace hull::slot

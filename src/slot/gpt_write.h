// Crash-safe GPT rewrite: backup entries + header, fsync, then primary
// entries + header, fsync. Each copy's header carries the CRC of its entry
// array, so a copy interrupted half-way is invalid, never wrong, and a reader
// (gpt::ReadRecovering, firmware, the kernel) uses the other copy: before the
// first fsync the primary is the old table, after it the backup is the new one.
#pragma once

#include "gpt/gpt.h"
#include "slot/io.h"

namespace hull::slot {

// Writes in pieces of at most `chunk` bytes (a multiple of the sector size;
// the test uses small ones so every piece is an interruption point).
// kInvalidArgument from gpt::Validate or when the table does not match the disk size.
Status WriteTableCrashSafe(DiskIo& disk, const gpt::Table& table, uint64_t chunk);

// Reads the GPT as gpt::ReadRecovering does and, when the primary copy was
// not usable (a rewrite cut short between its entries and its header, or
// damage), writes the table read from the backup to both copies again
// (WriteTableCrashSafe), so the primary is never left broken for firmware
// or the next writer.
Result<gpt::Recovered> ReadRepairing(DiskIo& disk);

// Writes `data` at `offset` in pieces of at most `chunk` bytes.
Status WriteChunked(DiskIo& disk, uint64_t offset, ByteSpan data, uint64_t chunk);

}  // namespace hull::slot

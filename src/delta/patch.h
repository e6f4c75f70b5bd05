// Binary deltas: a zstd frame of NEW compressed with OLD as a raw-content
// prefix (RFC 8878 frames; libzstd's ZSTD_CCtx_refPrefix). The patch is a
// plain zstd frame, so `zstd -d --patch-from=OLD PATCH` applies it too, and
// `zstd --patch-from=OLD NEW` makes patches ApplyPatch accepts.
//
// Memory: OLD (and, when making, NEW) are mapped read-only: page cache, not
// heap. Making: zstd's match tables (level-dependent, ~100 MiB at 19).
// Applying: the patch is streamed and the decoder writes straight into the
// mapped output (a file, or a range of a partition), which doubles as its
// window: no image-sized heap buffer; resident pages are page cache (OLD and
// OUT), reclaimable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "delta/range.h"

namespace hull::delta {

// A patch whose frame asks for a larger window than 2^kMaxPatchWindowLog is
// refused (zstd's own maximum on 64-bit hosts is 31).
inline constexpr int kMaxPatchWindowLog = 31;

struct PatchOptions {
  int level = 19;        // 1..22 (ZSTD_maxCLevel())
  unsigned threads = 0;  // zstd worker threads; 0 = single-threaded
};

struct PatchStats {
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  uint64_t patch_size = 0;
  int window_log = 0;
};

// The window log covering max(old, new) the way `zstd --patch-from` does.
int PatchWindowLog(uint64_t old_size, uint64_t new_size);

// Writes PATCH (through an atomic rename) so that applying it to OLD yields
// NEW. kInvalidArgument for a bad level or inputs beyond 2^31 bytes; kIo on
// read/write failures.
Result<PatchStats> MakePatch(const std::string& old_path, const std::string& new_path,
                             const std::string& patch_path, const PatchOptions& opts = {});

struct ApplyExpect {
  Bytes sha256;                    // 32 bytes: the SHA-256 the result must have
  std::optional<uint64_t> length;  // unset: the content size in the frame header
};

struct ApplyStats {
  uint64_t out_size = 0;
  uint64_t patch_size = 0;
  Bytes sha256;
};

// Applies PATCH to OLD and commits OUT only when the result has exactly the
// expected length and SHA-256; otherwise nothing is left at OUT.
// Errors: kCorrupt (not a zstd frame, truncated, damaged, a content size in
// the header that differs from expect.length, more output than expected;
// no length given and none in the header is kInvalidArgument),
// kUnsupported (window beyond the cap), kVerifyFailed (SHA-256 mismatch),
// kInvalidArgument (expect.sha256 not 32 bytes), kIo.
Result<ApplyStats> ApplyPatch(const std::string& old_path, const std::string& patch_path,
                              const std::string& out_path, const ApplyExpect& expect);

// The same over ranges, in place: OLD is `old` (say the active usr
// partition), the result is written at `out` (the inactive one) through a
// shared map. Same errors, and kRefused when the result is larger than
// out.capacity (before any write). On error the bytes written so far stay
// in `out`: the caller must not use the range until it verifies it.
Result<ApplyStats> ApplyPatchInto(const FileRange& old, const File& patch, const WritableRange& out,
                                  const ApplyExpect& expect);

}  // namespace hull::delta

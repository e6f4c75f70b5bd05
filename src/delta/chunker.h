// Content-defined chunking: a FastCDC-style gear rolling hash with normalized
// chunking (Xia et al., "FastCDC", USENIX ATC 2016, sections 3.2-3.4).
//
// A boundary is declared where the gear hash of the last 64 bytes has its top
// bits zero, so boundaries follow content: inserting bytes near the front of
// an image moves only the chunks around the insertion. Normalized chunking
// uses a stricter mask before the average size and a looser one after it,
// which narrows the size distribution. Every chunk is at least min_size
// (except the last) and at most max_size bytes.
//
// The gear table is derived, not random: entry i is the i-th little-endian
// 64-bit word of SHA-256("hull-delta-gear-v1" || le32(k)) for k = 0..63 (four
// words per digest). Same bytes + same params = same chunks, on every host.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "base/bytes.h"
#include "base/file.h"
#include "delta/range.h"

namespace hull::delta {

inline constexpr char kGearSeed[] = "hull-delta-gear-v1";
// Identifies the algorithm + gear seed in chunk indexes.
inline constexpr uint32_t kChunkerGearV1 = 1;
// Caps for untrusted parameters (a chunk index from the network).
inline constexpr uint32_t kMinChunkFloor = 64;           // the gear window
inline constexpr uint32_t kMaxChunkCeiling = 16u << 20;  // 16 MiB

struct ChunkerParams {
  uint32_t min_size = 16u << 10;
  uint32_t avg_size = 64u << 10;  // a power of two
  uint32_t max_size = 256u << 10;
  bool operator==(const ChunkerParams&) const = default;
};

// kInvalidArgument unless kMinChunkFloor <= min <= avg <= max <=
// kMaxChunkCeiling and avg is a power of two >= 256.
Status ValidateChunkerParams(const ChunkerParams& p);

const std::array<uint64_t, 256>& GearTable();

class Chunker {
 public:
  // `p` must have passed ValidateChunkerParams.
  explicit Chunker(const ChunkerParams& p);

  // The length of the chunk starting at data[0]. `data` holds the rest of
  // the input, or at least max_size bytes of it; a result shorter than
  // data.size() is a content-defined cut (or max_size).
  size_t Cut(ByteSpan data) const;

  const ChunkerParams& params() const { return p_; }

 private:
  ChunkerParams p_;
  uint64_t mask_small_, mask_large_;
};

// Calls `fn(offset, chunk)` for each chunk of `file` in order, reading
// through a bounded buffer (about 4 MiB + max_size). Stops at the first error
// `fn` returns.
Status ChunkFile(const File& file, const ChunkerParams& p,
                 const std::function<Status(uint64_t offset, ByteSpan chunk)>& fn);
// The same over a range of a file or device; offsets are relative to its start.
Status ChunkRange(const FileRange& range, const ChunkerParams& p,
                  const std::function<Status(uint64_t offset, ByteSpan chunk)>& fn);

}  // namespace hull::delta

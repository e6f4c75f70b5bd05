// The chunk index of an image: its length and SHA-256, the chunker
// parameters, and per chunk the offset, length, SHA-256 of the plain bytes
// and length of the stored zstd frame. Layout (docs/delta.md), little-endian:
//
//   off  0  magic "HULLCIDX" (8)
//   off  8  le32 version (1)
//   off 12  le32 chunker id (kChunkerGearV1)
//   off 16  le32 min_size, off 20 le32 avg_size, off 24 le32 max_size
//   off 28  le32 reserved, zero
//   off 32  le64 image length
//   off 40  image SHA-256 (32)
//   off 72  le64 chunk count
//   off 80  count x 56-byte entries:
//             le64 offset, le32 length, le32 compressed length, SHA-256 (32),
//             le64 reserved (zero)
//   end-32  SHA-256 of every byte before it (a corruption check; authenticity
//           comes from the signed TUF target that lists the index)
//
// The decoder treats its input as untrusted: size, magic, version, header
// ranges, reserved zeros, trailer digest, then each entry (offsets contiguous
// from 0, lengths within the chunker bounds, compressed length capped), and
// the lengths must sum to the image length.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "delta/chunker.h"

namespace hull::delta {

inline constexpr char kIndexMagic[8] = {'H', 'U', 'L', 'L', 'C', 'I', 'D', 'X'};
inline constexpr uint32_t kIndexVersion = 1;
inline constexpr size_t kIndexHeaderSize = 80;
inline constexpr size_t kIndexEntrySize = 56;
inline constexpr size_t kIndexTrailerSize = 32;
// Named caps on attacker-controlled values.
inline constexpr uint64_t kMaxImageLength = uint64_t(1) << 40;  // 1 TiB
inline constexpr uint64_t kMaxChunkCount = uint64_t(1) << 24;
// A zstd frame of one chunk: ZSTD_compressBound(max_size) is below this.
inline uint64_t MaxCompressedChunk(uint32_t plain_len) {
  return uint64_t(plain_len) + 4096 + plain_len / 128;
}

struct ChunkEntry {
  uint64_t offset = 0;
  uint32_t length = 0;
  uint32_t compressed_length = 0;
  Bytes sha256;  // 32 bytes
  bool operator==(const ChunkEntry&) const = default;
};

struct ChunkIndex {
  ChunkerParams params;
  uint64_t image_length = 0;
  Bytes image_sha256;  // 32 bytes
  std::vector<ChunkEntry> chunks;
  bool operator==(const ChunkIndex&) const = default;
};

// Checks the invariants the decoder enforces (kCorrupt naming the field).
Status ValidateIndex(const ChunkIndex& idx);
// kInvalidArgument if ValidateIndex fails.
Result<Bytes> EncodeIndex(const ChunkIndex& idx);
// kCorrupt for every malformed input (short, bad magic, bad digest, ranges),
// kUnsupported for another version or chunker id.
Result<ChunkIndex> DecodeIndex(ByteSpan data);

}  // namespace hull::delta

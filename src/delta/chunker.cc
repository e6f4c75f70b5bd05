#include "delta/chunker.h"

#include <bit>
#include <cstring>

#include "crypto/digest.h"

namespace hull::delta {
namespace {

// `bits` one-bits at the top of a 64-bit word: in a gear hash shifted left
// per byte, only the high bits depend on the whole 64-byte window.
uint64_t TopMask(int bits) { return bits <= 0 ? 0 : ~uint64_t(0) << (64 - bits); }

std::array<uint64_t, 256> MakeGearTable() {
  std::array<uint64_t, 256> t{};
  for (uint32_t k = 0; k < 64; ++k) {
    ByteWriter w;
    w.Append(AsBytes(kGearSeed));
    w.Le32(k);
    Bytes d = crypto::Sha256(w.bytes());
    for (int j = 0; j < 4; ++j) t[k * 4 + j] = LoadLe64(d.data() + 8 * j);
  }
  return t;
}

constexpr size_t kReadBuffer = 4u << 20;

}  // namespace

Status ValidateChunkerParams(const ChunkerParams& p) {
  if (p.min_size < kMinChunkFloor || p.min_size > p.avg_size || p.avg_size > p.max_size ||
      p.max_size > kMaxChunkCeiling) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "chunk sizes min {} avg {} max {}: need {} <= min <= avg <= max <= {}",
                  p.min_size, p.avg_size, p.max_size, kMinChunkFloor, kMaxChunkCeiling);
  }
  if (!std::has_single_bit(p.avg_size) || p.avg_size < 256) {
    return Errorf(ErrorCode::kInvalidArgument, "average chunk size {} is not a power of two >= 256",
                  p.avg_size);
  }
  return Ok();
}

const std::array<uint64_t, 256>& GearTable() {
  static const std::array<uint64_t, 256> table = MakeGearTable();
  return table;
}

Chunker::Chunker(const ChunkerParams& p) : p_(p) {
  int bits = std::countr_zero(p.avg_size);
  // Normalization level 2 (FastCDC section 3.4).
  mask_small_ = TopMask(bits + 2);
  mask_large_ = TopMask(bits - 2);
}

size_t Chunker::Cut(ByteSpan data) const {
  size_t n = data.size();
  if (n <= p_.min_size) return n;
  if (n > p_.max_size) n = p_.max_size;
  size_t normal = p_.avg_size < n ? p_.avg_size : n;
  const auto& gear = GearTable();
  uint64_t h = 0;
  size_t i = p_.min_size;
  for (; i < normal; ++i) {
    h = (h << 1) + gear[data[i]];
    if ((h & mask_small_) == 0) return i + 1;
  }
  for (; i < n; ++i) {
    h = (h << 1) + gear[data[i]];
    if ((h & mask_large_) == 0) return i + 1;
  }
  return n;
}

Status ChunkFile(const File& file, const ChunkerParams& p,
                 const std::function<Status(uint64_t offset, ByteSpan chunk)>& fn) {
  HULL_ASSIGN_OR_RETURN(FileRange whole, WholeFile(file));
  return ChunkRange(whole, p, fn);
}

Status ChunkRange(const FileRange& range, const ChunkerParams& p,
                  const std::function<Status(uint64_t offset, ByteSpan chunk)>& fn) {
  HULL_TRY(ValidateChunkerParams(p));
  Chunker chunker(p);
  const File& file = *range.file;
  const uint64_t size = range.length;
  Bytes buf(kReadBuffer + p.max_size);
  size_t have = 0, pos = 0;  // buf[pos, have) is unconsumed
  uint64_t file_off = 0;     // file offset of buf[have]
  uint64_t chunk_off = 0;
  while (chunk_off < size) {
    if (have - pos < p.max_size && file_off < size) {
      std::memmove(buf.data(), buf.data() + pos, have - pos);
      have -= pos;
      pos = 0;
      uint64_t want = std::min<uint64_t>(buf.size() - have, size - file_off);
      HULL_TRY(file.ReadAt(range.offset + file_off, MutableByteSpan(buf.data() + have, want)));
      have += want;
      file_off += want;
    }
    ByteSpan rest(buf.data() + pos, have - pos);
    size_t len = chunker.Cut(rest);
    HULL_TRY(fn(chunk_off, rest.first(len)));
    pos += len;
    chunk_off += len;
  }
  return Ok();
}

}  // namespace hull::delta

#include "delta/chunk_index.h"

#include <cstring>

#include "crypto/digest.h"

namespace hull::delta {
namespace {

Status CheckEntry(const ChunkIndex& idx, size_t i, uint64_t expect_offset) {
  const ChunkEntry& c = idx.chunks[i];
  bool last = i + 1 == idx.chunks.size();
  if (c.offset != expect_offset) {
    return Errorf(ErrorCode::kCorrupt, "chunk {}: offset {} where {} was expected", i, c.offset,
                  expect_offset);
  }
  if (c.length == 0 || c.length > idx.params.max_size ||
      (!last && c.length < idx.params.min_size)) {
    return Errorf(ErrorCode::kCorrupt, "chunk {}: length {} outside {}..{}", i, c.length,
                  idx.params.min_size, idx.params.max_size);
  }
  if (c.compressed_length == 0 || c.compressed_length > MaxCompressedChunk(c.length)) {
    return Errorf(ErrorCode::kCorrupt, "chunk {}: compressed length {} out of range", i,
                  c.compressed_length);
  }
  if (c.sha256.size() != 32) return Errorf(ErrorCode::kCorrupt, "chunk {}: digest size", i);
  return Ok();
}

}  // namespace

Status ValidateIndex(const ChunkIndex& idx) {
  auto p = ValidateChunkerParams(idx.params);
  if (!p.ok()) return Error(ErrorCode::kCorrupt, p.error().message()).Wrap("chunker params");
  if (idx.image_length > kMaxImageLength) {
    return Errorf(ErrorCode::kCorrupt, "image length {} exceeds {}", idx.image_length,
                  kMaxImageLength);
  }
  if (idx.image_sha256.size() != 32) return Error(ErrorCode::kCorrupt, "image digest size");
  if (idx.chunks.size() > kMaxChunkCount) {
    return Errorf(ErrorCode::kCorrupt, "{} chunks exceed {}", idx.chunks.size(), kMaxChunkCount);
  }
  uint64_t off = 0;
  for (size_t i = 0; i < idx.chunks.size(); ++i) {
    HULL_TRY(CheckEntry(idx, i, off));
    off += idx.chunks[i].length;  // no overflow: count and lengths are capped
  }
  if (off != idx.image_length) {
    return Errorf(ErrorCode::kCorrupt, "chunks cover {} bytes, image length is {}", off,
                  idx.image_length);
  }
  return Ok();
}

Result<Bytes> EncodeIndex(const ChunkIndex& idx) {
  auto v = ValidateIndex(idx);
  if (!v.ok()) return Error(ErrorCode::kInvalidArgument, v.error().ToString());
  ByteWriter w;
  w.Append(ByteSpan(reinterpret_cast<const uint8_t*>(kIndexMagic), 8));
  w.Le32(kIndexVersion);
  w.Le32(kChunkerGearV1);
  w.Le32(idx.params.min_size);
  w.Le32(idx.params.avg_size);
  w.Le32(idx.params.max_size);
  w.Le32(0);
  w.Le64(idx.image_length);
  w.Append(idx.image_sha256);
  w.Le64(idx.chunks.size());
  for (const ChunkEntry& c : idx.chunks) {
    w.Le64(c.offset);
    w.Le32(c.length);
    w.Le32(c.compressed_length);
    w.Append(c.sha256);
    w.Le64(0);
  }
  Bytes digest = crypto::Sha256(w.bytes());
  w.Append(digest);
  return w.Take();
}

namespace {

Result<ChunkIndex> DecodeHeader(ByteReader& r, uint64_t* count) {
  HULL_ASSIGN_OR_RETURN(ByteSpan magic, r.Take(8, "magic"));
  if (std::memcmp(magic.data(), kIndexMagic, 8) != 0) {
    return Error(ErrorCode::kCorrupt, "bad magic (not a Hull chunk index)");
  }
  HULL_ASSIGN_OR_RETURN(uint32_t version, r.Le32("version"));
  if (version != kIndexVersion) return Errorf(ErrorCode::kUnsupported, "index version {}", version);
  HULL_ASSIGN_OR_RETURN(uint32_t chunker, r.Le32("chunker id"));
  if (chunker != kChunkerGearV1) return Errorf(ErrorCode::kUnsupported, "chunker id {}", chunker);
  ChunkIndex idx;
  HULL_ASSIGN_OR_RETURN(idx.params.min_size, r.Le32("min_size"));
  HULL_ASSIGN_OR_RETURN(idx.params.avg_size, r.Le32("avg_size"));
  HULL_ASSIGN_OR_RETURN(idx.params.max_size, r.Le32("max_size"));
  HULL_ASSIGN_OR_RETURN(uint32_t reserved, r.Le32("reserved"));
  if (reserved != 0) return Error(ErrorCode::kCorrupt, "reserved header field is not zero");
  HULL_ASSIGN_OR_RETURN(idx.image_length, r.Le64("image length"));
  HULL_ASSIGN_OR_RETURN(ByteSpan sha, r.Take(32, "image sha256"));
  idx.image_sha256.assign(sha.begin(), sha.end());
  HULL_ASSIGN_OR_RETURN(*count, r.Le64("chunk count"));
  return idx;
}

}  // namespace

Result<ChunkIndex> DecodeIndex(ByteSpan data) {
  if (data.size() < kIndexHeaderSize + kIndexTrailerSize) {
    return Errorf(ErrorCode::kCorrupt, "index of {} bytes is shorter than {}", data.size(),
                  kIndexHeaderSize + kIndexTrailerSize);
  }
  ByteReader r(data.first(data.size() - kIndexTrailerSize));
  uint64_t count = 0;
  HULL_ASSIGN_OR_RETURN(ChunkIndex idx, DecodeHeader(r, &count));
  if (count > kMaxChunkCount) {
    return Errorf(ErrorCode::kCorrupt, "chunk count {} exceeds {}", count, kMaxChunkCount);
  }
  if (r.remaining() != count * kIndexEntrySize) {
    return Errorf(ErrorCode::kCorrupt, "{} entries need {} bytes, {} present", count,
                  count * kIndexEntrySize, r.remaining());
  }
  Bytes digest = crypto::Sha256(r.data());
  if (!ConstantTimeEqual(digest, data.last(kIndexTrailerSize))) {
    return Error(ErrorCode::kCorrupt, "index digest mismatch (damaged index)");
  }
  idx.chunks.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    ChunkEntry& c = idx.chunks[i];
    HULL_ASSIGN_OR_RETURN(c.offset, r.Le64("chunk offset"));
    HULL_ASSIGN_OR_RETURN(c.length, r.Le32("chunk length"));
    HULL_ASSIGN_OR_RETURN(c.compressed_length, r.Le32("compressed length"));
    HULL_ASSIGN_OR_RETURN(ByteSpan sha, r.Take(32, "chunk sha256"));
    c.sha256.assign(sha.begin(), sha.end());
    HULL_ASSIGN_OR_RETURN(uint64_t reserved, r.Le64("chunk reserved"));
    if (reserved != 0) return Errorf(ErrorCode::kCorrupt, "chunk {}: reserved field not zero", i);
  }
  HULL_TRY(ValidateIndex(idx));
  return idx;
}

}  // namespace hull::delta

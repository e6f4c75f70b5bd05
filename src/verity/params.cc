#include "verity/params.h"

namespace hull::verity {
namespace {
bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

Status CheckBlockSize(const char* what, uint32_t size) {
  if (!IsPowerOfTwo(size) || size < kMinBlockSize || size > kMaxBlockSize) {
    return Errorf(ErrorCode::kInvalidArgument, "{} {} is not a power of two between {} and {}",
                  what, size, kMinBlockSize, kMaxBlockSize);
  }
  return Ok();
}
}  // namespace

Status ValidateParams(const VerityParams& p) {
  if (p.hash_type > 1) {
    return Errorf(ErrorCode::kUnsupported, "verity format {} is not supported (0 or 1)",
                  p.hash_type);
  }
  HULL_TRY(CheckBlockSize("data block size", p.data_block_size));
  HULL_TRY(CheckBlockSize("hash block size", p.hash_block_size));
  if (p.salt.size() > kMaxSaltSize) {
    return Errorf(ErrorCode::kInvalidArgument, "salt is {} bytes, at most {} allowed",
                  p.salt.size(), kMaxSaltSize);
  }
  if (p.hash_offset % 512 != 0) {
    return Errorf(ErrorCode::kInvalidArgument, "hash offset {} is not a multiple of 512",
                  p.hash_offset);
  }
  if (!p.superblock && p.hash_offset % p.hash_block_size != 0) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "hash offset {} is not a multiple of the hash block size {} (needed without a "
                  "superblock)",
                  p.hash_offset, p.hash_block_size);
  }
  if (crypto::DigestSize(p.algorithm) > p.hash_block_size / 2) {
    return Errorf(ErrorCode::kInvalidArgument, "hash block size {} is too small for {}",
                  p.hash_block_size, crypto::DigestName(p.algorithm));
  }
  return Ok();
}

uint64_t Geometry::hash_blocks() const {
  uint64_t n = 0;
  for (uint64_t s : level_size) n += s;
  return n;
}

Result<Geometry> ComputeGeometry(const VerityParams& p) {
  HULL_TRY(ValidateParams(p));
  const uint32_t hbs = p.hash_block_size;
  if (p.data_blocks == 0) return Error(ErrorCode::kInvalidArgument, "no data blocks");
  Geometry g;
  g.data_blocks = p.data_blocks;
  g.hash_block_size = hbs;
  g.digest_size = crypto::DigestSize(p.algorithm);
  g.digest_slot = g.digest_size;
  if (p.hash_type == 1) {
    while (g.digest_slot & (g.digest_slot - 1)) g.digest_slot += g.digest_slot & -g.digest_slot;
  }
  uint64_t per = hbs / g.digest_size;
  while ((uint64_t(1) << (g.per_block_bits + 1)) <= per) ++g.per_block_bits;

  uint64_t start = p.hash_offset;
  if (p.superblock) start += kSuperblockSize + hbs - 1;
  g.tree_start_block = start / hbs;

  int levels = 0;
  while (levels < kMaxLevels && g.per_block_bits * uint64_t(levels) < 64 &&
         ((p.data_blocks - 1) >> (g.per_block_bits * levels)) != 0) {
    ++levels;
  }
  g.level_block.assign(size_t(levels), 0);
  g.level_size.assign(size_t(levels), 0);
  uint64_t pos = g.tree_start_block;
  for (int i = levels - 1; i >= 0; --i) {
    uint32_t shift = g.per_block_bits * uint32_t(i + 1);
    uint64_t size = shift >= 64 ? 1 : ((p.data_blocks - 1) >> shift) + 1;
    g.level_block[size_t(i)] = pos;
    g.level_size[size_t(i)] = size;
    if (!CheckedAdd(pos, size, &pos)) {
      return Error(ErrorCode::kInvalidArgument, "hash tree position overflows");
    }
  }
  uint64_t end_bytes = 0;
  if (!CheckedMul(pos, hbs, &end_bytes)) {
    return Error(ErrorCode::kInvalidArgument, "hash tree size overflows");
  }
  return g;
}

uint64_t Geometry::hash_end_bytes() const {
  return (tree_start_block + hash_blocks()) * hash_block_size;
}

}  // namespace hull::verity

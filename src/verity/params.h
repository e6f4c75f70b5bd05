// dm-verity parameters and the hash-tree geometry they imply.
//
// Layout as cryptsetup's lib/verity and the kernel's dm-verity define it
// (REFERENCE.md §5): levels stored top level first; level 0 (digests of data
// blocks) last; the tree starts at the first hash block after the optional
// 512-byte superblock at hash_offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/uuid.h"
#include "crypto/digest_algorithm.h"

namespace hull::verity {

inline constexpr uint32_t kSuperblockSize = 512;
inline constexpr uint32_t kMaxSaltSize = 256;
inline constexpr int kMaxLevels = 63;
inline constexpr uint32_t kMinBlockSize = 512;
inline constexpr uint32_t kMaxBlockSize = 1u << 19;  // veritysetup's limit (512 KiB)

struct VerityParams {
  uint32_t hash_type = 1;  // 1 = normal, 0 = Chrome OS
  crypto::DigestAlgorithm algorithm = crypto::DigestAlgorithm::kSha256;
  uint32_t data_block_size = 4096;
  uint32_t hash_block_size = 4096;
  uint64_t data_blocks = 0;  // 0: the whole data file
  Bytes salt;
  Uuid uuid;
  bool superblock = true;
  uint64_t hash_offset = 0;  // bytes; where the superblock (or the tree) starts
  // Bytes into the data file where data block 0 starts (a partition inside a
  // disk image). Not part of the superblock or the kernel table.
  uint64_t data_offset = 0;
};

// Checks block sizes (power of two, 512..512 KiB), salt size, hash type and
// the hash offset alignment. Errors are kInvalidArgument naming the field.
Status ValidateParams(const VerityParams& p);

struct Geometry {
  uint32_t hash_block_size = 0;
  size_t digest_size = 0;       // bytes the algorithm outputs
  size_t digest_slot = 0;       // bytes one digest occupies in a hash block
  uint32_t per_block_bits = 0;  // log2(digests per hash block)
  uint64_t data_blocks = 0;
  uint64_t tree_start_block = 0;      // first hash block of the tree (hash-block units)
  std::vector<uint64_t> level_block;  // [i]: absolute hash-block index of level i
  std::vector<uint64_t> level_size;   // [i]: blocks in level i
  int levels() const { return int(level_size.size()); }
  uint64_t hash_blocks() const;     // total tree blocks
  uint64_t hash_end_bytes() const;  // hash device bytes up to the end of the tree
};

Result<Geometry> ComputeGeometry(const VerityParams& p);

}  // namespace hull::verity

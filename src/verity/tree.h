// The dm-verity hash tree: one engine both builds and verifies it, so the two
// cannot drift (as cryptsetup's verity_hash.c does).
//
// The data level (the bulk) is split into chunks hashed in parallel on all
// cores; each worker streams its chunk through a fixed buffer with pread, so
// memory stays constant whatever the image size. Upper levels are hashed
// from the level below as stored in the hash file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/progress.h"
#include "verity/params.h"

namespace hull::verity {

struct EngineOptions {
  unsigned threads = 0;          // 0: all cores
  Progress* progress = nullptr;  // advanced by data bytes hashed
};

struct FormatResult {
  VerityParams params;  // with data_blocks, salt and uuid as written
  Geometry geometry;
  Bytes root_hash;
};

// Computes the tree of `data` and writes superblock (unless disabled) and
// tree into `hash` at params.hash_offset. data_blocks == 0 takes the whole
// data file, which must then be a multiple of the data block size.
Result<FormatResult> FormatTree(const File& data, File& hash, VerityParams params,
                                const EngineOptions& options = {});

// One inconsistency found by VerifyTree.
struct Mismatch {
  int level;             // level of the hash block holding the bad digest
  uint64_t hash_block;   // absolute index (hash-block units) in the hash file
  uint64_t child;        // data block (level 0) or absolute hash block below
  bool padding = false;  // the hash block's unused tail is not zero
};

struct VerifyResult {
  Bytes root_hash;  // computed from the stored top level
  bool root_matches = false;
  std::vector<Mismatch> mismatches;  // first per level, lowest level first
  bool ok() const { return root_matches && mismatches.empty(); }
  // "data block 17 does not match its digest in hash block 3 (level 0); ..."
  std::string Describe() const;
};

// Verifies every level against the stored tree and the expected root.
Result<VerifyResult> VerifyTree(const File& data, const File& hash, const VerityParams& params,
                                ByteSpan expected_root, const EngineOptions& options = {});

// Reads the superblock at `hash_offset` of `hash`.
Result<VerityParams> ReadSuperblock(const File& hash, uint64_t hash_offset = 0);

// Number of data blocks of a data file: its size / block size; kInvalidArgument
// when the size is not a whole number of blocks.
Result<uint64_t> DataBlocksOf(const File& data, uint32_t data_block_size);

}  // namespace hull::verity

// The veritysetup "version 1" superblock: 512 bytes, little-endian, at the
// start of the hash area (REFERENCE.md §5.1; cryptsetup lib/verity/verity.c).
//
// off 0x000  8  signature "verity\0\0"
// off 0x008  4  version (1)
// off 0x00C  4  hash_type (0 Chrome OS, 1 normal)
// off 0x010 16  uuid (binary, text order)
// off 0x020 32  algorithm name, NUL-padded
// off 0x040  4  data_block_size
// off 0x044  4  hash_block_size
// off 0x048  8  data_blocks
// off 0x050  2  salt_size (<= 256)
// off 0x052  6  padding (zero)
// off 0x058 256 salt (salt_size bytes used, rest zero)
// off 0x158 168 padding (zero)
#pragma once

#include "base/bytes.h"
#include "verity/params.h"

namespace hull::verity {

// Encodes the superblock fields of `p` (data_blocks must be set).
Bytes EncodeSuperblock(const VerityParams& p);

// Decodes and validates in a fixed order: size, magic, version, hash type,
// algorithm, block sizes, salt size, reserved bytes. Errors are kCorrupt or
// kUnsupported and name the field. hash_offset and superblock=true are set.
Result<VerityParams> DecodeSuperblock(ByteSpan bytes, uint64_t hash_offset = 0);

}  // namespace hull::verity

// Rebuilds an image from its chunk index: chunks the node already has (in a
// seed, normally the active /usr slot) are copied from it, the rest are
// fetched from a chunk source. Every chunk is checked against its SHA-256 in
// the index before it is written, and the whole image against the image
// SHA-256 before the output is committed (AtomicFile: a failed assembly
// leaves nothing at OUT).
//
// Seed lookup, in order: (1) the seed chunked with the index's chunker
// parameters, looked up by digest; (2) the seed's bytes at the chunk's own
// offset (helps when the image layout shifted nothing there but the chunker
// cut differently); (3) a chunk already fetched earlier in this image;
// (4) the source. Memory: one chunk buffer, a map of the needed digests.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "delta/chunk_index.h"
#include "delta/chunk_store.h"
#include "delta/range.h"

namespace hull::delta {

struct AssembleStats {
  uint64_t chunks = 0;
  uint64_t from_seed_by_hash = 0;
  uint64_t from_seed_at_offset = 0;
  uint64_t from_output = 0;  // repeated chunks fetched once
  uint64_t fetched = 0;
  uint64_t bytes_fetched = 0;    // compressed bytes from the source
  uint64_t bytes_from_seed = 0;  // plain bytes copied from the seed
  Bytes sha256;
};

// `seed_path` may be empty (no seed: everything is fetched).
// Errors: kVerifyFailed naming the chunk (or the image), kCorrupt for a bad
// stored frame, the source's errors (kNotFound, kUnavailable) with the
// chunk's path as context, kIo.
Result<AssembleStats> Assemble(const ChunkIndex& index, const std::string& seed_path,
                               const ChunkSource& source, const std::string& out_path);

// The same over ranges, in place: the seed is `seed` (null: none; say the
// active usr partition), the image is written at `out` (the inactive one).
// Same errors, and kRefused when the image is larger than out.capacity
// (before any write). On error the bytes written so far stay in `out`: the
// caller must not use the range until it verifies it.
Result<AssembleStats> AssembleInto(const ChunkIndex& index, const FileRange* seed,
                                   const ChunkSource& source, const WritableRange& out);

}  // namespace hull::delta

// A content-addressed chunk store: each chunk is one zstd frame stored once
// under the SHA-256 of its plain bytes, at "chunks/ab/abcdef....zst" below
// the store root (a directory, or the same layout served over HTTP).
//
// SplitImage is the producer: it chunks an image (chunker.h), writes the
// chunks the store lacks, and returns the index (chunk_index.h). The
// consumer side is a ChunkSource plus DecodeChunk, which verifies the plain
// bytes against the index before anyone uses them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/bytes.h"
#include "delta/chunk_index.h"

namespace hull::delta {

// "chunks/ab/<64 hex>.zst" for a 32-byte digest.
std::string ChunkPath(ByteSpan sha256);

struct SplitOptions {
  ChunkerParams params;
  int level = 19;  // zstd level of each chunk
};

struct SplitStats {
  uint64_t chunks = 0;
  uint64_t unique_chunks = 0;  // distinct digests in the image
  uint64_t new_chunks = 0;     // written to the store by this call
  uint64_t new_bytes = 0;      // compressed bytes written by this call
  uint64_t stored_bytes = 0;   // compressed bytes of the image's distinct chunks
};

// Chunks IMAGE into the store at `store_dir` (created if missing) and
// returns its index. Chunks already present are not rewritten (a present
// chunk's compressed length is read from the store). Each new chunk file is
// written atomically.
Result<ChunkIndex> SplitImage(const std::string& image_path, const std::string& store_dir,
                              const SplitOptions& opts, SplitStats* stats);

// Returns the stored (compressed) bytes of a chunk; at most `max_len` bytes,
// more is kVerifyFailed; kNotFound when the store lacks it.
using ChunkSource = std::function<Result<Bytes>(ByteSpan sha256, uint64_t max_len)>;

// A source over a store directory, or an http(s):// base URL (via the TUF
// fetcher's HTTP client, src/http, with its byte caps).
ChunkSource MakeChunkSource(const std::string& dir_or_url);

// Decompresses one stored chunk and checks it is exactly `entry`'s plain
// bytes: kCorrupt when the frame is bad or the size differs, kVerifyFailed
// naming the chunk when the SHA-256 differs.
Result<Bytes> DecodeChunk(ByteSpan stored, const ChunkEntry& entry, size_t index);

}  // namespace hull::delta

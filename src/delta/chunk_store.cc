#include "delta/chunk_store.h"

#include <sys/stat.h>
#include <zstd.h>

#include <filesystem>
#include <memory>
#include <unordered_map>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "tuf/fetcher.h"

namespace hull::delta {
namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

Result<Bytes> Compress(ZSTD_CCtx* c, ByteSpan plain) {
  Bytes out(ZSTD_compressBound(plain.size()));
  size_t n = ZSTD_compress2(c, out.data(), out.size(), plain.data(), plain.size());
  if (ZSTD_isError(n)) {
    return Errorf(ErrorCode::kInternal, "compressing chunk: {}", ZSTD_getErrorName(n));
  }
  out.resize(n);
  return out;
}

// Writes the chunk unless present; returns its stored size and whether new.
Result<std::pair<uint64_t, bool>> PutChunk(ZSTD_CCtx* c, const std::string& store, ByteSpan sha,
                                           ByteSpan plain) {
  namespace fs = std::filesystem;
  fs::path path = fs::path(store) / ChunkPath(sha);
  std::error_code ec;
  uint64_t have = fs::file_size(path, ec);
  if (!ec) return std::pair<uint64_t, bool>{have, false};
  fs::create_directories(path.parent_path(), ec);
  if (ec) return ErrnoError(ec.value(), "creating", path.parent_path().string());
  HULL_ASSIGN_OR_RETURN(Bytes z, Compress(c, plain));
  HULL_TRY(WriteFileAtomic(path.string(), z));
  return std::pair<uint64_t, bool>{z.size(), true};
}

}  // namespace

std::string ChunkPath(ByteSpan sha256) {
  std::string hex = HexEncode(sha256);
  return "chunks/" + hex.substr(0, 2) + "/" + hex + ".zst";
}

Result<ChunkIndex> SplitImage(const std::string& image_path, const std::string& store_dir,
                              const SplitOptions& opts, SplitStats* stats) {
  HULL_TRY(ValidateChunkerParams(opts.params));
  std::unique_ptr<ZSTD_CCtx, CCtxFree> c(ZSTD_createCCtx());
  if (!c) return Error(ErrorCode::kInternal, "ZSTD_createCCtx failed");
  size_t rc = ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, opts.level);
  if (ZSTD_isError(rc) || opts.level < 1 || opts.level > ZSTD_maxCLevel()) {
    return Errorf(ErrorCode::kInvalidArgument, "level {} outside 1..{}", opts.level,
                  ZSTD_maxCLevel());
  }
  HULL_ASSIGN_OR_RETURN(File image, File::OpenRead(image_path));
  ChunkIndex idx;
  idx.params = opts.params;
  SplitStats st;
  std::unordered_map<std::string, uint32_t> seen;  // hex digest -> stored size
  crypto::Hasher whole(crypto::DigestAlgorithm::kSha256);
  HULL_TRY(ChunkFile(image, opts.params, [&](uint64_t off, ByteSpan chunk) -> Status {
             whole.Update(chunk);
             ChunkEntry e{.offset = off, .length = uint32_t(chunk.size())};
             e.sha256 = crypto::Sha256(chunk);
             std::string key = HexEncode(e.sha256);
             auto it = seen.find(key);
             if (it == seen.end()) {
               HULL_ASSIGN_OR_RETURN(auto put, PutChunk(c.get(), store_dir, e.sha256, chunk));
               it = seen.emplace(key, uint32_t(put.first)).first;
               st.stored_bytes += put.first;
               if (put.second) {
                 ++st.new_chunks;
                 st.new_bytes += put.first;
               }
             }
             e.compressed_length = it->second;
             idx.chunks.push_back(std::move(e));
             return Ok();
           }).Context(image_path));
  HULL_ASSIGN_OR_RETURN(idx.image_length, image.Size());
  idx.image_sha256 = whole.Final();
  st.chunks = idx.chunks.size();
  st.unique_chunks = seen.size();
  HULL_TRY(ValidateIndex(idx).Context("index of " + image_path));
  if (stats) *stats = st;
  return idx;
}

ChunkSource MakeChunkSource(const std::string& dir_or_url) {
  std::shared_ptr<tuf::Fetcher> f = tuf::MakeFetcher(dir_or_url);
  return [f](ByteSpan sha, uint64_t max_len) -> Result<Bytes> {
    std::string path = ChunkPath(sha);
    return f->Fetch(path, max_len).Context(path);
  };
}

Result<Bytes> DecodeChunk(ByteSpan stored, const ChunkEntry& entry, size_t index) {
  std::string name =
      fmt::format("chunk {} ({}) at offset {}", index, HexEncode(entry.sha256), entry.offset);
  unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Errorf(ErrorCode::kCorrupt, "{}: not a zstd frame with a content size", name);
  }
  if (size != entry.length) {
    return Errorf(ErrorCode::kCorrupt, "{}: frame holds {} bytes, index says {}", name, size,
                  entry.length);
  }
  Bytes plain(entry.length);
  size_t n = ZSTD_decompress(plain.data(), plain.size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != entry.length) {
    return Errorf(ErrorCode::kCorrupt, "{}: {}", name,
                  ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame");
  }
  if (!ConstantTimeEqual(crypto::Sha256(plain), entry.sha256)) {
    return Errorf(ErrorCode::kVerifyFailed, "{}: SHA-256 mismatch", name);
  }
  return plain;
}

}  // namespace hull::delta

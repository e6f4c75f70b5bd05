#include "delta/assemble.h"

#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"

namespace hull::delta {
namespace {

using Key = std::string;  // the 32 raw digest bytes
Key KeyOf(ByteSpan sha) { return Key(AsChars(sha)); }

struct Where {
  uint64_t offset;
  uint32_t length;
};

// Chunks the seed and keeps the digests the index needs.
Result<std::unordered_map<Key, Where>> IndexSeed(const FileRange& seed, const ChunkIndex& index) {
  std::unordered_set<Key> needed;
  for (const ChunkEntry& c : index.chunks) needed.insert(KeyOf(c.sha256));
  std::unordered_map<Key, Where> have;
  HULL_TRY(ChunkRange(seed, index.params, [&](uint64_t off, ByteSpan chunk) -> Status {
    Key k = KeyOf(crypto::Sha256(chunk));
    if (needed.count(k)) have.emplace(std::move(k), Where{off, uint32_t(chunk.size())});
    return Ok();
  }));
  return have;
}

// Reads [off, off+len) of range `r` into buf if it exists and hashes to `sha`.
Result<bool> ReadMatching(const FileRange& r, uint64_t off, ByteSpan sha, Bytes& buf) {
  uint64_t end;
  if (!CheckedAdd(off, buf.size(), &end) || end > r.length) return false;
  HULL_TRY(r.file->ReadAt(r.offset + off, buf));
  return ConstantTimeEqual(crypto::Sha256(buf), sha);
}

class Assembler {
 public:
  Assembler(const ChunkIndex& index, const ChunkSource& source) : index_(index), source_(source) {}

  Status OpenSeed(const FileRange* seed) {
    if (!seed) return Ok();
    seed_ = *seed;
    HULL_ASSIGN_OR_RETURN(seed_map_,
                          IndexSeed(seed_, index_).Context("chunking seed " + seed->file->path()));
    return Ok();
  }

  // Produces chunk i's verified plain bytes into buf_.
  Status Produce(size_t i, const WritableRange& out) {
    const ChunkEntry& c = index_.chunks[i];
    buf_.resize(c.length);
    Key k = KeyOf(c.sha256);
    if (seed_.file) {
      auto it = seed_map_.find(k);
      if (it != seed_map_.end() && it->second.length == c.length) {
        HULL_ASSIGN_OR_RETURN(bool ok, ReadMatching(seed_, it->second.offset, c.sha256, buf_));
        if (ok) return Copied(&st_.from_seed_by_hash, c.length);
      }
      HULL_ASSIGN_OR_RETURN(bool ok, ReadMatching(seed_, c.offset, c.sha256, buf_));
      if (ok) return Copied(&st_.from_seed_at_offset, c.length);
    }
    if (auto it = written_.find(k); it != written_.end()) {
      FileRange done{out.file, out.offset, it->second + c.length};
      HULL_ASSIGN_OR_RETURN(bool ok, ReadMatching(done, it->second, c.sha256, buf_));
      if (ok) return ++st_.from_output, Ok();
    }
    HULL_ASSIGN_OR_RETURN(Bytes stored, source_(c.sha256, c.compressed_length));
    st_.bytes_fetched += stored.size();
    ++st_.fetched;
    HULL_ASSIGN_OR_RETURN(buf_, DecodeChunk(stored, c, i));
    written_.emplace(std::move(k), c.offset);
    return Ok();
  }

  Result<AssembleStats> Run(const WritableRange& out) {
    HULL_TRY(PrepareWrite(out, index_.image_length));
    crypto::Hasher whole(crypto::DigestAlgorithm::kSha256);
    for (size_t i = 0; i < index_.chunks.size(); ++i) {
      HULL_TRY(Produce(i, out));
      HULL_TRY(out.file->WriteAt(out.offset + index_.chunks[i].offset, buf_));
      whole.Update(buf_);
    }
    st_.chunks = index_.chunks.size();
    st_.sha256 = whole.Final();
    if (!ConstantTimeEqual(st_.sha256, index_.image_sha256)) {
      return Errorf(ErrorCode::kVerifyFailed, "assembled image SHA-256 {} != index {}",
                    HexEncode(st_.sha256), HexEncode(index_.image_sha256));
    }
    return st_;
  }

 private:
  Status Copied(uint64_t* counter, uint32_t len) {
    ++*counter;
    st_.bytes_from_seed += len;
    return Ok();
  }

  const ChunkIndex& index_;
  const ChunkSource& source_;
  FileRange seed_;
  std::unordered_map<Key, Where> seed_map_;
  std::unordered_map<Key, uint64_t> written_;  // fetched digest -> output offset
  Bytes buf_;
  AssembleStats st_;
};

}  // namespace

Result<AssembleStats> AssembleInto(const ChunkIndex& index, const FileRange* seed,
                                   const ChunkSource& source, const WritableRange& out) {
  HULL_TRY(ValidateIndex(index));
  Assembler a(index, source);
  HULL_TRY(a.OpenSeed(seed));
  return a.Run(out);
}

Result<AssembleStats> Assemble(const ChunkIndex& index, const std::string& seed_path,
                               const ChunkSource& source, const std::string& out_path) {
  File seed_file;
  FileRange seed;
  if (!seed_path.empty()) {
    HULL_ASSIGN_OR_RETURN(seed_file, File::OpenRead(seed_path));
    HULL_ASSIGN_OR_RETURN(seed, WholeFile(seed_file));
  }
  HULL_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(out_path));
  HULL_ASSIGN_OR_RETURN(AssembleStats st,
                        AssembleInto(index, seed_path.empty() ? nullptr : &seed, source,
                                     WritableRange{&out.file(), 0, UINT64_MAX}));
  HULL_TRY(out.Commit());
  return st;
}

}  // namespace hull::delta

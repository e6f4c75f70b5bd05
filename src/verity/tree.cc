#include "verity/tree.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "base/hex.h"
#include "base/sigbus.h"
#include "crypto/digest.h"
#include "verity/superblock.h"

namespace hull::verity {
namespace {

// Input bytes a worker reads per chunk: large enough to amortize pread and
// scheduling, small enough to keep memory flat (threads x this).
constexpr uint64_t kChunkInputBytes = 8u << 20;

enum class Mode { kBuild, kVerify };

// One level of the tree: `in_blocks` blocks of `in_block_size` read from `in`
// at `in_offset` are hashed into consecutive hash blocks from `out_block`.
struct LevelJob {
  int level;
  const File* in;
  uint64_t in_offset;
  uint64_t in_blocks;
  uint32_t in_block_size;
  uint64_t out_block;
  uint64_t out_blocks;
  uint64_t child_base;  // reported index of input block 0 (data block or hash block)
};

class Engine {
 public:
  Engine(const VerityParams& p, const Geometry& g, Mode mode, const File* hash_in, File* hash_out,
         const EngineOptions& o)
      : p_(p), g_(g), mode_(mode), hash_in_(hash_in), hash_out_(hash_out), opts_(o) {}

  // Build: writes the level. Verify: compares with the stored level and
  // returns its first mismatch, if any.
  Result<std::optional<Mismatch>> Run(const LevelJob& job);

  void HashBlock(crypto::Hasher& h, const uint8_t* block, size_t len, uint8_t* out) const {
    h.Reset();
    if (p_.hash_type == 1) h.Update(p_.salt);
    h.Update(ByteSpan(block, len));
    if (p_.hash_type == 0) h.Update(p_.salt);
    h.Final(out);
  }

 private:
  Status Chunk(const LevelJob& job, uint64_t first, uint64_t count, crypto::Hasher& h, Bytes& in,
               Bytes& out, Bytes& stored);
  void NoteMismatch(const Mismatch& m);

  const VerityParams& p_;
  const Geometry& g_;
  Mode mode_;
  const File* hash_in_;
  File* hash_out_;
  const EngineOptions& opts_;
  std::mutex mu_;
  std::optional<Mismatch> first_;
};

void Engine::NoteMismatch(const Mismatch& m) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!first_ || m.hash_block < first_->hash_block ||
      (m.hash_block == first_->hash_block && m.child < first_->child)) {
    first_ = m;
  }
}

Status Engine::Chunk(const LevelJob& job, uint64_t first, uint64_t count, crypto::Hasher& h,
                     Bytes& in, Bytes& out, Bytes& stored) {
  const uint64_t per = uint64_t(1) << g_.per_block_bits;
  const uint32_t hbs = g_.hash_block_size;
  const uint64_t in_first = first * per;
  const uint64_t in_count = std::min(count * per, job.in_blocks - in_first);
  const size_t in_bytes = size_t(in_count * job.in_block_size);
  const uint64_t in_offset = job.in_offset + in_first * job.in_block_size;
  // Hash straight from the page cache through a mapping (no copy); files
  // that cannot be mapped are read into the buffer instead.
  const uint8_t* src = nullptr;
  MappedRegion map;
  if (auto m = job.in->Map(in_offset, in_bytes); m.ok()) {
    map = std::move(*m);
    src = map.bytes().data();
  } else if (m.error().code() != ErrorCode::kIo) {
    return std::move(m).error();
  } else {
    in.resize(in_bytes);
    HULL_TRY(job.in->ReadAt(in_offset, in));
    src = in.data();
  }
  out.assign(size_t(count * hbs), 0);
  HULL_TRY(CatchSigbus(job.in->path(), [&] {
    for (uint64_t b = 0; b < in_count; ++b) {
      uint64_t slot = b & (per - 1);
      uint8_t* dst = out.data() + (b >> g_.per_block_bits) * hbs + slot * g_.digest_slot;
      HashBlock(h, src + b * job.in_block_size, job.in_block_size, dst);
    }
  }));
  if (opts_.progress && job.level == 0) opts_.progress->Advance(in_bytes);
  const uint64_t out_offset = (job.out_block + first) * hbs;
  if (mode_ == Mode::kBuild) return hash_out_->WriteAt(out_offset, out);

  stored.resize(out.size());
  HULL_TRY(hash_in_->ReadAt(out_offset, stored));
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t* a = out.data() + i * hbs;
    const uint8_t* s = stored.data() + i * hbs;
    if (std::equal(a, a + hbs, s)) continue;
    Mismatch m{job.level, job.out_block + first + i, 0, false};
    uint64_t used = std::min(per, in_count - i * per);
    uint64_t slot = 0;
    while (slot < used && std::equal(a + slot * g_.digest_slot, a + (slot + 1) * g_.digest_slot,
                                     s + slot * g_.digest_slot)) {
      ++slot;
    }
    m.padding = slot == used;
    m.child = job.child_base + in_first + i * per + std::min(slot, used - 1);
    NoteMismatch(m);
    break;  // the first in this chunk is the one to report
  }
  return Ok();
}

Result<std::optional<Mismatch>> Engine::Run(const LevelJob& job) {
  const uint64_t per = uint64_t(1) << g_.per_block_bits;
  const uint64_t out_per_chunk =
      std::max<uint64_t>(1, kChunkInputBytes / (per * job.in_block_size));
  const uint64_t chunks = (job.out_blocks + out_per_chunk - 1) / out_per_chunk;
  unsigned threads =
      opts_.threads ? opts_.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = unsigned(std::min<uint64_t>(threads, chunks));

  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::optional<Error> error;
  first_.reset();
  auto worker = [&] {
    crypto::Hasher h(p_.algorithm);
    Bytes in, out, stored;
    for (uint64_t c; !failed && (c = next.fetch_add(1)) < chunks;) {
      uint64_t first = c * out_per_chunk;
      uint64_t count = std::min(out_per_chunk, job.out_blocks - first);
      Status st = Chunk(job, first, count, h, in, out, stored);
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error) error = std::move(st).error();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) return std::move(*error);
  return first_;
}

LevelJob JobFor(const Geometry& g, const VerityParams& p, const File& data, const File& hash,
                int level) {
  if (level == 0) {
    return LevelJob{0,
                    &data,
                    p.data_offset,
                    g.data_blocks,
                    p.data_block_size,
                    g.level_block[0],
                    g.level_size[0],
                    0};
  }
  const uint64_t below = g.level_block[size_t(level - 1)];
  return LevelJob{level,
                  &hash,
                  below * p.hash_block_size,
                  g.level_size[size_t(level - 1)],
                  p.hash_block_size,
                  g.level_block[size_t(level)],
                  g.level_size[size_t(level)],
                  below};
}

// Root digest: of the single top hash block, or of data block 0 when the
// tree has no levels (one data block).
Result<Bytes> RootDigest(const Engine& engine, const VerityParams& p, const Geometry& g,
                         const File& data, const File& hash) {
  const bool no_levels = g.levels() == 0;
  const File& src = no_levels ? data : hash;
  const uint32_t size = no_levels ? p.data_block_size : p.hash_block_size;
  const uint64_t off = no_levels ? p.data_offset : g.level_block.back() * p.hash_block_size;
  Bytes block(size);
  HULL_TRY(src.ReadAt(off, block));
  crypto::Hasher h(p.algorithm);
  Bytes root(h.size());
  engine.HashBlock(h, block.data(), block.size(), root.data());
  return root;
}

// data_blocks == 0: the whole file, which must be whole blocks. Otherwise
// the file must hold at least that many blocks (a partition may be larger).
Status ResolveDataBlocks(const File& data, VerityParams& p) {
  if (p.data_blocks == 0) {
    if (p.data_offset != 0) {
      return Error(ErrorCode::kInvalidArgument, "a data offset needs an explicit block count");
    }
    HULL_ASSIGN_OR_RETURN(p.data_blocks, DataBlocksOf(data, p.data_block_size));
    if (p.data_blocks == 0) {
      return Errorf(ErrorCode::kInvalidArgument, "data file '{}' is empty", data.path());
    }
    return Ok();
  }
  HULL_ASSIGN_OR_RETURN(uint64_t size, data.Size());
  uint64_t avail = size > p.data_offset ? (size - p.data_offset) / p.data_block_size : 0;
  if (avail < p.data_blocks) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "data file '{}' has {} blocks of {} bytes, fewer than the {} expected",
                  data.path(), avail, p.data_block_size, p.data_blocks);
  }
  return Ok();
}

}  // namespace

Result<uint64_t> DataBlocksOf(const File& data, uint32_t data_block_size) {
  HULL_ASSIGN_OR_RETURN(uint64_t size, data.Size());
  if (size % data_block_size != 0) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "data file '{}' is {} bytes, not a multiple of the {}-byte data block size "
                  "(pad it, or pass --data-blocks)",
                  data.path(), size, data_block_size);
  }
  return size / data_block_size;
}

Result<FormatResult> FormatTree(const File& data, File& hash, VerityParams params,
                                const EngineOptions& options) {
  HULL_TRY(ValidateParams(params));
  HULL_TRY(ResolveDataBlocks(data, params));
  HULL_ASSIGN_OR_RETURN(Geometry g, ComputeGeometry(params));

  if (params.superblock) {
    Bytes head = EncodeSuperblock(params);
    // Zero the rest of the superblock's area up to the tree, so the output
    // does not depend on what the hash file held before.
    head.resize(size_t(g.tree_start_block * params.hash_block_size - params.hash_offset), 0);
    HULL_TRY(hash.WriteAt(params.hash_offset, head));
  }
  Engine engine(params, g, Mode::kBuild, &hash, &hash, options);
  for (int level = 0; level < g.levels(); ++level) {
    HULL_TRY(engine.Run(JobFor(g, params, data, hash, level)));
  }
  HULL_ASSIGN_OR_RETURN(uint64_t size, hash.Size());
  if (size < g.hash_end_bytes()) HULL_TRY(hash.Truncate(g.hash_end_bytes()));
  HULL_ASSIGN_OR_RETURN(Bytes root, RootDigest(engine, params, g, data, hash));
  return FormatResult{std::move(params), std::move(g), std::move(root)};
}

Result<VerifyResult> VerifyTree(const File& data, const File& hash, const VerityParams& in_params,
                                ByteSpan expected_root, const EngineOptions& options) {
  VerityParams params = in_params;
  HULL_TRY(ResolveDataBlocks(data, params));
  HULL_ASSIGN_OR_RETURN(Geometry g, ComputeGeometry(params));
  HULL_ASSIGN_OR_RETURN(uint64_t hash_size, hash.Size());
  if (hash_size < g.hash_end_bytes()) {
    return Errorf(ErrorCode::kVerifyFailed,
                  "hash file '{}' is {} bytes, too small for the tree ({} bytes needed)",
                  hash.path(), hash_size, g.hash_end_bytes());
  }
  Engine engine(params, g, Mode::kVerify, &hash, nullptr, options);
  VerifyResult result;
  for (int level = 0; level < g.levels(); ++level) {
    HULL_ASSIGN_OR_RETURN(auto m, engine.Run(JobFor(g, params, data, hash, level)));
    if (m) result.mismatches.push_back(*m);
  }
  HULL_ASSIGN_OR_RETURN(result.root_hash, RootDigest(engine, params, g, data, hash));
  result.root_matches = ConstantTimeEqual(result.root_hash, expected_root);
  return result;
}

Result<VerityParams> ReadSuperblock(const File& hash, uint64_t hash_offset) {
  Bytes sb(kSuperblockSize);
  HULL_ASSIGN_OR_RETURN(size_t n, hash.ReadSomeAt(hash_offset, sb));
  sb.resize(n);
  return DecodeSuperblock(sb, hash_offset).Context(fmt::format("'{}'", hash.path()));
}

std::string VerifyResult::Describe() const {
  std::string out;
  for (const Mismatch& m : mismatches) {
    if (!out.empty()) out += "; ";
    if (m.padding) {
      out += fmt::format("hash block {} (level {}) has non-zero padding", m.hash_block, m.level);
    } else if (m.level == 0) {
      out += fmt::format("data block {} does not match its digest in hash block {} (level 0)",
                         m.child, m.hash_block);
    } else {
      out += fmt::format(
          "hash block {} (level {}) does not match its digest in hash block {} "
          "(level {})",
          m.child, m.level - 1, m.hash_block, m.level);
    }
  }
  if (!root_matches) {
    if (!out.empty()) out += "; ";
    out += fmt::format("root hash mismatch (computed {})", HexEncode(root_hash));
  }
  return out.empty() ? "ok" : out;
}

}  // namespace hull::verity

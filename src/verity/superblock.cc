#include "verity/superblock.h"

#include <algorithm>
#include <cstring>

namespace hull::verity {
namespace {
constexpr char kMagic[8] = {'v', 'e', 'r', 'i', 't', 'y', 0, 0};
constexpr size_t kAlgorithmField = 32;

bool AllZero(ByteSpan b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}
}  // namespace

Bytes EncodeSuperblock(const VerityParams& p) {
  ByteWriter w;
  w.Append(ByteSpan(reinterpret_cast<const uint8_t*>(kMagic), 8));
  w.Le32(1);
  w.Le32(p.hash_type);
  w.Append(p.uuid.bytes());
  std::string alg = crypto::DigestName(p.algorithm);
  w.Append(AsBytes(alg));
  w.Zeros(kAlgorithmField - alg.size());
  w.Le32(p.data_block_size);
  w.Le32(p.hash_block_size);
  w.Le64(p.data_blocks);
  w.Le16(uint16_t(p.salt.size()));
  w.Zeros(6);
  w.Append(p.salt);
  w.Zeros(kMaxSaltSize - p.salt.size());
  w.Zeros(168);
  static_assert(8 + 4 + 4 + 16 + 32 + 4 + 4 + 8 + 2 + 6 + 256 + 168 == kSuperblockSize);
  return w.Take();
}

Result<VerityParams> DecodeSuperblock(ByteSpan bytes, uint64_t hash_offset) {
  if (bytes.size() < kSuperblockSize) {
    return Errorf(ErrorCode::kCorrupt, "verity superblock truncated: {} of {} bytes", bytes.size(),
                  kSuperblockSize);
  }
  ByteReader r(bytes.first(kSuperblockSize));
  HULL_ASSIGN_OR_RETURN(ByteSpan magic, r.Take(8, "signature"));
  if (!std::equal(magic.begin(), magic.end(), kMagic)) {
    return Error(ErrorCode::kCorrupt, "no verity superblock (signature is not \"verity\")");
  }
  HULL_ASSIGN_OR_RETURN(uint32_t version, r.Le32("version"));
  if (version != 1) {
    return Errorf(ErrorCode::kUnsupported, "verity superblock version {} (only 1 is known)",
                  version);
  }
  VerityParams p;
  p.superblock = true;
  p.hash_offset = hash_offset;
  HULL_ASSIGN_OR_RETURN(p.hash_type, r.Le32("hash_type"));
  if (p.hash_type > 1) {
    return Errorf(ErrorCode::kUnsupported, "verity hash type {} (0 or 1 known)", p.hash_type);
  }
  HULL_ASSIGN_OR_RETURN(ByteSpan uuid, r.Take(16, "uuid"));
  p.uuid = Uuid::FromBytes(uuid);
  HULL_ASSIGN_OR_RETURN(ByteSpan alg_field, r.Take(kAlgorithmField, "algorithm"));
  auto nul = std::find(alg_field.begin(), alg_field.end(), uint8_t(0));
  if (nul == alg_field.end()) {
    return Error(ErrorCode::kCorrupt, "verity algorithm name is not NUL-terminated");
  }
  std::string alg(alg_field.begin(), nul);
  if (!AllZero(ByteSpan(&*nul, size_t(alg_field.end() - nul)))) {
    return Error(ErrorCode::kCorrupt, "verity algorithm field has bytes after its NUL");
  }
  HULL_ASSIGN_OR_RETURN(p.algorithm, crypto::ParseDigestAlgorithm(alg));
  HULL_ASSIGN_OR_RETURN(p.data_block_size, r.Le32("data_block_size"));
  HULL_ASSIGN_OR_RETURN(p.hash_block_size, r.Le32("hash_block_size"));
  HULL_ASSIGN_OR_RETURN(p.data_blocks, r.Le64("data_blocks"));
  HULL_ASSIGN_OR_RETURN(uint16_t salt_size, r.Le16("salt_size"));
  if (salt_size > kMaxSaltSize) {
    return Errorf(ErrorCode::kCorrupt, "verity salt size {} exceeds {}", salt_size, kMaxSaltSize);
  }
  HULL_ASSIGN_OR_RETURN(ByteSpan pad1, r.Take(6, "padding"));
  HULL_ASSIGN_OR_RETURN(ByteSpan salt, r.Take(kMaxSaltSize, "salt"));
  HULL_ASSIGN_OR_RETURN(ByteSpan pad2, r.Take(168, "padding"));
  if (!AllZero(pad1) || !AllZero(pad2) || !AllZero(salt.subspan(salt_size))) {
    return Error(ErrorCode::kCorrupt, "verity superblock has non-zero reserved bytes");
  }
  p.salt.assign(salt.begin(), salt.begin() + salt_size);
  if (p.data_blocks == 0) return Error(ErrorCode::kCorrupt, "verity superblock has 0 data blocks");
  if (Status st = ValidateParams(p); !st.ok()) {
    return Error(ErrorCode::kCorrupt, "verity superblock: " + st.error().message());
  }
  return p;
}

}  // namespace hull::verity

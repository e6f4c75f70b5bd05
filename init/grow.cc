#include "init/grow.h"

#include "gpt/attributes.h"

namespace hull::init {

Result<std::optional<gpt::Table>> GrowRootPartition(const gpt::Table& table, uint32_t root_number) {
  gpt::Table t = table;
  gpt::Partition* root = nullptr;
  for (gpt::Partition& p : t.partitions)
    if (p.number == root_number) root = &p;
  if (!root) return Errorf(ErrorCode::kNotFound, "no partition {} in the GPT", root_number);
  if ((root->attributes & gpt::kAttrGrowFs) == 0) return std::optional<gpt::Table>();
  for (const gpt::Partition& p : t.partitions)
    if (p.number != root_number && p.last_lba > root->last_lba) return std::optional<gpt::Table>();
  // The backup header in the last sector, its entry array right before it.
  uint64_t last_usable = gpt::BackupEntriesLba(t) - 1;
  if (last_usable <= root->last_lba) return std::optional<gpt::Table>();
  root->last_lba = last_usable;
  t.last_usable_lba = last_usable;
  return std::optional<gpt::Table>(std::move(t));
}

Result<Ext4Size> DecodeExt4Size(ByteSpan sb) {
  if (sb.size() < 1024)
    return Errorf(ErrorCode::kCorrupt, "ext4 superblock: {} bytes, need 1024", sb.size());
  auto le16 = [&](size_t off) { return uint32_t(sb[off] | (sb[off + 1] << 8)); };
  auto le32 = [&](size_t off) { return le16(off) | (le16(off + 2) << 16); };
  uint32_t magic = le16(0x38);  // s_magic
  if (magic != 0xEF53)
    return Errorf(ErrorCode::kCorrupt, "ext4 superblock: bad magic 0x{:04x}", magic);
  uint32_t log = le32(0x18);  // s_log_block_size: block size = 2^(10 + log)
  if (log > 6)
    return Errorf(ErrorCode::kCorrupt, "ext4 superblock: block size 2^{} unsupported",
                  uint64_t(log) + 10);
  Ext4Size s;
  s.block_size = 1024u << log;
  s.blocks = le32(0x04);                     // s_blocks_count_lo
  constexpr uint32_t kIncompat64Bit = 0x80;  // in s_feature_incompat
  if (le32(0x60) & kIncompat64Bit) s.blocks |= uint64_t(le32(0x150)) << 32;  // _hi
  return s;
}

std::optional<uint64_t> Ext4GrowTarget(const Ext4Size& fs, uint64_t partition_bytes) {
  if (fs.block_size == 0) return std::nullopt;
  uint64_t fits = partition_bytes / fs.block_size;
  if (fits <= fs.blocks || (fits - fs.blocks) * fs.block_size < kMinExt4Growth) return std::nullopt;
  return fits;
}

}  // namespace hull::init

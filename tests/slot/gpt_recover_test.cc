// gpt::ReadRecovering and the crash-safe rewrite (slot/gpt_write.h) on an
// in-memory disk: every cut of a rewrite reads as the old or the new table.
#include <gtest/gtest.h>

#include <cstring>

#include "gpt/types.h"
#include "slot/gpt_write.h"
#include "support/status_matchers.h"

namespace hull::slot {
namespace {

constexpr uint64_t kDiskBytes = 4 << 20;

// A DiskIo over memory that records writes and syncs, so a test can replay a prefix.
class MemDisk : public DiskIo {
 public:
  explicit MemDisk(Bytes bytes) : bytes_(std::move(bytes)) {}
  Status ReadAt(uint64_t off, MutableByteSpan out) const override {
    return gpt::MemorySource(bytes_).ReadAt(off, out);
  }
  Status WriteAt(uint64_t off, ByteSpan data) override {
    std::memcpy(bytes_.data() + off, data.data(), data.size());
    ops_.push_back({off, Bytes(data.begin(), data.end())});
    return Ok();
  }
  Status Sync() override {
    ops_.push_back({UINT64_MAX, {}});
    return Ok();
  }
  uint64_t size() const override { return bytes_.size(); }
  const File& file() const override { return file_; }

  struct Op {
    uint64_t offset;  // UINT64_MAX = sync
    Bytes data;
  };
  Bytes bytes_;
  std::vector<Op> ops_;
  File file_;
};

gpt::Table Table(const std::string& label) {
  gpt::Table t =
      *gpt::NewTable(kDiskBytes, 512, *Uuid::Parse("11111111-2222-4333-8444-555555555555"));
  gpt::Partition p;
  p.number = 1;
  p.type = *gpt::ParseType("usr");
  p.uuid = *Uuid::Parse("aaaaaaaa-2222-4333-8444-555555555555");
  p.first_lba = 2048;
  p.last_lba = 4095;
  p.name = label;
  t.partitions.push_back(p);
  return t;
}

Bytes DiskWith(const gpt::Table& t) {
  MemDisk d{Bytes(kDiskBytes, 0)};
  EXPECT_OK(d.WriteAt(0, gpt::EncodeProtectiveMbr(t)));
  EXPECT_OK(WriteTableCrashSafe(d, t, 4096));
  return d.bytes_;
}

std::string LabelOf(ByteSpan disk, bool* from_backup = nullptr) {
  auto r = gpt::ReadRecovering(gpt::MemorySource(disk));
  if (!r.ok()) return "error: " + r.error().ToString();
  if (from_backup) *from_backup = r->from_backup;
  return r->table.partitions.at(0).name;
}

TEST(GptRecover, BothCopiesAgree) {
  Bytes disk = DiskWith(Table("old"));
  bool backup = true;
  EXPECT_EQ(LabelOf(disk, &backup), "old");
  EXPECT_FALSE(backup);
  EXPECT_OK(gpt::Read(gpt::MemorySource(disk), 512));  // the strict reader agrees
}

TEST(GptRecover, FallsBackToTheBackupWhenThePrimaryIsBad) {
  Bytes disk = DiskWith(Table("old"));
  disk[512 + 24] ^= 1;  // my_lba: the header CRC no longer matches
  auto r = gpt::ReadRecovering(gpt::MemorySource(disk));
  ASSERT_OK(r);
  EXPECT_TRUE(r->from_backup);
  EXPECT_EQ(r->note, "primary copy not used: primary header: header CRC mismatch");
  EXPECT_EQ(r->table.partitions.at(0).name, "old");
  auto strict = gpt::Read(gpt::MemorySource(disk), 512);
  ASSERT_ERROR(strict, ErrorCode::kCorrupt);
  EXPECT_EQ(strict.error().message(), "primary header: header CRC mismatch");
}

TEST(GptRecover, BothBadIsAnError) {
  Bytes disk = DiskWith(Table("old"));
  disk[512 + 24] ^= 1;
  disk[kDiskBytes - 512 + 24] ^= 1;
  auto r = gpt::ReadRecovering(gpt::MemorySource(disk));
  ASSERT_ERROR(r, ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().ToString(),
            "no valid GPT (backup: backup header: header CRC mismatch): primary header: header "
            "CRC mismatch");
}

// Replays every prefix of a rewrite "old" -> "new": each reads as one of the two.
TEST(GptRecover, EveryPrefixOfARewriteIsOldOrNew) {
  Bytes old_disk = DiskWith(Table("old"));
  MemDisk rec{old_disk};
  ASSERT_OK(WriteTableCrashSafe(rec, Table("new"), 4096));
  int olds = 0, news = 0, backups = 0;
  for (size_t cut = 0; cut <= rec.ops_.size(); ++cut) {
    Bytes disk = old_disk;
    for (size_t i = 0; i < cut; ++i) {
      const auto& op = rec.ops_[i];
      if (op.offset != UINT64_MAX)
        std::memcpy(disk.data() + op.offset, op.data.data(), op.data.size());
    }
    bool backup = false;
    std::string label = LabelOf(disk, &backup);
    ASSERT_TRUE(label == "old" || label == "new") << "cut " << cut << ": " << label;
    (label == "old" ? olds : news)++;
    backups += backup;
  }
  EXPECT_GT(olds, 0);
  EXPECT_GT(news, 0);
  EXPECT_GT(backups, 0);  // the primary was torn at some cut and the backup had the new table
}

// A rewrite cut off after the primary entries, before the primary header:
// the primary header's CRC of the entries no longer matches, the backup has
// the new table. ReadRepairing writes the primary again; afterwards the
// strict reader (firmware's view: the primary) sees the new table.
TEST(GptRecover, ReadRepairingWritesThePrimaryAgain) {
  Bytes old_disk = DiskWith(Table("old"));
  MemDisk rec{old_disk};
  ASSERT_OK(WriteTableCrashSafe(rec, Table("new"), 1 << 20));
  MemDisk cut{old_disk};
  // Replay every write but the last (the primary header).
  size_t last_write = 0;
  for (size_t i = 0; i < rec.ops_.size(); ++i)
    if (rec.ops_[i].offset != UINT64_MAX) last_write = i;
  ASSERT_EQ(rec.ops_[last_write].offset, 512u);
  for (size_t i = 0; i < last_write; ++i) {
    if (rec.ops_[i].offset != UINT64_MAX) {
      ASSERT_OK(cut.WriteAt(rec.ops_[i].offset, rec.ops_[i].data));
    }
  }
  auto strict = gpt::Read(gpt::MemorySource(cut.bytes_), 512);
  ASSERT_ERROR(strict, ErrorCode::kCorrupt);
  cut.ops_.clear();
  ASSERT_OK_AND_ASSIGN(gpt::Recovered r, ReadRepairing(cut));
  EXPECT_TRUE(r.from_backup);
  EXPECT_EQ(r.table.partitions.at(0).name, "new");
  EXPECT_FALSE(cut.ops_.empty());
  ASSERT_OK_AND_ASSIGN(gpt::Table primary, gpt::Read(gpt::MemorySource(cut.bytes_), 512));
  EXPECT_EQ(primary.partitions.at(0).name, "new");
  // Both copies agree now: nothing more is written.
  cut.ops_.clear();
  ASSERT_OK_AND_ASSIGN(r, ReadRepairing(cut));
  EXPECT_FALSE(r.from_backup);
  EXPECT_TRUE(cut.ops_.empty());
}

TEST(GptRecover, RejectsAChunkThatIsNotWholeSectors) {
  MemDisk d{Bytes(kDiskBytes, 0)};
  Status s = WriteTableCrashSafe(d, Table("x"), 1000);
  ASSERT_ERROR(s, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message(), "chunk 1000 is not a multiple of the sector size 512");
}

}  // namespace
}  // namespace hull::slot

// Unit tests of the GPT codec: type table, attribute bits, names, round trips
// and the corruption matrix (each field damaged -> the specific error).
#include <sys/stat.h>

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/hex.h"
#include "gpt/attributes.h"
#include "gpt/dps.h"
#include "gpt/gpt.h"
#include "gpt/types.h"
#include "support/status_matchers.h"

namespace hull::gpt {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Uuid U(std::string_view s) { return *Uuid::Parse(s); }

TEST(Types, TableIsConsistentBothWays) {
  std::set<std::string_view> names, guids;
  for (const PartitionType& t : AllPartitionTypes()) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_TRUE(guids.insert(t.guid).second) << t.guid;
    auto g = Uuid::Parse(t.guid);
    ASSERT_OK(g) << t.guid;
    EXPECT_EQ(g->ToString(), t.guid) << "GUIDs are stored lowercase";
    EXPECT_EQ(LookupTypeGuid(*g), &t);
    auto byname = LookupTypeName(t.name);
    ASSERT_OK(byname) << t.name;
    EXPECT_EQ(*byname, &t);
    // Arch-specific DPS roles exist for both architectures.
    if (t.arch != Arch::kAny) {
      int both = 0;
      for (const PartitionType& o : AllPartitionTypes())
        if (o.role == t.role) ++both;
      EXPECT_EQ(both, 2) << t.name;
    }
  }
  EXPECT_EQ(LookupTypeGuid(U("00000000-0000-0000-0000-000000000001")), nullptr);
}

TEST(Types, UnqualifiedNamesResolveForTheNativeArch) {
  EXPECT_EQ((*LookupTypeName("usr", Arch::kX86_64))->name, "usr-x86-64");
  EXPECT_EQ((*LookupTypeName("usr-verity", Arch::kArm64))->name, "usr-arm64-verity");
  EXPECT_EQ((*LookupTypeName("root-verity-sig", Arch::kX86_64))->name, "root-x86-64-verity-sig");
  EXPECT_EQ((*LookupTypeName("coreos-usr"))->guid, "5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6");
  EXPECT_ERROR(ParseType("USR-X86-64"), ErrorCode::kInvalidArgument);
  auto bad = LookupTypeName("usr-verity-signature");
  ASSERT_ERROR(bad, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().message(), HasSubstr("unknown partition type 'usr-verity-signature'"));
  EXPECT_THAT(bad.error().message(), HasSubstr("usr-x86-64-verity-sig"));
  EXPECT_EQ(ParseType("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")->ToString(),
            "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
  EXPECT_EQ(DpsDesignator((*LookupTypeName("usr-arm64-verity"))->role), "usr-verity");
}

// REFERENCE.md §2.3, Bottlerocket signpost's test vector.
TEST(Attributes, BottlerocketVectors) {
  uint64_t a = 0x5555555555555555;
  EXPECT_EQ(Priority(a), 5u);
  EXPECT_EQ(Tries(a), 5u);
  EXPECT_TRUE(Successful(a));
  a = WithPriority(a, 0);
  EXPECT_EQ(a, 0x5550555555555555u);
  a = WithTries(a, 0);
  EXPECT_EQ(a, 0x5500555555555555u);
  a = WithSuccessful(a, false);
  EXPECT_EQ(a, 0x5400555555555555u);
  EXPECT_EQ(WithPriority(0, 99), uint64_t(15) << 48);
  EXPECT_EQ(WithTries(0, 1) | WithSuccessful(0, true), (uint64_t(1) << 52) | (uint64_t(1) << 56));
}

TEST(Attributes, NamedFlags) {
  EXPECT_EQ(*AttributeFlag("read-only"), uint64_t(1) << 60);
  EXPECT_EQ(*AttributeFlag("grow-fs"), uint64_t(1) << 59);
  EXPECT_EQ(*AttributeFlag("no-auto"), uint64_t(1) << 63);
  EXPECT_EQ(*AttributeFlag("required"), 1u);
  EXPECT_EQ(*AttributeFlag("no-block-io"), 2u);
  EXPECT_EQ(*AttributeFlag("legacy-bios-bootable"), 4u);
  EXPECT_FALSE(AttributeFlag("readonly").has_value());
  uint64_t a = kAttrReadOnly | kAttrRequired | (uint64_t(1) << 40) | WithPriority(0, 3);
  EXPECT_THAT(AttributeNames(a), ::testing::ElementsAre("required", "read-only", "bit:40"));
}

TEST(Names, Utf16RoundTripAndLimits) {
  for (const std::string& s : std::vector<std::string>{"", "ESP", "usr_202611.24.0_verity",
                                                       "Grüße ☃ 𝄞", std::string(36, 'x')}) {
    auto enc = EncodeName(s);
    ASSERT_OK(enc) << s;
    EXPECT_EQ(enc->size(), 72u);
    EXPECT_EQ(DecodeName(*enc), s);
  }
  EXPECT_EQ(LoadLe16(&(*EncodeName("A"))[0]), 'A');
  auto long_name = EncodeName(std::string(37, 'x'));
  ASSERT_ERROR(long_name, ErrorCode::kInvalidArgument);
  EXPECT_THAT(long_name.error().message(), HasSubstr("37 UTF-16 units long (at most 36)"));
  EXPECT_ERROR(EncodeName("\xff"), ErrorCode::kInvalidArgument);
  // 35 ASCII + one astral character = 37 units: too long.
  EXPECT_ERROR(EncodeName(std::string(35, 'x') + "𝄞"), ErrorCode::kInvalidArgument);
}

Table Sample(uint32_t ss, uint64_t bytes) {
  Table t = *NewTable(bytes, ss, U("5bd3b4a1-3ae3-4b6f-9e0c-2c8c4c6d3f00"));
  uint64_t mib = (1 << 20) / ss;
  t.partitions.push_back({1, U("c12a7328-f81f-11d2-ba4b-00a0c93ec93b"),
                          U("11111111-2222-4333-8444-555555555555"), mib, 2 * mib - 1,
                          kAttrRequired, "ESP"});
  t.partitions.push_back({2, U("8484680c-9521-48c6-9c11-b0720656f69e"),
                          U("954172df-ee9a-aab2-d90a-0ab162ee6bc5"), 2 * mib, 3 * mib - 1,
                          kAttrReadOnly | WithPriority(WithTries(0, 2), 1), "usr_1 é"});
  t.partitions.push_back({5, U("0fc63daf-8483-4772-8e79-3d69d8477de4"),
                          U("a6a77ede-951f-ad19-f0f9-4df0d7266a93"), 3 * mib, t.last_usable_lba, 0,
                          "root"});
  return t;
}

Bytes WriteImage(const Table& t) {
  auto dir = TempDir::Create("hull-gpt-test");
  std::string path = dir->path() + "/disk.raw";
  File f = std::move(File::CreateNew(path).value());
  EXPECT_OK(f.Truncate(t.disk_sectors * t.sector_size));
  Status st = Write(f, t);
  EXPECT_OK(st);
  struct stat sb;
  fstat(f.fd(), &sb);
  // Sparse: only the MBR, headers and entry arrays are allocated.
  EXPECT_LT(uint64_t(sb.st_blocks) * 512, uint64_t(256) << 10);
  return *ReadFileBytes(path);
}

class GptAtSectorSize : public ::testing::TestWithParam<uint32_t> {
 protected:
  uint32_t ss() const { return GetParam(); }
  void SetUp() override {
    table_ = Sample(ss(), 8 << 20);
    image_ = WriteImage(table_);
  }
  uint64_t last() const { return table_.disk_sectors - 1; }
  uint8_t* Header(uint64_t lba) { return &image_[lba * ss()]; }
  // Recomputes the header CRC at `lba` after a deliberate field change.
  void Reseal(uint64_t lba) {
    uint8_t* h = Header(lba);
    StoreLe32(h + 16, 0);
    StoreLe32(h + 16, Crc32(ByteSpan(h, LoadLe32(h + 12) <= ss() ? LoadLe32(h + 12) : 92)));
  }
  void SetHeader64(uint64_t lba, size_t off, uint64_t v) {
    StoreLe64(Header(lba) + off, v);
    Reseal(lba);
  }
  void SetHeader32(uint64_t lba, size_t off, uint32_t v) {
    StoreLe32(Header(lba) + off, v);
    Reseal(lba);
  }
  // Changes entry `n` (1-based) at `off` in both arrays and reseals both headers.
  void SetEntry64(uint32_t n, size_t off, uint64_t v) {
    for (uint64_t lba : {uint64_t(1), last()}) {
      uint8_t* h = Header(lba);
      uint8_t* arr = &image_[LoadLe64(h + 72) * ss()];
      StoreLe64(arr + (n - 1) * 128 + off, v);
      StoreLe32(h + 88, Crc32(ByteSpan(arr, 128 * 128)));
      Reseal(lba);
    }
  }
  Error ReadError() {
    MemorySource src(image_);
    auto r = Read(src, ss());
    EXPECT_FALSE(r.ok());
    if (r.ok()) return Error(ErrorCode::kInternal, "read succeeded");
    return r.error();
  }
  void ExpectCorrupt(std::string_view prefix) {
    Error e = ReadError();
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.ToString();
    EXPECT_THAT(e.message(), StartsWith(std::string(prefix)));
  }

  Table table_;
  Bytes image_;
};

TEST_P(GptAtSectorSize, RoundTrip) {
  MemorySource src(image_);
  auto r = Read(src, ss());
  ASSERT_OK(r);
  EXPECT_EQ(r->disk_guid, table_.disk_guid);
  EXPECT_EQ(r->disk_sectors, table_.disk_sectors);
  EXPECT_EQ(r->first_usable_lba, ss() == 512 ? 34u : 6u);
  EXPECT_EQ(r->last_usable_lba, table_.disk_sectors - (ss() == 512 ? 34u : 6u));
  ASSERT_EQ(r->partitions.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Partition &a = table_.partitions[i], &b = r->partitions[i];
    EXPECT_EQ(a.number, b.number);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.uuid, b.uuid);
    EXPECT_EQ(a.first_lba, b.first_lba);
    EXPECT_EQ(a.last_lba, b.last_lba);
    EXPECT_EQ(a.attributes, b.attributes);
    EXPECT_EQ(a.name, b.name);
  }
  auto autod = ReadAuto(src);
  ASSERT_OK(autod);
  EXPECT_EQ(autod->sector_size, ss());
  // Same table, same bytes.
  EXPECT_EQ(WriteImage(*r), image_);
}

TEST_P(GptAtSectorSize, MixedEndianGuidOnDisk) {
  // UEFI App. A: the first three GUID fields little-endian. ESP type at entry 1.
  const uint8_t* e = &image_[2 * ss()];
  EXPECT_EQ(HexEncode(ByteSpan(e, 16)), "28732ac11ff8d211ba4b00a0c93ec93b");
}

TEST_P(GptAtSectorSize, CorruptMbr) {
  image_[510] ^= 0xFF;
  ExpectCorrupt("protective MBR: missing boot signature 0x55AA");
  image_[510] ^= 0xFF;
  image_[446 + 4] = 0x83;
  ExpectCorrupt("protective MBR: no 0xEE partition record");
}

TEST_P(GptAtSectorSize, CorruptPrimaryHeaderFields) {
  Bytes good = image_;
  Header(1)[0] ^= 1;
  ExpectCorrupt("primary header: bad signature");
  image_ = good;
  SetHeader32(1, 8, 0x00020000);
  EXPECT_EQ(ReadError().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(ReadError().message(), "primary header: unsupported revision 0x00020000");
  image_ = good;
  SetHeader32(1, 12, 91);
  ExpectCorrupt("primary header: header size 91 outside 92..");
  image_ = good;
  SetHeader32(1, 12, ss() + 1);
  ExpectCorrupt("primary header: header size");
  image_ = good;
  Header(1)[60] ^= 1;  // disk GUID byte, CRC not updated
  ExpectCorrupt("primary header: header CRC mismatch");
  image_ = good;
  SetHeader32(1, 20, 1);
  ExpectCorrupt("primary header: reserved bytes are not zero");
  image_ = good;
  SetHeader64(1, 24, 2);
  ExpectCorrupt("primary header: my_lba 2 but the header is at LBA 1");
  image_ = good;
  SetHeader64(1, 32, 1);
  ExpectCorrupt("primary header: alternate_lba 1 invalid");
  image_ = good;
  SetHeader64(1, 32, table_.disk_sectors);
  ExpectCorrupt("truncated image: backup header at LBA");
  image_ = good;
  SetHeader32(1, 84, 100);
  ExpectCorrupt("primary header: entry size 100");
  image_ = good;
  SetHeader32(1, 84, 8192);
  ExpectCorrupt("primary header: entry size 8192");
  image_ = good;
  SetHeader32(1, 80, 0);
  ExpectCorrupt("primary header: entry count 0");
  image_ = good;
  SetHeader32(1, 80, kMaxEntryCount + 1);
  ExpectCorrupt("primary header: entry count 4097");
  image_ = good;
  SetHeader64(1, 40, 1);
  ExpectCorrupt("primary header: usable range 1..");
  image_ = good;
  SetHeader64(1, 48, last());
  ExpectCorrupt("primary header: usable range");
  image_ = good;
  SetHeader64(1, 72, 1);
  ExpectCorrupt("primary header: entries LBA 1");
  image_ = good;
  SetHeader64(1, 72, table_.first_usable_lba - 1);
  ExpectCorrupt("primary header: entries LBA");
  image_ = good;
  image_[2 * ss() + 200] ^= 1;  // entry bytes, entries CRC not updated
  ExpectCorrupt("primary header: entries CRC mismatch");
}

TEST_P(GptAtSectorSize, CorruptEntries) {
  Bytes good = image_;
  SetEntry64(1, 32, table_.partitions[0].last_lba + 1);
  ExpectCorrupt("partition 1: first LBA > last LBA");
  image_ = good;
  SetEntry64(5, 40, last());
  ExpectCorrupt("partition 5: outside usable range");
  image_ = good;
  SetEntry64(1, 32, table_.first_usable_lba - 1);
  ExpectCorrupt("partition 1: outside usable range");
  image_ = good;
  SetEntry64(1, 40, table_.partitions[1].first_lba);
  ExpectCorrupt("partitions 1 and 2 overlap");
}

TEST_P(GptAtSectorSize, CorruptBackup) {
  Bytes good = image_;
  Header(last())[0] ^= 1;
  ExpectCorrupt("backup header: bad signature");
  image_ = good;
  Header(last())[60] ^= 1;
  ExpectCorrupt("backup header: header CRC mismatch");
  image_ = good;
  SetHeader64(last(), 32, 2);
  ExpectCorrupt("backup header: alternate_lba 2 invalid");
  image_ = good;
  SetHeader64(1, 32, last() - 1);  // primary points at a sector that is not the backup
  ExpectCorrupt("backup header: bad signature");
  image_ = good;
  SetHeader64(last(), 72, table_.last_usable_lba);
  ExpectCorrupt("backup header: entries LBA");
  image_ = good;
  SetHeader64(last(), 40, table_.first_usable_lba + 1);
  ExpectCorrupt("backup header mismatch: first usable LBA");
  image_ = good;
  Header(last())[56] ^= 1;
  Reseal(last());
  ExpectCorrupt("backup header mismatch: disk GUID");
  image_ = good;
  // Backup array differs (a name byte) but is self-consistent.
  uint8_t* h = Header(last());
  uint8_t* arr = &image_[LoadLe64(h + 72) * ss()];
  arr[56] = 'X';
  StoreLe32(h + 88, Crc32(ByteSpan(arr, 128 * 128)));
  Reseal(last());
  ExpectCorrupt("backup header mismatch: entries");
}

TEST_P(GptAtSectorSize, Truncated) {
  image_.resize(image_.size() - ss());
  ExpectCorrupt("truncated image: backup header at LBA");
  image_.resize(2 * ss());
  ExpectCorrupt("truncated image: ");
  image_.resize(ss() * 3 + 7);  // headers readable, primary entries cut
  ExpectCorrupt("truncated image: ");
}

INSTANTIATE_TEST_SUITE_P(SectorSizes, GptAtSectorSize, ::testing::Values(512u, 4096u));

TEST(Write, RefusesInvalidTables) {
  Table t = Sample(512, 8 << 20);
  t.partitions[1].first_lba = t.partitions[0].last_lba;
  EXPECT_EQ(Validate(t).error().message(), "partitions 1 and 2 overlap");
  t = Sample(512, 8 << 20);
  t.partitions[2].last_lba = t.last_usable_lba + 1;
  EXPECT_THAT(Validate(t).error().message(), StartsWith("partition 5: LBAs"));
  t = Sample(512, 8 << 20);
  t.partitions[0].name = std::string(40, 'n');
  EXPECT_THAT(Validate(t).error().ToString(), StartsWith("partition 1: partition name"));
  EXPECT_ERROR(NewTable(8 << 20, 1024, Uuid()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(NewTable(16 << 10, 512, Uuid()).error().message(),
            "disk of 16384 bytes is too small for a GPT");
}

// The DPS example of systemd/mkosi#1612 (REFERENCE.md §3.1); the UUIDs are
// Python's reading of the same bytes, independent of our Uuid type:
//   python3 -c "import uuid;
//   h=bytes.fromhex('954172dfee9aaab2d90a0ab162ee6bc5a6a77ede951fad19f0f94df0d7266a93');
//               print(uuid.UUID(bytes=h[:16]), uuid.UUID(bytes=h[-16:]))"
//   954172df-ee9a-aab2-d90a-0ab162ee6bc5 a6a77ede-951f-ad19-f0f9-4df0d7266a93
TEST(Dps, VerityUuidsFromRootHash) {
  Bytes h = *HexDecode("954172dfee9aaab2d90a0ab162ee6bc5a6a77ede951fad19f0f94df0d7266a93");
  auto u = DpsVerityUuids(h);
  ASSERT_OK(u);
  EXPECT_EQ(u->data.ToString(), "954172df-ee9a-aab2-d90a-0ab162ee6bc5");
  EXPECT_EQ(u->verity.ToString(), "a6a77ede-951f-ad19-f0f9-4df0d7266a93");
  EXPECT_EQ(RootHashOfVerityUuids(*u), h);
  EXPECT_ERROR(DpsVerityUuids(ByteSpan(h.data(), 31)), ErrorCode::kInvalidArgument);
}

// A longer (SHA-512) root hash: the verity UUID is its last 16 bytes.
//   python3 -c "import uuid; h=bytes(range(64)); print(uuid.UUID(bytes=h[:16]),
//   uuid.UUID(bytes=h[-16:]))" 00010203-0405-0607-0809-0a0b0c0d0e0f
//   30313233-3435-3637-3839-3a3b3c3d3e3f
TEST(Dps, VerityUuidIsTheLast128Bits) {
  Bytes h(64);
  for (size_t i = 0; i < h.size(); ++i) h[i] = uint8_t(i);
  auto u = DpsVerityUuids(h);
  ASSERT_OK(u);
  EXPECT_EQ(u->data.ToString(), "00010203-0405-0607-0809-0a0b0c0d0e0f");
  EXPECT_EQ(u->verity.ToString(), "30313233-3435-3637-3839-3a3b3c3d3e3f");
}

}  // namespace
}  // namespace hull::gpt

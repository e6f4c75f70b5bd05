// Unit tests of the one slot verifier (slot/check.h) on a small disk made in
// a temp file: a usr area, its verity tree (the tree engine), a signature
// partition signed with a throw-away key; then each region damaged -> the
// specific failed check.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/hex.h"
#include "gpt/dps.h"
#include "gpt/types.h"
#include "slot/check.h"
#include "support/status_matchers.h"
#include "verity/signature.h"
#include "verity/superblock.h"
#include "verity/tree.h"

namespace hull::slot {
namespace {

using ::testing::HasSubstr;

constexpr uint32_t kSector = 512;
constexpr uint64_t kUsrLba = 2048, kVerLba = 4096, kSigLba = 6144;  // 1, 2, 3 MiB
constexpr uint64_t kSectors = 128;                                  // 64 KiB each
constexpr uint64_t kDataBlocks = 16;

gpt::Partition Part(uint32_t n, const char* type, uint64_t lba, std::string label) {
  gpt::Partition p;
  p.number = n;
  p.type = *gpt::ParseType(type);
  p.first_lba = lba;
  p.last_lba = lba + kSectors - 1;
  p.name = std::move(label);
  return p;
}

class CheckSlotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tmp = TempDir::Create("hull-check-test");
    ASSERT_OK(tmp);
    tmp_.emplace(std::move(tmp).value());
    path_ = tmp_->path() + "/disk.raw";
    auto f = File::CreateNew(path_);
    ASSERT_OK(f);
    ASSERT_OK(f->Truncate(4 << 20));
    Bytes data(kDataBlocks * 4096);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + i / 4096);
    ASSERT_OK(f->WriteAt(kUsrLba * kSector, data));
    params_.data_blocks = kDataBlocks;
    params_.data_offset = kUsrLba * kSector;
    params_.hash_offset = kVerLba * kSector;
    params_.salt = Bytes(32, 0x5a);
    params_.uuid = *Uuid::Parse("0f0e0d0c-0b0a-4908-8706-050403020100");
    auto tree = verity::FormatTree(*f, *f, params_);
    ASSERT_OK(tree);
    root_ = tree->root_hash;
    auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
    ASSERT_OK(key);
    auto cert = crypto::Certificate::CreateSelfSigned(*key, {.common_name = "slot test"});
    ASSERT_OK(cert);
    cert_.emplace(std::move(cert).value());
    auto sig = verity::SignRootHash(root_, *key, *cert_);
    ASSERT_OK(sig);
    auto content = verity::EncodeSignaturePartition(root_, *sig, *cert_);
    ASSERT_OK(content);
    ASSERT_OK(f->WriteAt(kSigLba * kSector, *content));
    auto uuids = *gpt::DpsVerityUuids(root_);
    parts_.usr = Part(2, "usr-x86-64", kUsrLba, "usr_1");
    parts_.usr.uuid = uuids.data;
    parts_.verity = Part(3, "usr-x86-64-verity", kVerLba, "usr_1_verity");
    parts_.verity->uuid = uuids.verity;
    parts_.signature = Part(4, "usr-x86-64-verity-sig", kSigLba, "usr_1_verity_sig");
  }

  SlotCheck Check(const CheckOptions& o = {}) {
    auto f = File::OpenRead(path_);
    EXPECT_OK(f);
    return CheckSlot(*f, kSector, parts_, "A", o);
  }

  void Poke(uint64_t offset, ByteSpan bytes) {
    auto f = File::OpenReadWrite(path_);
    ASSERT_OK(f);
    ASSERT_OK(f->WriteAt(offset, bytes));
  }

  static const Finding* Find(const SlotCheck& c, const char* check) {
    for (const Finding& f : c.findings)
      if (std::string_view(f.check) == check) return &f;
    return nullptr;
  }

  std::optional<TempDir> tmp_;
  std::string path_;
  verity::VerityParams params_;
  Bytes root_;
  std::optional<crypto::Certificate> cert_;
  SlotParts parts_;
};

TEST_F(CheckSlotTest, GoodSlotPassesEveryCheck) {
  CheckOptions o;
  o.cert = &*cert_;
  o.expected_root = HexEncode(root_);
  SlotCheck c = Check(o);
  EXPECT_TRUE(c.ok());
  EXPECT_OK(c.ToStatus());
  EXPECT_EQ(c.root_hash, HexEncode(root_));
  EXPECT_EQ(c.signed_root_hash, HexEncode(root_));
  EXPECT_EQ(c.data_blocks, kDataBlocks);
  std::vector<std::string> names;
  for (const Finding& f : c.findings) {
    names.push_back(f.check);
    EXPECT_EQ(f.outcome, Outcome::kPass) << f.check << ": " << f.detail;
  }
  EXPECT_THAT(names, ::testing::ElementsAre(kCheckSizes, kCheckSignature, kCheckTree,
                                            kCheckSignedRoot, kCheckUuids, kCheckExpected));
}

TEST_F(CheckSlotTest, WithoutCertificateTheSignatureIsSkippedNotFailed) {
  SlotCheck c = Check();
  EXPECT_TRUE(c.ok());
  ASSERT_NE(Find(c, kCheckSignature), nullptr);
  EXPECT_EQ(Find(c, kCheckSignature)->outcome, Outcome::kSkip);
  EXPECT_EQ(Find(c, kCheckExpected), nullptr);
}

// data_blocks * data_block_size wraps around 2^64 to 4096 bytes, which would
// fit the usr partition: the size check must see the overflow (`hull
// inspect` once multiplied unchecked and went on to read 2^52 blocks).
TEST_F(CheckSlotTest, OverflowingDataBlocksFailTheSizeCheck) {
  verity::VerityParams evil = params_;
  evil.data_blocks = (uint64_t(1) << 52) + 1;
  Poke(kVerLba * kSector, verity::EncodeSuperblock(evil));
  SlotCheck c = Check();
  ASSERT_NE(Find(c, kCheckSizes), nullptr);
  EXPECT_EQ(Find(c, kCheckSizes)->outcome, Outcome::kFail);
  EXPECT_EQ(Find(c, kCheckTree), nullptr) << "the tree is not read past a failed size check";
  Status st = c.ToStatus();
  ASSERT_ERROR(st, ErrorCode::kVerifyFailed);
  EXPECT_EQ(st.error().message(),
            "slot A: sizes: 4503599627370497 data blocks of 4096 bytes run past the usr "
            "partition (65536 bytes)");
}

TEST_F(CheckSlotTest, DataBlocksPastTheUsrPartitionFailTheSizeCheck) {
  verity::VerityParams big = params_;
  big.data_blocks = kDataBlocks + 1;
  Poke(kVerLba * kSector, verity::EncodeSuperblock(big));
  EXPECT_EQ(Find(Check(), kCheckSizes)->outcome, Outcome::kFail);
}

TEST_F(CheckSlotTest, FlippedDataByteFailsTheTree) {
  Poke(kUsrLba * kSector + 5 * 4096 + 100, Bytes{0xff});
  SlotCheck c = Check();
  ASSERT_NE(Find(c, kCheckTree), nullptr);
  EXPECT_EQ(Find(c, kCheckTree)->outcome, Outcome::kFail);
  EXPECT_THAT(Find(c, kCheckTree)->detail, HasSubstr("data block 5 does not match its digest"));
}

TEST_F(CheckSlotTest, UuidsThatAreNotTheRootHashHalvesFail) {
  parts_.usr.uuid = *Uuid::Parse("11111111-2222-4333-8444-555555555555");
  SlotCheck c = Check();
  EXPECT_EQ(Find(c, kCheckUuids)->outcome, Outcome::kFail);
  EXPECT_ERROR(c.ToStatus(), ErrorCode::kVerifyFailed);
}

TEST_F(CheckSlotTest, AnotherExpectedRootFails) {
  CheckOptions o;
  o.expected_root = std::string(64, 'a');
  SlotCheck c = Check(o);
  EXPECT_EQ(Find(c, kCheckExpected)->outcome, Outcome::kFail);
  EXPECT_THAT(c.ToStatus().error().message(), HasSubstr("expected " + std::string(64, 'a')));
}

TEST_F(CheckSlotTest, SignatureByAnotherKeyFails) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  ASSERT_OK(key);
  auto other = crypto::Certificate::CreateSelfSigned(*key, {.common_name = "other"});
  ASSERT_OK(other);
  CheckOptions o;
  o.cert = &*other;
  SlotCheck c = Check(o);
  EXPECT_EQ(Find(c, kCheckSignature)->outcome, Outcome::kFail);
  EXPECT_ERROR(c.ToStatus(), Find(c, kCheckSignature)->code);
}

TEST(PairSlots, ByLabelThenTheRestInTableOrder) {
  gpt::Table t;
  auto P = [](uint32_t n, const char* type, std::string label) {
    return Part(n, type, 2048 + 200 * n, std::move(label));
  };
  t.partitions = {P(2, "usr-x86-64", "usr_2"),
                  P(3, "usr-x86-64", "_empty"),
                  P(4, "usr-x86-64-verity", "_empty"),
                  P(5, "usr-x86-64-verity", "usr_2_verity"),
                  P(6, "usr-x86-64-verity-sig", "_empty"),
                  P(7, "usr-x86-64-verity-sig", "usr_2_verity_sig")};
  auto slots = PairSlots(t);
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].usr.number, 2u);
  EXPECT_EQ(slots[0].verity->number, 5u);
  EXPECT_EQ(slots[0].signature->number, 7u);
  EXPECT_EQ(slots[1].usr.number, 3u);
  EXPECT_EQ(slots[1].verity->number, 4u);
  EXPECT_EQ(slots[1].signature->number, 6u);
  t.partitions.pop_back();
  t.partitions.pop_back();
  slots = PairSlots(t);
  EXPECT_FALSE(slots[0].signature.has_value());
  EXPECT_FALSE(slots[1].signature.has_value());
}

}  // namespace
}  // namespace hull::slot

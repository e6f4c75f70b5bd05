// VerifyPayload's size check against hostile verity superblocks.
#include "slot/payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "base/file.h"
#include "support/status_matchers.h"
#include "verity/superblock.h"

namespace hull::slot {
namespace {

// A payload whose usr image is one 4 KiB block and whose hash file is only a
// superblock claiming `data_blocks` blocks of 4 KiB.
class PayloadSize : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TempDir t, TempDir::Create("hull-payload-size"));
    tmp_.emplace(std::move(t));
  }

  Status VerifyClaiming(uint64_t data_blocks) {
    Payload p;
    p.version = "202612.1.0";
    p.root_hash = std::string(64, '0');
    p.usr_path = tmp_->path() + "/usr.erofs";
    p.verity_path = tmp_->path() + "/usr.verity";
    verity::VerityParams params;
    params.data_blocks = data_blocks;
    HULL_TRY(WriteFileAtomic(p.usr_path, Bytes(4096, 0)));
    HULL_TRY(WriteFileAtomic(p.verity_path, verity::EncodeSuperblock(params)));
    return VerifyPayload(p, nullptr);
  }

  std::optional<TempDir> tmp_;
};

TEST_F(PayloadSize, TreeLargerThanUsrIsRefused) {
  EXPECT_THAT(VerifyClaiming(2),
              testing::ErrorIs(ErrorCode::kVerifyFailed, ::testing::HasSubstr("the tree covers")));
}

// 2^52 blocks of 2^12 bytes: the product is 2^64, which wraps to 0 in 64
// bits and would pass an unchecked comparison with the usr size.
TEST_F(PayloadSize, BlockCountWhoseByteSizeOverflowsIsRefused) {
  EXPECT_THAT(VerifyClaiming(uint64_t(1) << 52),
              testing::ErrorIs(ErrorCode::kVerifyFailed, ::testing::HasSubstr("the tree covers")));
  EXPECT_THAT(VerifyClaiming((uint64_t(1) << 52) + 1),
              testing::ErrorIs(ErrorCode::kVerifyFailed, ::testing::HasSubstr("the tree covers")));
}

}  // namespace
}  // namespace hull::slot

// The published verity parameters (verity/published.h): a hash file
// recomputed from PublishedParams is byte-identical to the one FormatTree
// wrote (the file a release publishes), and a malformed object is refused
// before any tree is built. The end-to-end case against a published
// repository is tests/release.
#include "verity/published.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/file.h"
#include "support/status_matchers.h"
#include "verity/tree.h"

namespace hull::verity {
namespace {

class PublishedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tmp = TempDir::Create("hull-published-test");
    ASSERT_OK(tmp);
    tmp_.emplace(std::move(tmp).value());
    usr_ = tmp_->path() + "/usr.img";
    Bytes data(9 * 4096);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13 + i / 4096);
    ASSERT_OK(WriteFileAtomic(usr_, data));
    auto in = File::OpenRead(usr_);
    auto out = File::CreateNew(tmp_->path() + "/usr.verity");
    ASSERT_OK(in);
    ASSERT_OK(out);
    VerityParams p;
    p.salt = Bytes(32, 0x11);
    p.uuid = *Uuid::Parse("0f0e0d0c-0b0a-4908-8706-050403020100");
    auto f = FormatTree(*in, *out, p);
    ASSERT_OK(f);
    ASSERT_OK(out->Truncate(64 * 1024));  // as published: padded
    published_ = PublishedParams(f->params, 64 * 1024);
  }

  Result<Bytes> Read(const std::string& name) {
    return ReadFileBytes(tmp_->path() + "/" + name, 1 << 20);
  }

  std::optional<TempDir> tmp_;
  std::string usr_;
  nlohmann::json published_;
};

TEST_F(PublishedTest, RecomputedHashFileIsThePublishedOne) {
  EXPECT_EQ(published_["data_blocks"], 9);
  EXPECT_EQ(published_["file_length"], 64 * 1024);
  Status st = RecomputeHashFile(published_, usr_, tmp_->path() + "/again.verity");
  ASSERT_OK(st);
  EXPECT_EQ(*Read("again.verity"), *Read("usr.verity"));
}

TEST_F(PublishedTest, MalformedObjectIsRefused) {
  nlohmann::json j = published_;
  j.erase("salt");
  Status st = RecomputeHashFile(j, usr_, tmp_->path() + "/x.verity");
  ASSERT_ERROR(st, ErrorCode::kInvalidArgument);
  j = published_;
  j["data_block_size"] = 1000;  // not a power of two
  EXPECT_ERROR(RecomputeHashFile(j, usr_, tmp_->path() + "/x.verity"), ErrorCode::kInvalidArgument);
}

TEST_F(PublishedTest, TreeLargerThanThePublishedFileIsRefused) {
  nlohmann::json j = published_;
  j["file_length"] = 4096;
  EXPECT_ERROR(RecomputeHashFile(j, usr_, tmp_->path() + "/x.verity"), ErrorCode::kVerifyFailed);
}

// The usr image inside a larger "disk" (a head block, the image, then 100
// blocks of another partition): the tree covers the image only.
class PublishedInDiskTest : public PublishedTest {
 protected:
  void SetUp() override {
    PublishedTest::SetUp();
    auto usr = ReadFileBytes(usr_);
    ASSERT_OK(usr);
    Bytes disk(4096 + usr->size() + 100 * 4096, 0x5A);
    std::fill(disk.begin(), disk.begin() + 4096, 0xEE);
    std::copy(usr->begin(), usr->end(), disk.begin() + 4096);
    ASSERT_OK(WriteFileAtomic(tmp_->path() + "/disk.img", disk));
    auto f = File::OpenRead(tmp_->path() + "/disk.img");
    ASSERT_OK(f);
    disk_ = std::move(*f);
  }
  File disk_;
};

TEST_F(PublishedInDiskTest, DataBlocksPastTheUsrImageAreRefused) {
  nlohmann::json j = published_;
  j["data_blocks"] = 20;  // 9 of the image, 11 of the partition after it
  EXPECT_ERROR(RecomputeHashFile(j, disk_, 4096, 9 * 4096, tmp_->path() + "/x.verity"),
               ErrorCode::kInvalidArgument);
  // As published: the same file as from the image alone.
  ASSERT_OK(RecomputeHashFile(published_, disk_, 4096, 9 * 4096, tmp_->path() + "/d.verity"));
  EXPECT_EQ(*Read("d.verity"), *Read("usr.verity"));
}

TEST_F(PublishedInDiskTest, ZeroDataBlocksMeansTheUsrImage) {
  nlohmann::json j = published_;
  j["data_blocks"] = 0;
  ASSERT_OK(RecomputeHashFile(j, disk_, 4096, 9 * 4096, tmp_->path() + "/z.verity"));
  EXPECT_EQ(*Read("z.verity"), *Read("usr.verity"));
  // Not whole blocks: refused.
  EXPECT_ERROR(RecomputeHashFile(j, disk_, 4096, 9 * 4096 - 1, tmp_->path() + "/y.verity"),
               ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hull::verity

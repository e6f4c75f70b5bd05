// The published verity parameters (verity/published.h): a hash file
// recomputed from PublishedParams is byte-identical to the one FormatTree
// wrote (the file a release publishes), and a malformed object is refused
// before any tree is built. The end-to-end case against a published
// repository is tests/release.
#include "verity/published.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hull::verity

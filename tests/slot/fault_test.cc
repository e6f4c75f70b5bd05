// The power-loss model: operation counting, the volatile write cache and the
// crash modes, on a real temp file.
#include "slot/fault.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::slot {
namespace {

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("hull-fault");
    ASSERT_OK(dir);
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    path_ = dir_->path() + "/disk";
    ASSERT_OK(WriteFileAtomic(path_, Bytes(8192, 0)));
    auto disk = FileDisk::Open(path_, true);
    ASSERT_OK(disk);
    disk_ = std::move(*disk);
  }
  Bytes OnFile() { return *ReadFileBytes(path_); }
  std::unique_ptr<TempDir> dir_;
  std::string path_;
  std::unique_ptr<FileDisk> disk_;
};

TEST_F(FaultTest, WritesStayCachedUntilSync) {
  PowerCut cut;
  FaultyDisk d(*disk_, cut);
  ASSERT_OK(d.WriteAt(10, Bytes{1, 2, 3}));
  EXPECT_EQ(OnFile()[10], 0);  // not on the medium yet
  Bytes back(3);
  ASSERT_OK(d.ReadAt(10, back));
  EXPECT_EQ(back, (Bytes{1, 2, 3}));  // but visible to reads
  ASSERT_OK(d.Sync());
  EXPECT_EQ(OnFile()[11], 2);
  EXPECT_EQ(cut.operations(), 2u);
}

TEST_F(FaultTest, CutFailsThatAndEveryLaterOperation) {
  PowerCut cut(2);
  FaultyDisk d(*disk_, cut);
  ASSERT_OK(d.WriteAt(0, Bytes{7}));
  auto w = d.WriteAt(1, Bytes{8});
  ASSERT_ERROR(w, ErrorCode::kIo);
  EXPECT_EQ(w.error().message(), "power lost at operation 2 (write 1 bytes at 1)");
  auto s = d.Sync();
  ASSERT_ERROR(s, ErrorCode::kIo);
  EXPECT_EQ(s.error().message(), "power lost at operation 2 (write 1 bytes at 1)");
  EXPECT_TRUE(cut.lost());
  EXPECT_EQ(*d.Crash(CrashMode::kDropAll), 0u);
  EXPECT_EQ(OnFile()[0], 0);  // the unsynced write is gone
}

TEST_F(FaultTest, KeepAlternatePersistsEveryOtherWrite) {
  PowerCut cut(5);
  FaultyDisk d(*disk_, cut);
  for (uint8_t i = 0; i < 4; ++i) ASSERT_OK(d.WriteAt(i, Bytes{uint8_t(i + 1)}));
  ASSERT_ERROR(d.Sync(), ErrorCode::kIo);
  EXPECT_EQ(*d.Crash(CrashMode::kKeepAlternate), 2u);
  Bytes f = OnFile();
  EXPECT_EQ((Bytes{f[0], f[1], f[2], f[3]}), (Bytes{1, 0, 3, 0}));
}

TEST_F(FaultTest, WritePastTheEndIsRefused) {
  PowerCut cut;
  FaultyDisk d(*disk_, cut);
  auto w = d.WriteAt(8190, Bytes{1, 2, 3});
  ASSERT_ERROR(w, ErrorCode::kInvalidArgument);
  EXPECT_EQ(w.error().message(), "write of 3 bytes at 8190 past the disk end (8192)");
}

}  // namespace
}  // namespace hull::slot

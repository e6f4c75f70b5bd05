#include "delta/patch.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/digest.h"
#include "old_new_fixture.h"
#include "support/status_matchers.h"

namespace hull::delta {
namespace {

namespace fs = std::filesystem;

class PatchTest : public testing::OldNewTest {
 protected:
  void SetUp() override {
    OldNewTest::SetUp();
    if (HasFatalFailure()) return;
    patch_path_ = dir_ + "/patch.zst";
    out_path_ = dir_ + "/out";
  }
  ApplyExpect Expect() const { return {.sha256 = crypto::Sha256(new_), .length = new_.size()}; }
  // Nothing but the inputs (and the patch) in the directory: no output, no temp file.
  void ExpectNoOutput() {
    EXPECT_FALSE(fs::exists(out_path_));
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) n += e.path().filename() != "patch.zst";
    EXPECT_EQ(n, 2u);
  }

  std::string patch_path_, out_path_;
};

TEST_F(PatchTest, RoundTrip) {
  auto m = MakePatch(old_path_, new_path_, patch_path_, {.level = 19});
  ASSERT_OK(m);
  EXPECT_EQ(m->new_size, new_.size());
  EXPECT_EQ(m->window_log, 24);  // 6 MiB -> 2^23 covers it, +1 as zstd --patch-from does
  // Three small edits of a 6 MiB file: the patch is a few KiB.
  EXPECT_LT(m->patch_size, 20000u);
  auto a = ApplyPatch(old_path_, patch_path_, out_path_, Expect());
  ASSERT_OK(a);
  EXPECT_EQ(*ReadFileBytes(out_path_), new_);
  // Without --size, the frame header's content size is used.
  fs::remove(out_path_);
  auto b = ApplyPatch(old_path_, patch_path_, out_path_, {.sha256 = crypto::Sha256(new_)});
  ASSERT_OK(b);
}

TEST_F(PatchTest, WrongDigestLeavesNothing) {
  ASSERT_OK(MakePatch(old_path_, new_path_, patch_path_, {.level = 3}));
  ApplyExpect e = Expect();
  e.sha256[0] ^= 1;
  auto a = ApplyPatch(old_path_, patch_path_, out_path_, e);
  ASSERT_ERROR(a, ErrorCode::kVerifyFailed);
  EXPECT_EQ(a.error().ToString(), patch_path_ + ": result SHA-256 mismatch");
  ExpectNoOutput();
}

TEST_F(PatchTest, WrongLength) {
  ASSERT_OK(MakePatch(old_path_, new_path_, patch_path_, {.level = 3}));
  ApplyExpect e = Expect();
  *e.length += 1;
  auto a = ApplyPatch(old_path_, patch_path_, out_path_, e);
  ASSERT_ERROR(a, ErrorCode::kCorrupt);
  EXPECT_EQ(a.error().ToString(), fmt::format("{}: patch makes {} bytes, expected {}", patch_path_,
                                              new_.size(), new_.size() + 1));
  ExpectNoOutput();
}

TEST_F(PatchTest, CorruptPatch) {
  ASSERT_OK(MakePatch(old_path_, new_path_, patch_path_, {.level = 3}));
  Bytes p = *ReadFileBytes(patch_path_);
  p[p.size() / 2] ^= 0x10;
  ASSERT_OK(WriteFileAtomic(patch_path_, p));
  auto a = ApplyPatch(old_path_, patch_path_, out_path_, Expect());
  ASSERT_ERROR(a, ErrorCode::kCorrupt);
  EXPECT_NE(a.error().message().find("decoding patch: "), std::string::npos)
      << a.error().ToString();
  ExpectNoOutput();
}

TEST_F(PatchTest, TruncatedPatch) {
  ASSERT_OK(MakePatch(old_path_, new_path_, patch_path_, {.level = 3}));
  Bytes p = *ReadFileBytes(patch_path_);
  for (size_t n : {p.size() - 1, p.size() / 2, size_t(3)}) {
    ASSERT_OK(WriteFileAtomic(patch_path_, ByteSpan(p).first(n)));
    auto a = ApplyPatch(old_path_, patch_path_, out_path_, Expect());
    ASSERT_FALSE(a.ok()) << n;
    EXPECT_ERROR(a, ErrorCode::kCorrupt) << n;
    std::string want = n == 3 ? "patch truncated: no complete zstd frame header"
                              : "patch truncated: zstd frame incomplete";
    EXPECT_EQ(a.error().message(), want) << n;
    ExpectNoOutput();
  }
}

TEST_F(PatchTest, TrailingGarbage) {
  ASSERT_OK(MakePatch(old_path_, new_path_, patch_path_, {.level = 3}));
  Bytes p = *ReadFileBytes(patch_path_);
  p.push_back(0);
  ASSERT_OK(WriteFileAtomic(patch_path_, p));
  auto a = ApplyPatch(old_path_, patch_path_, out_path_, Expect());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message(), "trailing data after the zstd frame");
  ExpectNoOutput();
}

// The patch applied to another OLD: zstd's content checksum catches it.
TEST_F(PatchTest, WrongOld) {
  ASSERT_OK(MakePatch(old_path_, new_path_, patch_path_, {.level = 3}));
  Bytes other = old_;
  for (size_t i = 0; i < other.size(); i += 4096) other[i] ^= 0xff;
  ASSERT_OK(WriteFileAtomic(old_path_, other));
  auto a = ApplyPatch(old_path_, patch_path_, out_path_, Expect());
  ASSERT_ERROR(a, ErrorCode::kCorrupt);
  EXPECT_EQ(a.error().message(), "decoding patch: Restored data doesn't match checksum");
  ExpectNoOutput();
}

TEST_F(PatchTest, BadArguments) {
  auto m = MakePatch(old_path_, new_path_, patch_path_, {.level = 23});
  ASSERT_ERROR(m, ErrorCode::kInvalidArgument);
  EXPECT_EQ(m.error().message(), "level 23 outside 1..22");
  EXPECT_FALSE(fs::exists(patch_path_));
  auto a = ApplyPatch(old_path_, new_path_, out_path_, {.sha256 = Bytes(31)});
  EXPECT_EQ(a.error().message(), "expected SHA-256 must be 32 bytes");
  auto nz = ApplyPatch(old_path_, new_path_, out_path_, Expect());  // NEW is no zstd frame
  ASSERT_ERROR(nz, ErrorCode::kCorrupt);
  EXPECT_EQ(nz.error().ToString(), new_path_ + ": patch header: Unknown frame descriptor");
}

}  // namespace
}  // namespace hull::delta

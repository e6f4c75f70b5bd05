#include "delta/assemble.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <filesystem>
#include <set>

#include "base/hex.h"
#include "crypto/digest.h"
#include "old_new_fixture.h"
#include "support/status_matchers.h"

namespace hull::delta {
namespace {

namespace fs = std::filesystem;

class AssembleTest : public testing::OldNewTest {
 protected:
  void SetUp() override {
    OldNewTest::SetUp();
    if (HasFatalFailure()) return;
    out_path_ = dir_ + "/out";
    store_ = dir_ + "/store";
    auto idx = SplitImage(new_path_, store_, {.level = 3}, &split_);
    ASSERT_OK(idx);
    index_ = *idx;
    // A source that counts what it is asked for.
    auto inner = MakeChunkSource(store_);
    source_ = [this, inner](ByteSpan sha, uint64_t max) {
      ++requests_;
      return inner(sha, max);
    };
  }
  // Distinct digests of `data` chunked like the index.
  std::set<std::string> Digests(const std::string& path) {
    std::set<std::string> s;
    auto f = File::OpenRead(path);
    EXPECT_OK(ChunkFile(*f, index_.params, [&](uint64_t, ByteSpan c) -> Status {
      s.insert(HexEncode(crypto::Sha256(c)));
      return Ok();
    }));
    return s;
  }

  std::string out_path_, store_;
  ChunkIndex index_;
  SplitStats split_;
  ChunkSource source_;
  int requests_ = 0;
};

TEST_F(AssembleTest, SplitStoresEachChunkOnce) {
  EXPECT_EQ(split_.chunks, index_.chunks.size());
  EXPECT_EQ(split_.new_chunks, split_.unique_chunks);
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(store_)) files += e.is_regular_file();
  EXPECT_EQ(files, split_.unique_chunks);
  // Splitting again writes nothing new and gives the same index.
  SplitStats again;
  auto idx = SplitImage(new_path_, store_, {.level = 3}, &again);
  ASSERT_OK(idx);
  EXPECT_EQ(*idx, index_);
  EXPECT_EQ(again.new_chunks, 0u);
}

TEST_F(AssembleTest, SeedProvidesAllButTheEditedChunks) {
  auto r = Assemble(index_, old_path_, source_, out_path_);
  ASSERT_OK(r);
  EXPECT_EQ(*ReadFileBytes(out_path_), new_);
  // What must be fetched: new's distinct chunks that old's chunking lacks
  // (and that the seed does not hold at the same offset, counted apart).
  std::set<std::string> in_old = Digests(old_path_), missing;
  for (const auto& d : Digests(new_path_))
    if (!in_old.count(d)) missing.insert(d);
  EXPECT_EQ(r->fetched + r->from_seed_at_offset, missing.size());
  EXPECT_EQ(uint64_t(requests_), r->fetched);
  EXPECT_GE(r->fetched, 3u);  // three edits
  EXPECT_LE(r->fetched, 8u);  // each touches a chunk or two
  EXPECT_EQ(r->fetched + r->from_seed_by_hash + r->from_seed_at_offset + r->from_output,
            index_.chunks.size());
  EXPECT_EQ(r->sha256, crypto::Sha256(new_));
}

TEST_F(AssembleTest, NoSeedFetchesEachDistinctChunkOnce) {
  auto r = Assemble(index_, "", source_, out_path_);
  ASSERT_OK(r);
  EXPECT_EQ(r->fetched, split_.unique_chunks);
  EXPECT_EQ(r->bytes_fetched, split_.stored_bytes);
  EXPECT_EQ(*ReadFileBytes(out_path_), new_);
}

// A stored chunk whose content differs by one byte (a valid zstd frame of
// the wrong bytes): kVerifyFailed naming the chunk, no output.
TEST_F(AssembleTest, FlippedByteInStoredChunk) {
  size_t i = index_.chunks.size() / 2;
  const ChunkEntry& c = index_.chunks[i];
  Bytes plain(new_.begin() + c.offset, new_.begin() + c.offset + c.length);
  plain[100] ^= 1;
  Bytes z(ZSTD_compressBound(plain.size()));
  z.resize(ZSTD_compress(z.data(), z.size(), plain.data(), plain.size(), 19));
  ASSERT_LE(z.size(), c.compressed_length + 0u) << "recompressed chunk grew past the cap";
  ASSERT_OK(WriteFileAtomic(store_ + "/" + ChunkPath(c.sha256), z));
  auto r = Assemble(index_, "", source_, out_path_);
  ASSERT_ERROR(r, ErrorCode::kVerifyFailed);
  EXPECT_EQ(r.error().ToString(), fmt::format("chunk {} ({}) at offset {}: SHA-256 mismatch", i,
                                              HexEncode(c.sha256), c.offset));
  EXPECT_FALSE(fs::exists(out_path_));
}

// A stored file that is no zstd frame (damaged magic) is kCorrupt, also
// naming the chunk; damage inside the frame's blocks decodes to wrong bytes
// or fails, and either way never passes the SHA-256 check.
TEST_F(AssembleTest, DamagedFrame) {
  const ChunkEntry& c = index_.chunks[0];
  std::string path = store_ + "/" + ChunkPath(c.sha256);
  Bytes z = *ReadFileBytes(path);
  Bytes bad = z;
  bad[0] ^= 0x40;
  ASSERT_OK(WriteFileAtomic(path, bad));
  auto r = Assemble(index_, "", source_, out_path_);
  ASSERT_ERROR(r, ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().ToString(),
            fmt::format("chunk 0 ({}) at offset 0: not a zstd frame with a content size",
                        HexEncode(c.sha256)));
  bad = z;
  bad[z.size() / 2] ^= 0x40;
  ASSERT_OK(WriteFileAtomic(path, bad));
  r = Assemble(index_, "", source_, out_path_);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().code() == ErrorCode::kCorrupt ||
              r.error().code() == ErrorCode::kVerifyFailed)
      << r.error().ToString();
  EXPECT_FALSE(fs::exists(out_path_));
}

TEST_F(AssembleTest, MissingAndOversizedChunks) {
  const ChunkEntry& c = index_.chunks[1];
  std::string path = store_ + "/" + ChunkPath(c.sha256);
  Bytes z = *ReadFileBytes(path);
  fs::remove(path);
  auto r = Assemble(index_, "", source_, out_path_);
  ASSERT_ERROR(r, ErrorCode::kNotFound);
  z.resize(z.size() + 1);  // one byte more than the index allows
  ASSERT_OK(WriteFileAtomic(path, z));
  r = Assemble(index_, "", source_, out_path_);
  ASSERT_ERROR(r, ErrorCode::kVerifyFailed);
  EXPECT_FALSE(fs::exists(out_path_));
}

// An index whose image digest is wrong: all chunks verify, the image not.
TEST_F(AssembleTest, ImageDigestMismatch) {
  ChunkIndex idx = index_;
  idx.image_sha256[5] ^= 1;
  auto r = Assemble(idx, old_path_, source_, out_path_);
  ASSERT_ERROR(r, ErrorCode::kVerifyFailed);
  EXPECT_EQ(r.error().message().rfind("assembled image SHA-256 ", 0), 0u);
  EXPECT_FALSE(fs::exists(out_path_));
}

}  // namespace
}  // namespace hull::delta

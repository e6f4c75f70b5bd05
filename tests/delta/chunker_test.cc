#include "delta/chunker.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/digest.h"
#include "support/status_matchers.h"
#include "test_data.h"

namespace hull::delta {
namespace {

struct Cut {
  uint64_t offset;
  size_t length;
  std::string sha;
};

std::vector<Cut> Chunks(ByteSpan data, const ChunkerParams& p = {}) {
  Chunker c(p);
  std::vector<Cut> out;
  uint64_t off = 0;
  while (off < data.size()) {
    size_t n = c.Cut(data.subspan(off));
    out.push_back({off, n, HexEncode(crypto::Sha256(data.subspan(off, n)))});
    off += n;
  }
  return out;
}

Bytes Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

// The table is SHA-256 in counter mode over the documented seed; entry 0 is
// checked against coreutils' sha256sum of "hull-delta-gear-v1" || le32(0).
TEST(Gear, TableFromDocumentedSeed) {
  auto r = hull::Run(
      Command{.argv = {"sh", "-c", "printf 'hull-delta-gear-v1\\0\\0\\0\\0' | sha256sum"}});
  ASSERT_OK(r);
  auto d = HexDecode(r->out.substr(0, 64));
  ASSERT_OK(d);
  EXPECT_EQ(GearTable()[0], LoadLe64(d->data()));
  EXPECT_EQ(GearTable()[3], LoadLe64(d->data() + 24));
  std::set<uint64_t> distinct(GearTable().begin(), GearTable().end());
  EXPECT_EQ(distinct.size(), 256u);
}

TEST(Chunker, BoundsAndCoverage) {
  Bytes data = testing::RealishData(8u << 20);
  ChunkerParams p;
  auto chunks = Chunks(data, p);
  uint64_t sum = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(chunks[i].length, p.max_size);
    if (i + 1 < chunks.size()) {
      EXPECT_GE(chunks[i].length, p.min_size);
    }
    EXPECT_EQ(chunks[i].offset, sum);
    sum += chunks[i].length;
  }
  EXPECT_EQ(sum, data.size());
  // Normalized chunking keeps the mean near the target on random data.
  Bytes rnd = Random(16u << 20, 7);
  double mean = double(rnd.size()) / double(Chunks(rnd, p).size());
  EXPECT_GT(mean, 0.6 * p.avg_size);
  EXPECT_LT(mean, 1.6 * p.avg_size);
}

TEST(Chunker, ZerosCutAtMax) {
  Bytes zeros(1u << 20);
  ChunkerParams p;
  auto chunks = Chunks(zeros, p);
  ASSERT_EQ(chunks.size(), 4u);  // the gear hash of zeros never has zero top bits
  EXPECT_EQ(chunks[0].length, p.max_size);
}

TEST(Chunker, DeterministicAndContentDefined) {
  Bytes data = Random(4u << 20, 1);
  auto a = Chunks(data);
  auto b = Chunks(data);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].sha, b[i].sha);

  // 100 bytes inserted at the front: every chunk after the first few is the
  // same content, just shifted.
  Bytes shifted = Random(100, 2);
  shifted.insert(shifted.end(), data.begin(), data.end());
  auto c = Chunks(shifted);
  std::set<std::string> before;
  for (const auto& x : a) before.insert(x.sha);
  size_t differing = 0;
  for (const auto& x : c) differing += before.count(x.sha) == 0;
  EXPECT_LE(differing, 2u) << "of " << c.size();
  EXPECT_GT(a.size(), 40u);
}

TEST(Chunker, ChunkFileMatchesInMemory) {
  Bytes data = testing::RealishData(9u << 20);  // crosses the 4 MiB read buffer twice
  auto dir = TempDir::Create("chunker");
  ASSERT_OK(dir);
  std::string path = testing::Put(dir->path(), "img", data);
  auto f = File::OpenRead(path);
  ASSERT_OK(f);
  std::vector<Cut> got;
  Status st = ChunkFile(*f, {}, [&](uint64_t off, ByteSpan c) -> Status {
    got.push_back({off, c.size(), HexEncode(crypto::Sha256(c))});
    return Ok();
  });
  ASSERT_OK(st);
  auto want = Chunks(data);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].offset, want[i].offset);
    EXPECT_EQ(got[i].sha, want[i].sha);
  }
}

TEST(Chunker, ParamsValidated) {
  EXPECT_OK(ValidateChunkerParams({}));
  auto bad = ValidateChunkerParams({.min_size = 16, .avg_size = 64, .max_size = 256});
  ASSERT_ERROR(bad, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message(),
            "chunk sizes min 16 avg 64 max 256: need 64 <= min <= avg <= max <= 16777216");
  auto npot = ValidateChunkerParams({.min_size = 1024, .avg_size = 3000, .max_size = 8192});
  ASSERT_FALSE(npot.ok());
  EXPECT_EQ(npot.error().message(), "average chunk size 3000 is not a power of two >= 256");
}

}  // namespace
}  // namespace hull::delta

// `hull chunk split|assemble` and `hull delta make|apply` end to end through
// the binary: exit codes, --json fields, nothing written on failure.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/digest.h"
#include "delta/chunk_store.h"
#include "support/status_matchers.h"
#include "test_data.h"

namespace hull::delta {
namespace {

namespace fs = std::filesystem;

Result<ProcessOutput> Hull(std::vector<std::string> args) {
  const char* bin = std::getenv("HULL_BIN");
  args.insert(args.begin(), bin ? bin : "hull");
  return hull::RunAllowFailure(Command{.argv = args});
}

TEST(DeltaCli, SplitAssembleMakeApply) {
  auto d = TempDir::Create("delta-cli");
  ASSERT_OK(d);
  std::string dir = d->path();
  Bytes old = testing::RealishData(3u << 20), neu = testing::Edited(old);
  std::string o = testing::Put(dir, "old", old), n = testing::Put(dir, "new", neu);

  auto s = Hull({"chunk", "split", n, "--store", dir + "/store", "--index", dir + "/new.cidx",
                 "--level", "3", "--json"});
  ASSERT_OK(s);
  ASSERT_EQ(s->exit_code, 0) << s->err;
  auto sj = nlohmann::json::parse(s->out);
  uint64_t unique = sj.at("unique_chunks");

  auto a = Hull({"chunk", "assemble", dir + "/new.cidx", "--store", dir + "/store", "--seed", o,
                 "--out", dir + "/out", "--json"});
  ASSERT_OK(a);
  ASSERT_EQ(a->exit_code, 0) << a->err;
  auto aj = nlohmann::json::parse(a->out);
  EXPECT_LT(aj.at("fetched").get<uint64_t>(), unique / 4);
  EXPECT_EQ(aj.at("sha256"), HexEncode(crypto::Sha256(neu)));
  EXPECT_EQ(*ReadFileBytes(dir + "/out"), neu);

  // A damaged index: exit 1 (examined and refused, kCorrupt), nothing written.
  fs::remove(dir + "/out");
  Bytes idx = *ReadFileBytes(dir + "/new.cidx");
  idx[100] ^= 1;
  ASSERT_OK(WriteFileAtomic(dir + "/bad.cidx", idx));
  auto b = Hull(
      {"chunk", "assemble", dir + "/bad.cidx", "--store", dir + "/store", "--out", dir + "/out"});
  ASSERT_OK(b);
  EXPECT_EQ(b->exit_code, 1);
  EXPECT_EQ(b->err,
            "hull: chunk assemble: " + dir + "/bad.cidx: index digest mismatch (damaged index)\n");
  EXPECT_FALSE(fs::exists(dir + "/out"));

  auto m = Hull({"delta", "make", o, n, dir + "/p.zst", "--level", "3", "--json"});
  ASSERT_OK(m);
  ASSERT_EQ(m->exit_code, 0) << m->err;
  EXPECT_EQ(nlohmann::json::parse(m->out).at("new_size"), neu.size());
  auto p = Hull({"delta", "apply", o, dir + "/p.zst", dir + "/out", "--sha256",
                 HexEncode(crypto::Sha256(neu))});
  ASSERT_OK(p);
  EXPECT_EQ(p->exit_code, 0) << p->err;
  EXPECT_EQ(*ReadFileBytes(dir + "/out"), neu);
}

}  // namespace
}  // namespace hull::delta

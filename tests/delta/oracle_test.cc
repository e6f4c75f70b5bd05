// Format compatibility with the zstd CLI (zstd 1.5, `--patch-from`): a patch
// made by Hull applies with `zstd -d --patch-from=OLD`, and a patch made by
// `zstd --patch-from=OLD NEW` applies with `hull delta apply`.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/digest.h"
#include "delta/patch.h"
#include "old_new_fixture.h"
#include "support/status_matchers.h"

namespace hull::delta {
namespace {

namespace fs = std::filesystem;

class ZstdOracle : public testing::OldNewTest {
 protected:
  ZstdOracle() : OldNewTest(12u << 20) {}
};

TEST_F(ZstdOracle, ZstdAppliesHullPatch) {
  std::string patch = dir_ + "/hull.zst", out = dir_ + "/out";
  auto m = MakePatch(old_path_, new_path_, patch, {.level = 19});
  ASSERT_OK(m);
  auto r =
      hull::Run(Command{.argv = {"zstd", "-q", "-d", "--patch-from=" + old_path_, patch, "-o", out},
                        .install_hint = "apt-get install zstd"});
  ASSERT_OK(r);
  EXPECT_EQ(*ReadFileBytes(out), new_);
}

TEST_F(ZstdOracle, HullAppliesZstdPatch) {
  std::string patch = dir_ + "/cli.zst", out = dir_ + "/out";
  auto r = hull::Run(
      Command{.argv = {"zstd", "-q", "-19", "--patch-from=" + old_path_, new_path_, "-o", patch},
              .install_hint = "apt-get install zstd"});
  ASSERT_OK(r);
  // Through the CLI, as a node would run it.
  const char* bin = std::getenv("HULL_BIN");
  ASSERT_NE(bin, nullptr);
  auto h = hull::Run(Command{.argv = {bin, "delta", "apply", old_path_, patch, out, "--sha256",
                                      HexEncode(crypto::Sha256(new_)), "--json"}});
  ASSERT_OK(h);
  EXPECT_NE(h->out.find("\"size\": " + std::to_string(new_.size())), std::string::npos) << h->out;
  EXPECT_EQ(*ReadFileBytes(out), new_);
  // And a wrong digest: exit status 1, nothing written.
  fs::remove(out);
  auto bad = hull::RunAllowFailure(Command{
      .argv = {bin, "delta", "apply", old_path_, patch, out, "--sha256", std::string(64, '0')}});
  ASSERT_OK(bad);
  EXPECT_EQ(bad->exit_code, 1);
  EXPECT_NE(bad->err.find("result SHA-256 mismatch"), std::string::npos) << bad->err;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace hull::delta

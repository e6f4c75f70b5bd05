// Oracle tests: veritysetup (cryptsetup-bin) run live on the same inputs;
// every byte of Hull's hash file and the root hash must match.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <regex>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/status_matchers.h"

namespace hull::verity {
namespace {

const char* HullBin() {
  const char* b = std::getenv("HULL_BIN");
  return b ? b : "hull";
}

std::string RootHashFrom(const std::string& out) {
  std::smatch m;
  static const std::regex re("Root hash:\\s+([0-9a-f]+)");
  return std::regex_search(out, m, re) ? m[1].str() : "";
}

struct Case {
  uint64_t blocks;
  uint32_t data_bs = 4096, hash_bs = 4096;
  std::string alg = "sha256";
  int format = 1;
  std::string salt = "5eed5eed";
  bool superblock = true;
  uint64_t hash_offset = 0;

  std::string Name() const {
    return std::to_string(blocks) + "x" + std::to_string(data_bs) + "/" + std::to_string(hash_bs) +
           " " + alg + " v" + std::to_string(format) +
           " salt=" + (salt.size() > 12 ? std::to_string(salt.size() / 2) + "B" : salt) +
           (superblock ? "" : " nosb") + (hash_offset ? " off=" + std::to_string(hash_offset) : "");
  }
  std::vector<std::string> Options() const {
    std::vector<std::string> o = {"--hash=" + alg, "--data-block-size=" + std::to_string(data_bs),
                                  "--hash-block-size=" + std::to_string(hash_bs),
                                  "--format=" + std::to_string(format), "--salt=" + salt};
    if (superblock) o.push_back("--uuid=0b7e5b59-1c16-4a2e-8d3c-1f0a9e6a7c11");
    if (!superblock) o.push_back("--no-superblock");
    if (hash_offset) o.push_back("--hash-offset=" + std::to_string(hash_offset));
    return o;
  }
};

class VerityOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("hull-verity-oracle", "/var/tmp");
    ASSERT_OK(d);
    dir_ = std::make_unique<TempDir>(std::move(d).value());
  }
  std::string Path(const std::string& name) const { return dir_->path() + "/" + name; }

  void MakeData(const std::string& name, uint64_t bytes, uint32_t seed) {
    Bytes d(bytes);
    std::mt19937 rng(seed);
    for (size_t i = 0; i < d.size(); i += 4) {
      uint32_t v = rng();
      for (size_t j = 0; j < 4 && i + j < d.size(); ++j) d[i + j] = uint8_t(v >> (8 * j));
    }
    ASSERT_OK(WriteFileAtomic(Path(name), d));
  }

  // Formats with both tools and compares hash files and root hashes.
  void Compare(const Case& c, const std::string& data) {
    SCOPED_TRACE(c.Name());
    std::vector<std::string> ref = {"veritysetup", "format", data, Path("ref.hash")};
    std::vector<std::string> ours = {HullBin(), "verity", "format", data, Path("hull.hash")};
    for (const auto& o : c.Options()) ref.push_back(o), ours.push_back(o);
    std::remove(Path("ref.hash").c_str());
    std::remove(Path("hull.hash").c_str());
    auto r = hull::Run(Command{.argv = ref, .install_hint = "apt-get install cryptsetup-bin"});
    ASSERT_OK(r);
    auto h = hull::Run(Command{.argv = ours});
    ASSERT_OK(h);
    std::string ref_root = RootHashFrom(r->out);
    ASSERT_FALSE(ref_root.empty()) << r->out;
    EXPECT_EQ(RootHashFrom(h->out), ref_root);
    auto a = ReadFileBytes(Path("ref.hash"));
    auto b = ReadFileBytes(Path("hull.hash"));
    ASSERT_OK(a);
    ASSERT_OK(b);
    ASSERT_EQ(a->size(), b->size());
    EXPECT_TRUE(*a == *b) << "hash files differ";
    last_root_ = ref_root;
  }

  std::unique_ptr<TempDir> dir_;
  std::string last_root_;
};

TEST_F(VerityOracle, SizesWithDefaults) {
  for (uint64_t blocks : {1, 2, 127, 128, 129, 4097, 16385}) {
    MakeData("data", blocks * 4096, uint32_t(blocks));
    Compare({.blocks = blocks}, Path("data"));
  }
}

TEST_F(VerityOracle, AlgorithmsFormatsAndBlockSizes) {
  for (uint64_t blocks : {129, 4097}) {
    MakeData("data", blocks * 4096, 7);
    for (std::string alg : {"sha256", "sha1", "sha512"}) {
      for (int format : {0, 1}) {
        for (auto [dbs, hbs] :
             {std::pair<uint32_t, uint32_t>{4096, 4096}, {4096, 1024}, {1024, 4096}, {512, 512}}) {
          uint64_t b = blocks * 4096 / dbs;
          Compare({.blocks = b, .data_bs = dbs, .hash_bs = hbs, .alg = alg, .format = format},
                  Path("data"));
        }
      }
    }
  }
}

TEST_F(VerityOracle, SaltLengthsAndLayouts) {
  MakeData("data", 300 * 4096, 3);
  for (std::string salt :
       {std::string("-"), std::string("aa"), std::string(64, 'c'), std::string(512, 'e')}) {
    Compare({.blocks = 300, .salt = salt}, Path("data"));
  }
  Compare({.blocks = 300, .superblock = false}, Path("data"));
  Compare({.blocks = 300, .superblock = false, .hash_offset = 8192}, Path("data"));
}

TEST_F(VerityOracle, OneGibSparseFile) {
  std::string data = Path("sparse");
  {
    auto f = File::CreateNew(data);
    ASSERT_OK(f);
    ASSERT_OK(f->Truncate(uint64_t(1) << 30));
    ASSERT_OK(f->WriteAt(123456789, AsBytes("not all zero")));
  }
  Compare({.blocks = 262144}, data);
}

TEST_F(VerityOracle, EachVerifiesTheOther) {
  MakeData("data", 1000 * 4096, 11);
  Compare({.blocks = 1000}, Path("data"));
  auto ref_verifies_ours = hull::Run(
      Command{.argv = {"veritysetup", "verify", Path("data"), Path("hull.hash"), last_root_}});
  EXPECT_OK(ref_verifies_ours);
  auto ours_verifies_ref = hull::Run(
      Command{.argv = {HullBin(), "verity", "verify", Path("data"), Path("ref.hash"), last_root_}});
  EXPECT_OK(ours_verifies_ref);

  // A flipped data bit: both tools refuse; Hull names the block.
  {
    auto f = File::OpenReadWrite(Path("data"));
    uint8_t b[1] = {0};
    ASSERT_OK(f->ReadAt(777 * 4096 + 9, b));
    b[0] ^= 1;
    ASSERT_OK(f->WriteAt(777 * 4096 + 9, b));
  }
  auto ref_bad = hull::RunAllowFailure(
      Command{.argv = {"veritysetup", "verify", Path("data"), Path("hull.hash"), last_root_}});
  ASSERT_OK(ref_bad);
  EXPECT_NE(ref_bad->exit_code, 0);
  auto ours_bad = hull::RunAllowFailure(
      Command{.argv = {HullBin(), "verity", "verify", Path("data"), Path("ref.hash"), last_root_}});
  ASSERT_OK(ours_bad);
  EXPECT_EQ(ours_bad->exit_code, 1);
  EXPECT_NE(
      ours_bad->err.find("data block 777 does not match its digest in hash block 8 (level 0)"),
      std::string::npos)
      << ours_bad->err;
}

TEST_F(VerityOracle, DumpMatchesVeritysetupDump) {
  MakeData("data", 129 * 4096, 5);
  Compare({.blocks = 129}, Path("data"));
  auto ref = hull::Run(Command{.argv = {"veritysetup", "dump", Path("ref.hash")}});
  auto ours = hull::Run(Command{.argv = {HullBin(), "verity", "dump", Path("ref.hash")}});
  ASSERT_OK(ref);
  ASSERT_OK(ours);
  // veritysetup names the file it was given; the rest must read the same.
  auto strip_first = [](const std::string& s) { return s.substr(s.find('\n')); };
  EXPECT_EQ(strip_first(ours->out), strip_first(ref->out));
}

TEST_F(VerityOracle, RootHashSignatureVerifiesWithOpenssl) {
  std::string key = Path("v.key"), crt = Path("v.crt"), sig = Path("sig.p7s");
  auto gen = hull::Run(
      Command{.argv = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                       "/CN=verity", "-days", "1", "-keyout", key, "-out", crt}});
  ASSERT_OK(gen);
  std::string root(64, 'a');
  auto s = hull::Run(Command{
      .argv = {HullBin(), "verity", "sign", "--key", key, "--cert", crt, "--out", sig, root}});
  ASSERT_OK(s);
  // The signed content is the hex string without newline, as the kernel checks it.
  ASSERT_OK(WriteFileAtomic(Path("content"), root));
  auto v = hull::Run(Command{.argv = {"openssl", "smime", "-verify", "-binary", "-inform", "der",
                                      "-in", sig, "-content", Path("content"), "-certfile", crt,
                                      "-nointern", "-noverify", "-out", "/dev/null"}});
  EXPECT_OK(v);
  auto ours =
      hull::Run(Command{.argv = {HullBin(), "verity", "verify-sig", root, sig, "--cert", crt}});
  EXPECT_OK(ours);
  auto wrong = hull::RunAllowFailure(Command{
      .argv = {HullBin(), "verity", "verify-sig", std::string(64, 'b'), sig, "--cert", crt}});
  ASSERT_OK(wrong);
  EXPECT_EQ(wrong->exit_code, 1);
}

}  // namespace
}  // namespace hull::verity

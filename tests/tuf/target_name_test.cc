// Target names are data: which names the client fetches, how their URL path
// is built, and that none of them becomes a path outside the repository.
#include "tuf/target_name.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/file.h"
#include "support/status_matchers.h"
#include "tuf/client.h"
#include "tuf/releases.h"
#include "tuf/repository.h"

namespace hull::tuf {
namespace {

TEST(TargetName, LegalNames) {
  for (const char* name :
       {"a", "hull-immutable-amd64-202611.24.0.usr.erofs", "dir/file", "a/b/c.tar.gz", "..a", "a..",
        "a..b/c", ".hidden", "with space", "quote'\"?#%", "ünïcode"}) {
    EXPECT_OK(CheckTargetName(name)) << name;
  }
}

TEST(TargetName, RefusedNames) {
  struct Row {
    std::string name, why;
  };
  std::vector<Row> rows = {
      {"", "empty"},
      {"/etc/passwd", "empty path segment"},
      {"a/", "empty path segment"},
      {"a//b", "empty path segment"},
      {".", "'.' or '..' path segment"},
      {"..", "'.' or '..' path segment"},
      {"../x", "'.' or '..' path segment"},
      {"a/../../x", "'.' or '..' path segment"},
      {"a/./b", "'.' or '..' path segment"},
      {"a/..", "'.' or '..' path segment"},
      {"a\\..\\b", "contains a backslash"},
      {std::string("a\0b", 3), "contains NUL"},
      {std::string(kMaxTargetNameBytes + 1, 'a'), "longer than 4096 bytes"},
  };
  for (const Row& r : rows) {
    EXPECT_THAT(CheckTargetName(r.name),
                hull::testing::ErrorIs(ErrorCode::kCorrupt, ::testing::HasSubstr(r.why)))
        << r.name.substr(0, 20);
  }
}

TEST(TargetName, PercentEncodingKeepsUnreservedAndSlash) {
  EXPECT_EQ(PercentEncodePath("a-b_c.d~e/F0"), "a-b_c.d~e/F0");
  EXPECT_EQ(PercentEncodePath("with space"), "with%20space");
  EXPECT_EQ(PercentEncodePath("?#%"), "%3F%23%25");
  EXPECT_EQ(PercentEncodePath("\xc3\xbc"), "%C3%BC");
  // Python's urllib.parse.quote("a b/?c", safe="/-._~") gives the same.
  EXPECT_EQ(PercentEncodePath("a b/?c"), "a%20b/%3Fc");
}

TEST(TargetName, PercentDecodingIsTheInverse) {
  for (const char* name : {"plain", "with space", "?#%/x", "\xc3\xbc/\x01"}) {
    ASSERT_OK_AND_ASSIGN(std::string back, PercentDecodePath(PercentEncodePath(name)));
    EXPECT_EQ(back, name);
  }
  EXPECT_ERROR(PercentDecodePath("a%2"), ErrorCode::kInvalidArgument);
  EXPECT_ERROR(PercentDecodePath("a%zz"), ErrorCode::kInvalidArgument);
  EXPECT_ERROR(PercentDecodePath("a%00b"), ErrorCode::kInvalidArgument);
}

class TargetPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("hull-tuf-names"));
    dir_ = std::make_unique<TempDir>(std::move(d));
    repo_ = dir_->path() + "/repo";
    ASSERT_OK_AND_ASSIGN(RoleKeySet keys, RoleKeySet::Load(dir_->path() + "/keys", true));
    ASSERT_OK(Repository::Init(repo_, keys));
    ASSERT_OK_AND_ASSIGN(Bytes root, ReadFileBytes(repo_ + "/1.root.json"));
    ClientOptions o;
    o.state_dir = dir_->path() + "/state";
    ASSERT_OK_AND_ASSIGN(Client c, Client::Create(MakeFetcher(repo_), root, std::move(o)));
    client_ = std::make_unique<Client>(std::move(c));
  }
  std::unique_ptr<TempDir> dir_;
  std::string repo_;
  std::unique_ptr<Client> client_;
};

TEST_F(TargetPathTest, SignedNamesNeverLeaveTheTargetsDirectory) {
  TargetFile f;
  f.length = 1;
  f.hashes["sha256"] = std::string(64, 'a');
  // What a holder of the targets key could sign: refused before any fetch.
  for (const char* evil : {"../../etc/shadow", "/etc/shadow", "a/../../b", "a\\b"}) {
    EXPECT_ERROR(client_->TargetPath(evil, f), ErrorCode::kCorrupt) << evil;
  }
  // The digest is spliced into the path too (consistent snapshots).
  TargetFile odd = f;
  odd.hashes["sha256"] = "../../x";
  EXPECT_ERROR(client_->TargetPath("name", odd), ErrorCode::kCorrupt);
  ASSERT_OK_AND_ASSIGN(std::string p, client_->TargetPath("dir/a file?", f));
  EXPECT_EQ(p.rfind("targets/dir/", 0), 0u) << p;
  EXPECT_NE(p.find("a%20file%3F"), std::string::npos) << p;
}

// Release versions come from signed but hostile custom metadata: a string
// without its two dots is refused (it once read past the string's end).
TEST(ReleaseVersion, NeedsExactlyTwoDots) {
  ASSERT_OK_AND_ASSIGN(auto v, ParseReleaseVersion("202611.24.0"));
  EXPECT_EQ(v, (std::array<uint64_t, 3>{202611, 24, 0}));
  for (const char* bad : {"", "2026", "202611", "00000000000000202611", "202611.24", "202611.24.",
                          ".24.0", "202611..0", "202611.24.0.1", "202613.24.0", "202611.32.0"}) {
    EXPECT_ERROR(ParseReleaseVersion(bad), ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace hull::tuf

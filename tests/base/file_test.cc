#include "base/file.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string_view>

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull {
namespace {

namespace fs = std::filesystem;

TEST(File, ReadWriteAtOffsets) {
  auto dir = TempDir::Create("hull-file-test");
  ASSERT_OK(dir);
  std::string path = dir->path() + "/f";
  auto f = File::CreateNew(path);
  ASSERT_OK(f);
  ASSERT_OK(f->WriteAt(10, AsBytes("hello")));
  EXPECT_EQ(*f->Size(), 15u);
  Bytes buf(5);
  ASSERT_OK(f->ReadAt(10, buf));
  EXPECT_EQ(AsChars(buf), "hello");
  Bytes past(6);
  auto short_read = f->ReadAt(10, past);
  ASSERT_ERROR(short_read, ErrorCode::kCorrupt);
  EXPECT_ERROR(File::CreateNew(path), ErrorCode::kAlreadyExists);
  EXPECT_ERROR(File::OpenRead(dir->path() + "/missing"), ErrorCode::kNotFound);
}

TEST(ReadUntrustedFile, ReadsRegularFileAndRefusesLinksFifosAndBigFiles) {
  auto dir = TempDir::Create("hull-file-test");
  ASSERT_OK(dir);
  const std::string home = dir->path() + "/home";
  fs::create_directories(home + "/u/.ssh");
  ASSERT_OK(WriteFileAtomic(home + "/u/.ssh/keys", std::string_view("ssh-ed25519 AAAA")));
  auto good = ReadUntrustedFile(home, "u/.ssh/keys", 1024);
  ASSERT_OK(good);
  EXPECT_EQ(AsChars(*good), "ssh-ed25519 AAAA");
  EXPECT_ERROR(ReadUntrustedFile(home, "u/.ssh/keys", 4), ErrorCode::kInvalidArgument);
  EXPECT_ERROR(ReadUntrustedFile(home, "u/.ssh/missing", 1024), ErrorCode::kNotFound);
  EXPECT_ERROR(ReadUntrustedFile(home, "u/../u/.ssh/keys", 1024), ErrorCode::kInvalidArgument);

  // A secret outside the user's reach, linked from the user's tree: the
  // last component a link, a directory on the way a link.
  ASSERT_OK(WriteFileAtomic(dir->path() + "/secret", std::string_view("root only")));
  fs::create_directories(home + "/v");
  fs::create_symlink(dir->path() + "/secret", home + "/v/keys");
  EXPECT_ERROR(ReadUntrustedFile(home, "v/keys", 1024), ErrorCode::kRefused);
  fs::create_directories(dir->path() + "/elsewhere");
  ASSERT_OK(WriteFileAtomic(dir->path() + "/elsewhere/keys", std::string_view("root only")));
  fs::create_symlink(dir->path() + "/elsewhere", home + "/v/.ssh");
  EXPECT_ERROR(ReadUntrustedFile(home, "v/.ssh/keys", 1024), ErrorCode::kRefused);
  // A regular file where a directory is expected.
  EXPECT_ERROR(ReadUntrustedFile(home, "u/.ssh/keys/x", 1024), ErrorCode::kRefused);

  // A FIFO nobody writes: refused at once rather than blocking the reader.
  ASSERT_EQ(::mkfifo((home + "/u/.ssh/fifo").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_ERROR(ReadUntrustedFile(home, "u/.ssh/fifo", 1024), ErrorCode::kRefused);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // A directory is not a regular file either.
  EXPECT_ERROR(ReadUntrustedFile(home, "u/.ssh", 1024), ErrorCode::kRefused);
}

TEST(AtomicFile, CommitReplacesAndKeepsMode) {
  auto dir = TempDir::Create("hull-file-test");
  std::string path = dir->path() + "/out";
  ASSERT_OK(WriteFileAtomic(path, std::string_view("old")));
  ASSERT_OK(WriteFileAtomic(path, std::string_view("new content"), 0600));
  EXPECT_EQ(*ReadFileText(path), "new content");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Only the destination is left in the directory.
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir->path())) (void)e, ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, AbandonedWriteLeavesOldContentAndNoTemp) {
  auto dir = TempDir::Create("hull-file-test");
  std::string path = dir->path() + "/out";
  ASSERT_OK(WriteFileAtomic(path, std::string_view("good")));
  {
    auto af = AtomicFile::Create(path);
    ASSERT_OK(af);
    ASSERT_OK(af->file().WriteAt(0, AsBytes("half-writ")));
    EXPECT_TRUE(fs::exists(af->temp_path()));
    // Destroyed without Commit(): as if the writer failed midway.
  }
  EXPECT_EQ(*ReadFileText(path), "good");
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir->path())) (void)e, ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, FailsInMissingDirectory) {
  auto r = WriteFileAtomic("/nonexistent-dir-hull/x", std::string_view("x"));
  ASSERT_ERROR(r, ErrorCode::kNotFound);
}

TEST(TempDir, RemovedOnDestruction) {
  std::string path;
  {
    auto d = TempDir::Create("hull-td");
    ASSERT_OK(d);
    path = d->path();
    ASSERT_OK(WriteFileAtomic(path + "/x", std::string_view("1")));
    fs::create_directories(path + "/a/b");
  }
  EXPECT_FALSE(fs::exists(path));
}

// The newest `keep` entries stay (files and directories alike), older ones
// go, and a ".partial" entry is never touched, however old.
TEST(KeepMostRecent, KeepsNewestAndPartials) {
  auto d = TempDir::Create("hull-keep");
  ASSERT_OK(d);
  const std::string dir = d->path();
  const auto now = fs::file_time_type::clock::now();
  int age = 0;
  for (const char* name :
       {"newest", "dir-second", "third", "old.partial-x", ".old.tmp-Ab12Cd", "oldest"}) {
    const std::string p = dir + "/" + name;
    if (std::string_view(name).starts_with("dir")) {
      fs::create_directories(p + "/inside");
    } else {
      ASSERT_OK(WriteFileAtomic(p, std::string_view("x")));
    }
    fs::last_write_time(p, now - std::chrono::hours(++age));
  }
  KeepMostRecent(dir, 2);
  EXPECT_TRUE(fs::exists(dir + "/newest"));
  EXPECT_TRUE(fs::exists(dir + "/dir-second/inside"));
  EXPECT_FALSE(fs::exists(dir + "/third"));
  EXPECT_FALSE(fs::exists(dir + "/oldest"));
  EXPECT_TRUE(fs::exists(dir + "/old.partial-x"));
  EXPECT_TRUE(fs::exists(dir + "/.old.tmp-Ab12Cd"));  // an AtomicFile being written
}

TEST(ReadFile, RefusesOversize) {
  auto dir = TempDir::Create("hull-file-test");
  std::string path = dir->path() + "/big";
  ASSERT_OK(WriteFileAtomic(path, std::string(100, 'x')));
  auto r = ReadFileBytes(path, 99);
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hull

#include "base/file.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string_view>

#include <gtest/gtest.h>

namespace hull {
namespace {

namespace fs = std::filesystem;

TEST(File, ReadWriteAtOffsets) {
  auto dir = TempDir::Create("hull-file-test");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/f";
  auto f = File::CreateNew(path);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->WriteAt(10, AsBytes("hello")).ok());
  EXPECT_EQ(*f->Size(), 15u);
  Bytes buf(5);
  ASSERT_TRUE(f->ReadAt(10, buf).ok());
  EXPECT_EQ(AsChars(buf), "hello");
  Bytes past(6);
  auto short_read = f->ReadAt(10, past);
  ASSERT_FALSE(short_read.ok());
  EXPECT_EQ(short_read.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(File::CreateNew(path).error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(File::OpenRead(dir->path() + "/missing").error().code(), ErrorCode::kNotFound);
}

TEST(AtomicFile, CommitReplacesAndKeepsMode) {
  auto dir = TempDir::Create("hull-file-test");
  std::string path = dir->path() + "/out";
  ASSERT_TRUE(WriteFileAtomic(path, std::string_view("old")).ok());
  ASSERT_TRUE(WriteFileAtomic(path, std::string_view("new content"), 0600).ok());
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
  ASSERT_TRUE(WriteFileAtomic(path, std::string_view("good")).ok());
  {
    auto af = AtomicFile::Create(path);
    ASSERT_TRUE(af.ok());
    ASSERT_TRUE(af->file().WriteAt(0, AsBytes("half-writ")).ok());
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
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST(TempDir, RemovedOnDestruction) {
  std::string path;
  {
    auto d = TempDir::Create("hull-td");
    ASSERT_TRUE(d.ok());
    path = d->path();
    ASSERT_TRUE(WriteFileAtomic(path + "/x", std::string_view("1")).ok());
    fs::create_directories(path + "/a/b");
  }
  EXPECT_FALSE(fs::exists(path));
}

// The newest `keep` entries stay (files and directories alike), older ones
// go, and a ".partial" entry is never touched, however old.
TEST(KeepMostRecent, KeepsNewestAndPartials) {
  auto d = TempDir::Create("hull-keep");
  ASSERT_TRUE(d.ok());
  const std::string dir = d->path();
  const auto now = fs::file_time_type::clock::now();
  int age = 0;
  for (const char* name :
       {"newest", "dir-second", "third", "old.partial-x", ".old.tmp-Ab12Cd", "oldest"}) {
    const std::string p = dir + "/" + name;
    if (std::string_view(name).starts_with("dir")) {
      fs::create_directories(p + "/inside");
    } else {
      ASSERT_TRUE(WriteFileAtomic(p, std::string_view("x")).ok());
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
  ASSERT_TRUE(WriteFileAtomic(path, std::string(100, 'x')).ok());
  auto r = ReadFileBytes(path, 99);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hull

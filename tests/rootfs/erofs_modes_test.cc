// ReadErofsModes against mkfs.erofs (erofs-utils) and find(1): an image of a
// tree with setuid, setgid and sticky bits, nested directories, a directory
// spanning several blocks and symbolic links lists every path with the mode
// find prints for the source tree; compressed or not. A bad magic and a
// truncated image are kCorrupt. File capabilities set by setcap(8), inline
// and shared, read back and written onto a fresh tree give what getcap(8)
// prints for the source.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "base/file.h"
#include "base/subprocess.h"
#include "rootfs/erofs_modes.h"
#include "support/status_matchers.h"

namespace hull::rootfs {
namespace {
namespace fs = std::filesystem;

// path -> "%m %y" of find(1) (octal permission bits with the special ones, type letter).
std::map<std::string, std::string> FindModes(const std::string& dir) {
  auto r = Run(Command{.argv = {"find", dir, "-mindepth", "1", "-printf", "%P %m %y\n"}});
  EXPECT_OK(r);
  std::map<std::string, std::string> out;
  std::string line;
  for (char c : r->out) {
    if (c != '\n') {
      line += c;
      continue;
    }
    size_t sp = line.find(' ');
    out[line.substr(0, sp)] = line.substr(sp + 1);
    line.clear();
  }
  return out;
}

std::string Describe(uint16_t mode) {
  const char type = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISREG(mode) ? 'f' : '?';
  return fmt::format("{:o} {}", mode & 07777, type);
}

class ErofsModes : public ::testing::TestWithParam<bool> {};

TEST_P(ErofsModes, ListsWhatFindSeesInTheSourceTree) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("erofs-modes"));
  const std::string src = tmp.path() + "/src";
  fs::create_directories(src + "/bin");
  fs::create_directories(src + "/a/b/c/d");
  fs::create_directories(src + "/big");
  fs::create_directories(src + "/tmp");
  ASSERT_OK(WriteFileAtomic(src + "/bin/su", std::string(5000, 'x'), 0755));
  ASSERT_OK(WriteFileAtomic(src + "/bin/wall", std::string("y"), 0755));
  ASSERT_OK(WriteFileAtomic(src + "/a/b/c/d/leaf", std::string("z"), 0600));
  ::chmod((src + "/bin/su").c_str(), 04755);
  ::chmod((src + "/bin/wall").c_str(), 02755);
  ::chmod((src + "/tmp").c_str(), 01777);
  for (int i = 0; i < 300; ++i)  // names enough for several 4 KiB directory blocks
    ASSERT_OK(WriteFileAtomic(fmt::format("{}/big/file-with-a-long-name-{:04}", src, i),
                              std::string("q"), 0644));
  fs::create_symlink("bin/su", src + "/su-link");
  const std::string img = tmp.path() + "/img.erofs";
  std::vector<std::string> argv = {"mkfs.erofs", "--quiet", "--all-root", "-T0"};
  if (GetParam()) argv.push_back("-zlz4hc");
  argv.push_back(img);
  argv.push_back(src);
  ASSERT_OK(hull::Run(Command{.argv = argv}));
  ASSERT_OK_AND_ASSIGN(Bytes bytes, ReadFileBytes(img));
  ASSERT_OK_AND_ASSIGN(auto modes, ReadErofsModes(bytes));
  std::map<std::string, std::string> got;
  for (const auto& m : modes)
    if (!m.path.empty()) got[m.path] = Describe(m.mode);
  EXPECT_EQ(got, FindModes(src));
  ASSERT_FALSE(modes.empty());
  EXPECT_EQ(modes[0].path, "");
  EXPECT_TRUE(S_ISDIR(modes[0].mode));
}

INSTANTIATE_TEST_SUITE_P(Compression, ErofsModes, ::testing::Values(false, true));

// getcap -r DIR, with DIR cut from each path, sorted.
std::string GetcapTree(const std::string& dir) {
  auto r = Run(Command{.argv = {"getcap", "-r", dir}});
  EXPECT_OK(r);
  std::vector<std::string> lines;
  std::string line;
  for (char c : r.ok() ? r->out : std::string()) {
    if (c != '\n') {
      line += c;
      continue;
    }
    if (line.starts_with(dir)) line = line.substr(dir.size());
    lines.push_back(line);
    line.clear();
  }
  std::sort(lines.begin(), lines.end());
  return fmt::format("{}", fmt::join(lines, "\n"));
}

TEST(ErofsCapabilities, WhatSetcapWroteReadsBackAsGetcapPrintsIt) {
  if (::geteuid() != 0) GTEST_SKIP() << "setcap needs CAP_SETFCAP";
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("erofs-caps"));
  const std::string src = tmp.path() + "/src", back = tmp.path() + "/back";
  fs::create_directories(src + "/bin");
  ASSERT_OK(WriteFileAtomic(src + "/bin/ping", std::string(3000, 'p'), 0755));
  ASSERT_OK(WriteFileAtomic(src + "/bin/plain", std::string("x"), 0755));
  ASSERT_OK(
      hull::Run(Command{.argv = {"setcap", "cap_net_admin,cap_net_raw+p", src + "/bin/ping"}}));
  for (int i = 0; i < 4; ++i) {  // one value on several inodes: a shared xattr
    const std::string f = fmt::format("{}/bin/same-{}", src, i);
    ASSERT_OK(WriteFileAtomic(f, std::string("s"), 0755));
    ASSERT_OK(hull::Run(Command{.argv = {"setcap", "cap_sys_time=ep", f}}));
  }
  const std::string expected = GetcapTree(src);
  ASSERT_NE(expected.find("/bin/ping cap_net_admin,cap_net_raw=p"), std::string::npos) << expected;
  for (bool z : {false, true}) {
    const std::string img = tmp.path() + "/img.erofs";
    std::vector<std::string> argv = {"mkfs.erofs", "--quiet", "--all-root", "-T0"};
    if (z) argv.push_back("-zlz4hc");
    argv.insert(argv.end(), {img, src});
    ASSERT_OK(hull::Run(Command{.argv = argv}));
    ASSERT_OK_AND_ASSIGN(Bytes bytes, ReadFileBytes(img));
    ASSERT_OK_AND_ASSIGN(auto modes, ReadErofsModes(bytes));
    fs::remove_all(back);
    fs::create_directories(back + "/bin");
    int with = 0;
    for (const auto& m : modes) {
      if (!S_ISREG(m.mode)) continue;
      const std::string f = back + "/" + m.path;
      ASSERT_OK(WriteFileAtomic(f, std::string("b"), 0755));
      if (m.capability.empty()) continue;
      ++with;
      ASSERT_EQ(
          ::setxattr(f.c_str(), "security.capability", m.capability.data(), m.capability.size(), 0),
          0)
          << m.path;
    }
    EXPECT_EQ(with, 5);
    EXPECT_EQ(GetcapTree(back), expected);
  }
}

TEST(ErofsModesCorrupt, BadMagicAndTruncatedImagesAreCorrupt) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("erofs-modes"));
  fs::create_directories(tmp.path() + "/src/d");
  const std::string img = tmp.path() + "/img.erofs";
  ASSERT_OK(hull::Run(Command{.argv = {"mkfs.erofs", "--quiet", img, tmp.path() + "/src"}}));
  ASSERT_OK_AND_ASSIGN(Bytes bytes, ReadFileBytes(img));
  Bytes bad = bytes;
  bad[1024] ^= 0xff;
  EXPECT_ERROR(ReadErofsModes(bad), ErrorCode::kCorrupt);
  EXPECT_ERROR(ReadErofsModes(ByteSpan(bytes).first(1100)), ErrorCode::kCorrupt);
  Bytes far = bytes;
  far[1024 + 0x0E] = 0xff;  // root NID past the image
  far[1024 + 0x0F] = 0xff;
  EXPECT_ERROR(ReadErofsModes(far), ErrorCode::kCorrupt);
}

// mkfs.erofs without -z writes no compression feature, with -zlz4hc
// ZERO_PADDING; a COMPR_CFGS image naming LZMA (bit 1 of
// available_compr_algs, erofs_fs.h) is not taken for LZ4.
TEST(ErofsSuperblock, CompressionAndUuidAsMkfsWritesThem) {
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("erofs-sb"));
  fs::create_directories(tmp.path() + "/src");
  ASSERT_OK(WriteFileAtomic(tmp.path() + "/src/a", std::string(20000, 'a')));
  const std::string uuid = "3b5a1e6c-6f0e-4c8a-9d2b-1f6a7c9e0d41";
  std::map<bool, Bytes> images;
  for (bool z : {false, true}) {
    const std::string img = tmp.path() + (z ? "/z.erofs" : "/plain.erofs");
    std::vector<std::string> argv = {"mkfs.erofs", "--quiet", "-U", uuid};
    if (z) argv.push_back("-zlz4hc");
    argv.insert(argv.end(), {img, tmp.path() + "/src"});
    ASSERT_OK(hull::Run(Command{.argv = argv}));
    ASSERT_OK_AND_ASSIGN(images[z], ReadFileBytes(img));
    ASSERT_OK_AND_ASSIGN(ErofsSuperblock sb, ReadErofsSuperblock(images[z]));
    EXPECT_EQ(sb.lz4, z);
    EXPECT_EQ(sb.uuid.ToString(), uuid);
  }
  Bytes lzma = images[true];
  lzma[1024 + 0x50] = 0x03;  // ZERO_PADDING | COMPR_CFGS
  lzma[1024 + 0x54] = 0x02;  // LZMA
  lzma[1024 + 0x55] = 0x00;
  EXPECT_ERROR(ReadErofsSuperblock(lzma), ErrorCode::kUnsupported);
  Bytes lz4 = lzma;
  lz4[1024 + 0x54] = 0x01;
  ASSERT_OK_AND_ASSIGN(ErofsSuperblock sb, ReadErofsSuperblock(lz4));
  EXPECT_TRUE(sb.lz4);
  EXPECT_ERROR(ReadErofsSuperblock(ByteSpan(lz4).first(1100)), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace hull::rootfs

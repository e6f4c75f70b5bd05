// Loop devices over a range of a file (slot/dm_device.h), on this machine's
// loop driver: skipped where /dev/loop-control cannot be opened (not root,
// or no loop driver). The device-mapper half needs /dev/mapper/control and
// is exercised by the VM boots.
#include "slot/dm_device.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "base/file.h"
#include "support/status_matchers.h"

namespace hull::slot {
namespace {

bool HaveLoops() {
  const int fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  close(fd);
  return true;
}

// The `size` bytes a loop device shows from its start.
std::string ReadLoop(const Loop& loop, size_t size) {
  std::string out(size, '\0');
  const ssize_t n = pread(loop.fd, out.data(), size, 0);
  out.resize(n < 0 ? 0 : size_t(n));
  return out;
}

// What was verified through a descriptor is what is mapped: a file renamed
// over the path after the open is not the one the loop device shows.
TEST(AttachLoop, MapsTheOpenFileNotWhatThePathNamesLater) {
  if (!HaveLoops()) GTEST_SKIP() << "no usable /dev/loop-control";
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("hull-loop-test"));
  const std::string path = dir.path() + "/ext.raw";
  const std::string verified = std::string(4096, 'v') + std::string(4096, 'V');
  ASSERT_OK(WriteFileAtomic(path, verified));
  ASSERT_OK_AND_ASSIGN(File file, File::OpenRead(path));
  ASSERT_OK(WriteFileAtomic(path, std::string(8192, 'x')));  // replaces the path's file
  ASSERT_OK_AND_ASSIGN(Loop loop, AttachLoop(file.fd(), path, 4096, 4096));
  EXPECT_EQ(ReadLoop(loop, 8192), std::string(4096, 'V'));
  EXPECT_EQ(loop.path.rfind("/dev/loop", 0), 0u) << loop.path;
  close(loop.fd);  // LO_FLAGS_AUTOCLEAR: the device goes with it
}

TEST(AttachLoop, ByPathMapsTheRange) {
  if (!HaveLoops()) GTEST_SKIP() << "no usable /dev/loop-control";
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("hull-loop-test"));
  const std::string path = dir.path() + "/ext.raw";
  ASSERT_OK(WriteFileAtomic(path, std::string(4096, 'a') + std::string(4096, 'b')));
  ASSERT_OK_AND_ASSIGN(Loop loop, AttachLoop(path, 0, 4096));
  EXPECT_EQ(ReadLoop(loop, 8192), std::string(4096, 'a'));
  close(loop.fd);
}

TEST(AttachLoop, MissingFileIsNamed) {
  auto r = AttachLoop("/nonexistent/ext.raw", 0, 4096);
  EXPECT_ERROR(r, ErrorCode::kIo);
  if (!r.ok()) {
    EXPECT_NE(r.error().ToString().find("/nonexistent/ext.raw"), std::string::npos);
  }
}

}  // namespace
}  // namespace hull::slot

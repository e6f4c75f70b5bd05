#include "support/flip_byte.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.h"
#include "base/result.h"

namespace hull::test_support {

Status FlipByte(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", path);
  unsigned char b = 0;
  Status st = Ok();
  if (::pread(fd, &b, 1, off_t(offset)) != 1) {
    st = Errorf(ErrorCode::kIo, "'{}' has no byte at offset {}", path, offset);
  } else {
    b = static_cast<unsigned char>(~b);
    if (::pwrite(fd, &b, 1, off_t(offset)) != 1) st = ErrnoError(errno, "write", path);
  }
  ::close(fd);
  return st;
}

}  // namespace hull::test_support

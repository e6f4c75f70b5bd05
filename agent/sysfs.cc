#include "agent/sysfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hull::agent {

Result<std::string> ReadSysText(const std::string& path, size_t max) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Errorf(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, "{}: {}", path,
                  std::strerror(errno));
  }
  std::string out;
  char buf[4096];
  while (out.size() < max) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return Errorf(ErrorCode::kIo, "reading {}: {}", path, std::strerror(err));
    }
    out.append(buf, size_t(n));
  }
  close(fd);
  return out;
}

Result<std::string> ReadSysLine(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(std::string s, ReadSysText(path, 64 << 10));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace hull::agent

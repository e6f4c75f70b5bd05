#include "agent/sysfs.h"

#include <fcntl.h>
#include <unistd.h>

namespace hull::agent {

std::string ReadSysText(const std::string& path, size_t max) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  while (out.size() < max) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, size_t(n));
  }
  close(fd);
  return out;
}

std::string ReadSysLine(const std::string& path) {
  std::string s = ReadSysText(path, 64 << 10);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace hull::agent

#include "agent/events.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace hull::agent {

void WriteLine(const std::string& console, const std::string& line) {
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
  if (console.empty()) return;
  int fd = open(console.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return;
  std::string out = "\r\n" + line + "\r\n";
  for (size_t done = 0; done < out.size();) {
    ssize_t n = write(fd, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += size_t(n);
  }
  close(fd);
}

void Events::Emit(const std::string& name, nlohmann::json fields) const {
  nlohmann::json j = {{"event", name}};
  for (auto& [k, v] : fields.items()) j[k] = v;
  WriteLine(console_,
            kEventPrefix + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace hull::agent

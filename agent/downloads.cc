#include "agent/downloads.h"

#include <filesystem>

#include "base/file.h"

namespace hull::agent {

Result<std::vector<std::string>> SweepDownloads(const std::string& parent,
                                                const std::string& prefix) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  std::error_code ec;
  const std::string start = prefix + "-";
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(start, 0) != 0 || !e.is_directory(ec) || e.is_symlink(ec)) continue;
    fs::remove_all(e.path(), ec);
    if (ec) return ErrnoError(ec.value(), "removing", e.path().string());
    removed.push_back(e.path().string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return ErrnoError(ec.value(), "listing", parent);
  return removed;
}

}  // namespace hull::agent

#include "support/debian_boot_files.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

namespace hull::test_support {

std::string DebianKernel() {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/boot", ec)) {
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) found.push_back(e.path());
  }
  std::sort(found.begin(), found.end());
  return found.empty() ? "" : found.back();
}

}  // namespace hull::test_support

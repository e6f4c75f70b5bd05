#include "agent/rollback.h"

#include <sys/stat.h>

#include <sstream>

#include "base/file.h"

namespace hull::agent {

Result<std::set<std::string>> LoadBadVersions(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::set<std::string>();
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, 1 << 20));
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.insert(line);
  return out;
}

Status SaveBadVersions(const std::string& path, const std::set<std::string>& versions) {
  std::string text;
  for (const auto& v : versions) text += v + "\n";
  return WriteFileAtomic(path, AsBytes(text));
}

}  // namespace hull::agent

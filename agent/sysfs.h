// Reading /proc and sysfs files, whose stat sizes are not their lengths.
#pragma once

#include <cstddef>
#include <string>

namespace hull::agent {

// The file's text read until EOF (at most `max` bytes); "" when unreadable.
std::string ReadSysText(const std::string& path, size_t max = 1 << 20);

// The same with trailing newlines and spaces removed.
std::string ReadSysLine(const std::string& path);

}  // namespace hull::agent

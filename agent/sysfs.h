// Reading /proc and sysfs files, whose stat sizes are not their lengths.
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"

namespace hull::agent {

// The file's text read until EOF (at most `max` bytes).
// Errors: kNotFound when the file does not exist, kIo when it cannot be opened
// or read.
Result<std::string> ReadSysText(const std::string& path, size_t max = 1 << 20);

// The same with trailing newlines and spaces removed.
Result<std::string> ReadSysLine(const std::string& path);

}  // namespace hull::agent

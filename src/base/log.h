// Leveled logging to stderr. Libraries log at debug level at most; programs
// report errors once, at the top (see STYLE.md).
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace hull {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kQuiet = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogMessage(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (level < GetLogLevel()) return;
  LogMessage(level, fmt::format(format, std::forward<Args>(args)...));
}

#define HULL_LOG_DEBUG(...) ::hull::Log(::hull::LogLevel::kDebug, __VA_ARGS__)
#define HULL_LOG_INFO(...) ::hull::Log(::hull::LogLevel::kInfo, __VA_ARGS__)
#define HULL_LOG_WARN(...) ::hull::Log(::hull::LogLevel::kWarning, __VA_ARGS__)
#define HULL_LOG_ERROR(...) ::hull::Log(::hull::LogLevel::kError, __VA_ARGS__)

}  // namespace hull

// The agent's events: one line "HULL-AGENT {json}" per event on stdout (the
// journal) and, when configured, on a console device a host can watch.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace hull::agent {

inline constexpr const char* kEventPrefix = "HULL-AGENT ";

// Writes `line` to stdout and to `console` (falling back to /dev/console
// when it cannot be opened; nothing when `console` is empty).
void WriteLine(const std::string& console, const std::string& line);

class Events {
 public:
  explicit Events(std::string console) : console_(std::move(console)) {}
  // {"event": name, ...fields}
  void Emit(const std::string& name, nlohmann::json fields = nlohmann::json::object()) const;

 private:
  std::string console_;
};

}  // namespace hull::agent

// The os-release(5) codec: /etc/os-release, /usr/lib/os-release and a UKI's
// .osrel section, read the way systemd's env-file parser (parse_env_file)
// reads them. The rules, with examples, are in docs/node.md:
//   - one KEY=VALUE per line; blank lines and lines whose first non-blank
//     character is '#' are skipped;
//   - KEY is a shell variable name ([A-Za-z_][A-Za-z0-9_]*); blanks around it
//     and before VALUE are ignored;
//   - VALUE concatenates unquoted text ('\' escapes the next character),
//     '...' (literal) and "..." ('\' escapes only " \ $ `); unquoted blanks
//     inside VALUE are kept, trailing ones dropped;
//   - a key assigned twice keeps its last value, as sourcing the file in a
//     shell does;
//   - a line that is not an assignment (no '=', a bad name, an unterminated
//     quote, a trailing '\') is skipped, as systemd skips it, so one bad line
//     does not hide the rest of the file.
// Nothing here fails: absent and skipped keys are simply not in the result.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hull::node {

using OsRelease = std::map<std::string, std::string, std::less<>>;

// Every assignment of `text`, decoded.
OsRelease ParseOsRelease(std::string_view text);

// The decoded value of `key` in `text`, or nullopt when it is not assigned.
std::optional<std::string> OsReleaseValue(std::string_view text, std::string_view key);

}  // namespace hull::node

// The os-release(5) codec: /etc/os-release, /usr/lib/os-release and a UKI's
// .osrel section, read the way systemd's env-file parser (parse_env_file)
// reads them: one pass over the whole text, not line by line. The rules, with
// examples, are in docs/node.md:
//   - KEY=VALUE assignments; blanks and newlines between them are skipped, and
//     so is a comment: '#' or ';' where a key would start, to the line's end;
//   - KEY is a shell variable name ([A-Za-z_][A-Za-z0-9_]*); blanks before it,
//     after it and before VALUE are ignored;
//   - VALUE concatenates unquoted text ('\' escapes the next character; '\'
//     then a newline continues the value on the next line), '...' (literal)
//     and "..." ('\' escapes only " \ $ ` and a newline); quoted pieces may
//     span lines, and an unterminated quote runs to the end of the text;
//     blanks after a closing quote are dropped, blanks inside unquoted text
//     kept, trailing ones dropped; once unquoted text has begun, quotes in it
//     are ordinary characters;
//   - a key assigned twice keeps its last value, as sourcing the file in a
//     shell does;
//   - an assignment whose key is not a name is skipped, and so is text with
//     no '=' before the line's end; a NUL byte ends the text.
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

// The SYSEXT_LEVEL an image built from Debian `suite` declares in its
// os-release, and a system extension built against that image's package set
// names (docs/sysext.md): the Debian major release ("12" for bookworm, "13"
// for trixie), since the extension's binaries are linked against that
// release's libraries. Empty for a suite not in the table (no SYSEXT_LEVEL
// then: only extensions naming the exact VERSION_ID match).
std::string SysextLevelForSuite(std::string_view suite);

// A SYSEXT_LEVEL value (os-release(5): lower-case letters, digits, '.', '_'
// and '-'), at most 64: what the publisher records of a release's UKI
// os-release and the node reads back (docs/sysext.md).
bool ValidSysextLevel(std::string_view level);

// A system extension's name, the same rule for the build's spec and the
// node's file names (docs/sysext.md): [a-z0-9][a-z0-9.-]*, at most 64.
bool ValidSysextName(std::string_view name);

// A unit a system extension declares it needs restarted when it is updated
// without a reboot (the sysext spec's `restarts`, the target's custom
// metadata): a systemd service name, [A-Za-z0-9:_.@-] ending in ".service",
// not starting with '-', at most 255, and not one of Hull's own units
// (`hull-*`: the agent runs in one). The same rule for the build, the
// release and the node.
bool ValidRestartUnit(std::string_view unit);
// At most this many units in `restarts`.
inline constexpr size_t kMaxRestartUnits = 16;

}  // namespace hull::node

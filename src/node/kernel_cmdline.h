// The kernel command line codec: /proc/cmdline and a UKI's .cmdline section,
// split as the kernel splits its own parameters (next_arg() in
// kernel/params.c). The rules, with examples, are in docs/node.md:
//   - ASCII blanks (space, \t, \n, \v, \f, \r) outside double quotes separate
//     parameters; a '"' anywhere toggles quoting;
//   - a parameter is KEY or KEY=VALUE, split at its first '=';
//   - the quotes the kernel drops are dropped: one opening the parameter or
//     its VALUE, and then its last character when that is '"'; quotes inside
//     stay (a"b is a"b);
//   - looking a key up, the last KEY=VALUE wins, as the kernel's __setup
//     handlers see each occurrence in order and keep the last for most
//     options. Keys compare exactly ('-' and '_' are not folded), and a word
//     after "--" is read like any other.
// Splitting never fails: any text is some list of parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hull::node {

struct CmdlineParam {
  std::string key;
  std::optional<std::string> value;  // nullopt for a bare KEY, "" for KEY=
  bool operator==(const CmdlineParam&) const = default;
};

std::vector<CmdlineParam> SplitCmdline(std::string_view text);

// The value of the last KEY=VALUE for `key`; nullopt when there is none (a
// bare `key` has no value).
std::optional<std::string> CmdlineValue(std::string_view text, std::string_view key);

}  // namespace hull::node

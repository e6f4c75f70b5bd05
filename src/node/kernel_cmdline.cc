#include "node/kernel_cmdline.h"

namespace hull::node {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// One parameter starting at text[pos] (not a blank); advances pos past it.
// Mirrors next_arg(): the same quote toggling and the same quotes dropped.
CmdlineParam NextParam(std::string_view text, size_t& pos) {
  bool quoted = false, in_quote = false;
  if (text[pos] == '"') {
    ++pos;
    quoted = in_quote = true;
  }
  size_t start = pos, equals = std::string_view::npos;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (IsSpace(c) && !in_quote) break;
    if (equals == std::string_view::npos && c == '=') equals = pos;
    if (c == '"') in_quote = !in_quote;
  }
  size_t end = pos;
  size_t value_start = equals == std::string_view::npos ? end : equals + 1;
  bool value_quoted = value_start < end && text[value_start] == '"';
  if (value_quoted) ++value_start;
  if ((quoted || value_quoted) && end > start && text[end - 1] == '"') --end;
  CmdlineParam p;
  if (equals == std::string_view::npos) {
    p.key = std::string(text.substr(start, end - start));
  } else {
    p.key = std::string(text.substr(start, equals - start));
    p.value = value_start < end ? std::string(text.substr(value_start, end - value_start)) : "";
  }
  return p;
}

}  // namespace

std::vector<CmdlineParam> SplitCmdline(std::string_view text) {
  std::vector<CmdlineParam> params;
  size_t pos = 0;
  for (;;) {
    while (pos < text.size() && IsSpace(text[pos])) ++pos;
    if (pos == text.size()) return params;
    params.push_back(NextParam(text, pos));
  }
}

std::optional<std::string> CmdlineValue(std::string_view text, std::string_view key) {
  std::optional<std::string> value;
  for (CmdlineParam& p : SplitCmdline(text)) {
    if (p.key == key && p.value) value = std::move(p.value);
  }
  return value;
}

}  // namespace hull::node

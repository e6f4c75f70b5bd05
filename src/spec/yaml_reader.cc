#include "spec/yaml_reader.h"

#include <fmt/format.h>

#include <set>

namespace hull::spec {

const char* NodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "an undefined value";
  }
}

namespace {
std::string JoinChoices(std::initializer_list<std::string_view> items) {
  std::string out;
  for (auto s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}
}  // namespace

Error YamlReader::AtMark(const YAML::Mark& mark, std::string message, ErrorCode code) const {
  int line = mark.line < 0 ? 0 : mark.line;
  int col = mark.column < 0 ? 0 : mark.column;
  return Errorf(code, "{}:{}:{}: {}", file_, line + 1, col + 1, message);
}

Error YamlReader::At(const YAML::Node& node, const YAML::Mark& fallback, std::string message,
                     ErrorCode code) const {
  YAML::Mark mark = node.IsDefined() ? node.Mark() : fallback;
  if (mark.line < 0) mark = fallback;
  return AtMark(mark, std::move(message), code);
}

YAML::Mark YamlReader::MarkOf(const YAML::Node& map, std::string_view key) {
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) {
      YAML::Mark m = kv.second.Mark();
      return m.line >= 0 ? m : kv.first.Mark();
    }
  }
  return map.Mark();
}

Status YamlReader::CheckKeys(const YAML::Node& map, std::string_view where,
                             std::initializer_list<std::string_view> allowed) const {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      return At(kv.first, map.Mark(),
                fmt::format("keys of {} must be names, got {}", where, NodeKind(kv.first)));
    }
    const std::string& key = kv.first.Scalar();
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      return At(
          kv.first, map.Mark(),
          fmt::format("unknown key '{}' in {} (allowed: {})", key, where, JoinChoices(allowed)));
    }
    if (!seen.insert(key).second) {
      return At(kv.first, map.Mark(), fmt::format("duplicate key '{}' in {}", key, where));
    }
  }
  return Ok();
}

Status YamlReader::ExpectMap(const YAML::Node& node, const YAML::Mark& fallback,
                             std::string_view what) const {
  if (node.IsMap()) return Ok();
  return At(node, fallback, fmt::format("'{}' must be a map, got {}", what, NodeKind(node)));
}

Result<std::string> YamlReader::Scalar(const YAML::Node& node, const YAML::Mark& fallback,
                                       std::string_view what) const {
  if (!node.IsScalar()) {
    return At(node, fallback, fmt::format("'{}' must be a scalar, got {}", what, NodeKind(node)));
  }
  return node.Scalar();
}

Result<std::vector<std::string>> YamlReader::ScalarList(const YAML::Node& node,
                                                        const YAML::Mark& fallback,
                                                        std::string_view what) const {
  if (!node.IsSequence()) {
    return At(node, fallback,
              fmt::format("'{}' must be a list of scalars, got {}", what, NodeKind(node)));
  }
  if (node.size() > kMaxEntries) {
    return At(node, fallback, fmt::format("'{}' has more than {} entries", what, kMaxEntries));
  }
  std::vector<std::string> out;
  for (const auto& item : node) {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(item, node.Mark(), fmt::format("{}[]", what)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<size_t> YamlReader::Choice(const YAML::Node& node, const YAML::Mark& fallback,
                                  std::string_view what,
                                  std::initializer_list<std::string_view> choices) const {
  HULL_ASSIGN_OR_RETURN(std::string s, Scalar(node, fallback, what));
  size_t i = 0;
  for (auto c : choices) {
    if (c == s) return i;
    ++i;
  }
  return At(node, fallback,
            fmt::format("bad {} '{}' (allowed: {})", what, s, JoinChoices(choices)));
}

Result<uint64_t> YamlReader::Size(const YAML::Node& node, const YAML::Mark& fallback,
                                  std::string_view what) const {
  HULL_ASSIGN_OR_RETURN(std::string s, Scalar(node, fallback, what));
  auto bad = [&] {
    return At(node, fallback,
              fmt::format("bad size '{}' for '{}' (allowed: bytes as a decimal integer, "
                          "optionally with K, M, G or T, e.g. 512M)",
                          s, what));
  };
  if (s.empty() || s.size() > 24) return bad();
  uint64_t value = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (value > (UINT64_MAX - 9) / 10) return bad();
    value = value * 10 + uint64_t(s[i] - '0');
  }
  if (i == 0) return bad();
  unsigned shift = 0;
  if (i + 1 == s.size()) {
    switch (s[i]) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'T':
        shift = 40;
        break;
      default:
        return bad();
    }
  } else if (i != s.size()) {
    return bad();
  }
  if (shift && value > (UINT64_MAX >> shift)) return bad();
  return value << shift;
}

}  // namespace hull::spec

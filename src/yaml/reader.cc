#include "yaml/reader.h"

#include <fmt/format.h>

#include <set>

namespace hull::yaml {

const char* NodeKind(const YAML::Node& node) {
  if (!node.IsDefined()) return "an undefined value";
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "an empty value";
    default:
      return "an undefined value";
  }
}

std::string JoinNames(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto s : names) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

std::optional<KeyIssue> FindKeyIssue(const YAML::Node& map,
                                     std::initializer_list<std::string_view> allowed) {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) return KeyIssue{KeyIssue::kNotAName, kv.first, kv.second, ""};
    const std::string& key = kv.first.Scalar();
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) return KeyIssue{KeyIssue::kUnknown, kv.first, kv.second, key};
    if (!seen.insert(key).second) return KeyIssue{KeyIssue::kDuplicate, kv.first, kv.second, key};
  }
  return std::nullopt;
}

Result<YAML::Node> Reader::Load(std::string_view text) const {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return AtMark(e.mark, "YAML syntax: " + e.msg);
  } catch (const std::exception& e) {
    return Errorf(ErrorCode::kInvalidArgument, "{}: YAML: {}", file_, e.what());
  }
}

std::string Reader::Position(const YAML::Mark& mark) const {
  int line = mark.line < 0 ? 0 : mark.line;
  int col = mark.column < 0 ? 0 : mark.column;
  return fmt::format("{}:{}:{}", file_, line + 1, col + 1);
}

Error Reader::AtMark(const YAML::Mark& mark, std::string message, ErrorCode code) const {
  return Errorf(code, "{}: {}", Position(mark), message);
}

Error Reader::At(const YAML::Node& node, const YAML::Mark& fallback, std::string message,
                 ErrorCode code) const {
  YAML::Mark mark = node.IsDefined() ? node.Mark() : fallback;
  if (mark.line < 0) mark = fallback;
  return AtMark(mark, std::move(message), code);
}

Error Reader::At(const YAML::Node& node, std::string message) const {
  YAML::Mark m = node.Mark();
  if (m.is_null()) return Errorf(ErrorCode::kInvalidArgument, "{}: {}", file_, message);
  return AtMark(m, std::move(message));
}

YAML::Mark Reader::MarkOf(const YAML::Node& map, std::string_view key) {
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) {
      YAML::Mark m = kv.second.Mark();
      return m.line >= 0 ? m : kv.first.Mark();
    }
  }
  return map.Mark();
}

Status Reader::CheckKeys(const YAML::Node& map, std::string_view where,
                         std::initializer_list<std::string_view> allowed) const {
  auto issue = FindKeyIssue(map, allowed);
  if (!issue) return Ok();
  switch (issue->kind) {
    case KeyIssue::kNotAName:
      return At(issue->key, map.Mark(),
                fmt::format("keys of {} must be names, got {}", where, NodeKind(issue->key)));
    case KeyIssue::kUnknown:
      return At(issue->key, map.Mark(),
                fmt::format("unknown key '{}' in {} (allowed: {})", issue->name, where,
                            JoinNames(allowed)));
    case KeyIssue::kDuplicate:
      break;
  }
  return At(issue->key, map.Mark(), fmt::format("duplicate key '{}' in {}", issue->name, where));
}

Status Reader::ExpectMap(const YAML::Node& node, const YAML::Mark& fallback,
                         std::string_view what) const {
  if (node.IsMap()) return Ok();
  return At(node, fallback, fmt::format("'{}' must be a map, got {}", what, NodeKind(node)));
}

Result<std::string> Reader::Scalar(const YAML::Node& node, const YAML::Mark& fallback,
                                   std::string_view what) const {
  if (!node.IsScalar()) {
    return At(node, fallback, fmt::format("'{}' must be a scalar, got {}", what, NodeKind(node)));
  }
  return node.Scalar();
}

Result<std::vector<std::string>> Reader::ScalarList(const YAML::Node& node,
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

Result<size_t> Reader::Choice(const YAML::Node& node, const YAML::Mark& fallback,
                              std::string_view what,
                              std::initializer_list<std::string_view> choices) const {
  HULL_ASSIGN_OR_RETURN(std::string s, Scalar(node, fallback, what));
  size_t i = 0;
  for (auto c : choices) {
    if (c == s) return i;
    ++i;
  }
  return At(node, fallback, fmt::format("bad {} '{}' (allowed: {})", what, s, JoinNames(choices)));
}

}  // namespace hull::yaml

#include "catalog/yaml_reader.h"

#include <algorithm>

#include "catalog/catalog.h"

namespace hull::catalog {

using yaml::NodeKind;

Result<YAML::Node> YamlReader::Load(std::string_view text) const {
  if (text.size() > kMaxCatalogBytes) {
    return Errorf(ErrorCode::kInvalidArgument, "{}: larger than {} bytes", file(),
                  kMaxCatalogBytes);
  }
  return Reader::Load(text);
}

Status YamlReader::Map(const YAML::Node& node, std::string_view what,
                       std::initializer_list<std::string_view> allowed,
                       std::initializer_list<std::string_view> required) const {
  if (!node.IsMap()) return At(node, fmt::format("{} must be a map, not {}", what, NodeKind(node)));
  if (auto issue = yaml::FindKeyIssue(node, allowed)) {
    switch (issue->kind) {
      case yaml::KeyIssue::kNotAName:
        return At(issue->key, fmt::format("{}: keys must be scalars", what));
      case yaml::KeyIssue::kUnknown:
        return At(issue->key, fmt::format("unknown key '{}' in {} (known: {})", issue->name, what,
                                          yaml::JoinNames(allowed)));
      case yaml::KeyIssue::kDuplicate:
        return At(issue->key, fmt::format("duplicate key '{}' in {}", issue->name, what));
    }
  }
  for (std::string_view r : required) {
    if (!node[std::string(r)]) return At(node, fmt::format("{} needs key '{}'", what, r));
  }
  return Ok();
}

Status YamlReader::List(const YAML::Node& node, std::string_view what) const {
  if (!node.IsSequence()) {
    return At(node, fmt::format("{} must be a list, not {}", what, NodeKind(node)));
  }
  if (node.size() > kMaxCatalogEntries) {
    return At(node, fmt::format("{} has more than {} entries", what, kMaxCatalogEntries));
  }
  return Ok();
}

Result<std::string> YamlReader::Scalar(const YAML::Node& node, std::string_view what) const {
  if (!node.IsScalar()) {
    return At(node, fmt::format("{} must be a scalar, not {}", what, NodeKind(node)));
  }
  return node.Scalar();
}

Result<std::string> YamlReader::Str(const YAML::Node& map, const char* key,
                                    const std::string& fallback) const {
  YAML::Node n = map[key];
  if (!n) return fallback;
  return Scalar(n, key);
}

Result<bool> YamlReader::Bool(const YAML::Node& map, const char* key, bool fallback) const {
  YAML::Node n = map[key];
  if (!n) return fallback;
  HULL_ASSIGN_OR_RETURN(std::string s, Scalar(n, key));
  if (s == "true") return true;
  if (s == "false") return false;
  return At(n, fmt::format("{} must be true or false, not '{}'", key, s));
}

Result<int> YamlReader::Int(const YAML::Node& map, const char* key, int fallback) const {
  YAML::Node n = map[key];
  if (!n) return fallback;
  HULL_ASSIGN_OR_RETURN(std::string s, Scalar(n, key));
  if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), ::isdigit)) {
    return At(n, fmt::format("{} must be a number, not '{}'", key, s));
  }
  return std::stoi(s);
}

Result<std::vector<std::string>> YamlReader::StrList(const YAML::Node& map, const char* key) const {
  std::vector<std::string> out;
  YAML::Node n = map[key];
  if (!n) return out;
  HULL_TRY(List(n, key));
  for (const auto& item : n) {
    HULL_ASSIGN_OR_RETURN(std::string s, Scalar(item, key));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace hull::catalog

#include "catalog/yaml_reader.h"

#include <algorithm>
#include <set>

#include "catalog/catalog.h"

namespace hull::catalog {
namespace {

const char* TypeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "empty";
    default:
      return "undefined";
  }
}

}  // namespace

Result<YAML::Node> YamlReader::Load(std::string_view text) const {
  if (text.size() > kMaxCatalogBytes) {
    return Errorf(ErrorCode::kInvalidArgument, "{}: larger than {} bytes", file_, kMaxCatalogBytes);
  }
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Errorf(ErrorCode::kInvalidArgument, "{}:{}:{}: YAML syntax: {}", file_, e.mark.line + 1,
                  e.mark.column + 1, e.msg);
  } catch (const std::exception& e) {
    return Errorf(ErrorCode::kInvalidArgument, "{}: YAML: {}", file_, e.what());
  }
}

Error YamlReader::At(const YAML::Node& node, const std::string& message) const {
  YAML::Mark m = node.Mark();
  if (m.is_null()) return Errorf(ErrorCode::kInvalidArgument, "{}: {}", file_, message);
  return Errorf(ErrorCode::kInvalidArgument, "{}:{}:{}: {}", file_, m.line + 1, m.column + 1,
                message);
}

Status YamlReader::Map(const YAML::Node& node, std::string_view what,
                       std::initializer_list<const char*> allowed,
                       std::initializer_list<const char*> required) const {
  if (!node.IsMap()) return At(node, fmt::format("{} must be a map, not {}", what, TypeName(node)));
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return At(kv.first, fmt::format("{}: keys must be scalars", what));
    std::string key = kv.first.Scalar();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::string known;
      for (const char* a : allowed) known += std::string(known.empty() ? "" : ", ") + a;
      return At(kv.first, fmt::format("unknown key '{}' in {} (known: {})", key, what, known));
    }
    if (!seen.insert(key).second) {
      return At(kv.first, fmt::format("duplicate key '{}' in {}", key, what));
    }
  }
  for (const char* r : required) {
    if (!seen.count(r)) return At(node, fmt::format("{} needs key '{}'", what, r));
  }
  return Ok();
}

Status YamlReader::List(const YAML::Node& node, std::string_view what) const {
  if (!node.IsSequence()) {
    return At(node, fmt::format("{} must be a list, not {}", what, TypeName(node)));
  }
  if (node.size() > kMaxCatalogEntries) {
    return At(node, fmt::format("{} has more than {} entries", what, kMaxCatalogEntries));
  }
  return Ok();
}

Result<std::string> YamlReader::Scalar(const YAML::Node& node, std::string_view what) const {
  if (!node.IsScalar()) {
    return At(node, fmt::format("{} must be a scalar, not {}", what, TypeName(node)));
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

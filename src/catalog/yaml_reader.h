// The catalog's view of the shared strict YAML reader (yaml/reader.h): every
// error carries "file:line:column: " (1-based) of the offending node, worded
// as the catalog words it ("(known: ...)").
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "yaml/reader.h"

namespace hull::catalog {

class YamlReader : public yaml::Reader {
 public:
  using Reader::Reader;

  // Parses a document of at most kMaxCatalogBytes; a syntax error is
  // reported with its position.
  Result<YAML::Node> Load(std::string_view text) const;

  // `node` must be a map whose keys are all in `allowed` (no duplicates) and
  // hold every key of `required`.
  Status Map(const YAML::Node& node, std::string_view what,
             std::initializer_list<std::string_view> allowed,
             std::initializer_list<std::string_view> required = {}) const;
  Status List(const YAML::Node& node, std::string_view what) const;

  // Scalars of a map; a missing optional key yields `fallback`.
  Result<std::string> Str(const YAML::Node& map, const char* key,
                          const std::string& fallback = "") const;
  Result<bool> Bool(const YAML::Node& map, const char* key, bool fallback) const;
  Result<int> Int(const YAML::Node& map, const char* key, int fallback) const;
  // A list of scalars (a single scalar is refused: write [x]).
  Result<std::vector<std::string>> StrList(const YAML::Node& map, const char* key) const;
  Result<std::string> Scalar(const YAML::Node& node, std::string_view what) const;
};

}  // namespace hull::catalog

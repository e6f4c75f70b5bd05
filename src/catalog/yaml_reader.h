// Strict YAML access for the catalog loaders: every error carries
// "file:line:column: " (1-based) of the offending node. yaml-cpp exceptions
// stay inside this adapter.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "base/result.h"

namespace hull::catalog {

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  // Parses a document; a syntax error is reported with its position.
  Result<YAML::Node> Load(std::string_view text) const;

  Error At(const YAML::Node& node, const std::string& message) const;

  // `node` must be a map whose keys are all in `allowed` (no duplicates) and
  // hold every key of `required`.
  Status Map(const YAML::Node& node, std::string_view what,
             std::initializer_list<const char*> allowed,
             std::initializer_list<const char*> required = {}) const;
  Status List(const YAML::Node& node, std::string_view what) const;

  // Scalars of a map; a missing optional key yields `fallback`.
  Result<std::string> Str(const YAML::Node& map, const char* key,
                          const std::string& fallback = "") const;
  Result<bool> Bool(const YAML::Node& map, const char* key, bool fallback) const;
  Result<int> Int(const YAML::Node& map, const char* key, int fallback) const;
  // A list of scalars (a single scalar is refused: write [x]).
  Result<std::vector<std::string>> StrList(const YAML::Node& map, const char* key) const;
  Result<std::string> Scalar(const YAML::Node& node, std::string_view what) const;

 private:
  std::string file_;
};

}  // namespace hull::catalog

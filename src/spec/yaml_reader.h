// Strict typed access to a yaml-cpp node tree: every error names the file,
// line and column of the offending node and what is allowed there. yaml-cpp
// exceptions never leave this adapter.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::spec {

// Cap on the entries of any list in a spec (untrusted input).
inline constexpr size_t kMaxEntries = 4096;

class YamlReader {
 public:
  explicit YamlReader(std::string filename) : file_(std::move(filename)) {}

  // "FILE:LINE:COL: message" at the node (or at `fallback` when the node has
  // no position, e.g. an empty value), code kInvalidArgument unless given.
  Error At(const YAML::Node& node, const YAML::Mark& fallback, std::string message,
           ErrorCode code = ErrorCode::kInvalidArgument) const;
  Error AtMark(const YAML::Mark& mark, std::string message,
               ErrorCode code = ErrorCode::kInvalidArgument) const;

  // The map's keys must be scalars, unique and among `allowed`.
  Status CheckKeys(const YAML::Node& map, std::string_view where,
                   std::initializer_list<std::string_view> allowed) const;
  Status ExpectMap(const YAML::Node& node, const YAML::Mark& fallback, std::string_view what) const;
  Result<std::string> Scalar(const YAML::Node& node, const YAML::Mark& fallback,
                             std::string_view what) const;
  Result<std::vector<std::string>> ScalarList(const YAML::Node& node, const YAML::Mark& fallback,
                                              std::string_view what) const;
  // One of `choices`; returns its index.
  Result<size_t> Choice(const YAML::Node& node, const YAML::Mark& fallback, std::string_view what,
                        std::initializer_list<std::string_view> choices) const;
  // A byte count: a decimal integer, optionally with K, M, G or T (powers of 1024).
  Result<uint64_t> Size(const YAML::Node& node, const YAML::Mark& fallback,
                        std::string_view what) const;
  // The mark of the value of `key` in `map` (its key's mark when the value has none).
  static YAML::Mark MarkOf(const YAML::Node& map, std::string_view key);

  const std::string& filename() const { return file_; }

 private:
  std::string file_;
};

const char* NodeKind(const YAML::Node& node);

}  // namespace hull::spec

// Strict typed access to a yaml-cpp node tree, shared by every loader of
// user-written YAML (spec, catalog, disk layout): every error names the file,
// line and column of the offending node ("FILE:LINE:COL: message", 1-based)
// and what is allowed there. yaml-cpp exceptions never leave this adapter.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::yaml {

// Cap on the entries of a list read by ScalarList (untrusted input).
inline constexpr size_t kMaxEntries = 4096;

// "a map", "a list", "a scalar", "an empty value" or "an undefined value".
const char* NodeKind(const YAML::Node& node);

// "a, b, c".
std::string JoinNames(std::initializer_list<std::string_view> names);

// The first thing wrong with a map's keys, in document order.
struct KeyIssue {
  enum Kind { kNotAName, kUnknown, kDuplicate };
  Kind kind;
  YAML::Node key;
  YAML::Node value;
  std::string name;  // the key's text (empty for kNotAName)
};
// A key that is not a scalar, not among `allowed` or seen before; nullopt
// when all keys are fine. Each loader words the error in its own terms.
std::optional<KeyIssue> FindKeyIssue(const YAML::Node& map,
                                     std::initializer_list<std::string_view> allowed);

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  // Parses one document. A syntax error is kInvalidArgument
  // "FILE:LINE:COL: YAML syntax: ...".
  Result<YAML::Node> Load(std::string_view text) const;

  // "FILE:LINE:COL" of `mark` (negative positions are clamped to 1).
  std::string Position(const YAML::Mark& mark) const;

  // "FILE:LINE:COL: message" at `mark`, code kInvalidArgument unless given.
  Error AtMark(const YAML::Mark& mark, std::string message,
               ErrorCode code = ErrorCode::kInvalidArgument) const;
  // At the node, or at `fallback` when the node has no position (e.g. a
  // missing value).
  Error At(const YAML::Node& node, const YAML::Mark& fallback, std::string message,
           ErrorCode code = ErrorCode::kInvalidArgument) const;
  // At the node; "FILE: message" when the node has no position.
  Error At(const YAML::Node& node, std::string message) const;

  // The map's keys must be scalars, unique and among `allowed`:
  // "unknown key 'k' in WHERE (allowed: ...)", "duplicate key 'k' in WHERE".
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
  // The mark of the value of `key` in `map` (its key's mark when the value has none).
  static YAML::Mark MarkOf(const YAML::Node& map, std::string_view key);

 private:
  std::string file_;
};

}  // namespace hull::yaml

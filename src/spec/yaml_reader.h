// The spec's view of the shared strict YAML reader (yaml/reader.h): the
// same positioned errors, plus the spec's byte-size values.
#pragma once

#include <cstdint>
#include <string_view>

#include "yaml/reader.h"

namespace hull::spec {

using yaml::kMaxEntries;  // cap on the entries of any list in a spec
using yaml::NodeKind;

class YamlReader : public yaml::Reader {
 public:
  using Reader::Reader;

  // A byte count: a decimal integer, optionally with K, M, G or T (powers of 1024).
  Result<uint64_t> Size(const YAML::Node& node, const YAML::Mark& fallback,
                        std::string_view what) const;
};

}  // namespace hull::spec

#include "spec/yaml_reader.h"

#include <fmt/format.h>

namespace hull::spec {

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

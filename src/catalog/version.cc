#include "catalog/version.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace hull::catalog {
namespace {

// Splits on '.', each part all digits, 1..max_digits long.
Result<std::vector<uint32_t>> NumericParts(std::string_view text, size_t max_digits) {
  std::vector<uint32_t> parts;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || part.size() > max_digits ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Errorf(ErrorCode::kInvalidArgument, "part '{}' is not a number", part);
    }
    uint32_t v = 0;
    std::from_chars(part.data(), part.data() + part.size(), v);
    parts.push_back(v);
    if (dot == std::string_view::npos) break;
    if (parts.size() > 3) return Error(ErrorCode::kInvalidArgument, "too many parts");
    start = dot + 1;
  }
  return parts;
}

}  // namespace

std::string ImageVersion::ToString() const {
  return fmt::format("{:06}.{:02}.{}", year_month, day, build);
}

Result<ImageVersion> ParseImageVersion(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "node image version '{}' is not YYYYMM.DD.N (e.g. 202606.01.0): {}", text, why);
  };
  auto parts = NumericParts(text, 9);
  if (!parts.ok()) return bad(parts.error().message());
  if (parts->size() != 3) return bad("expected three parts");
  size_t first_dot = text.find('.');
  size_t second_dot = text.find('.', first_dot + 1);
  if (first_dot != 6) return bad("YYYYMM must have six digits");
  if (second_dot - first_dot - 1 != 2) return bad("DD must have two digits");
  ImageVersion v{(*parts)[0], (*parts)[1], (*parts)[2]};
  uint32_t month = v.year_month % 100;
  if (v.year_month / 100 < 2000 || month < 1 || month > 12) return bad("month out of range");
  if (v.day < 1 || v.day > 31) return bad("day out of range");
  return v;
}

Result<ImageVersion> LatestVersion(std::span<const ImageVersion> versions) {
  if (versions.empty()) return Error(ErrorCode::kNotFound, "no versions listed");
  return *std::max_element(versions.begin(), versions.end());
}

std::string KubernetesVersion::ToString() const {
  return has_patch ? fmt::format("{}.{}.{}", major, minor, patch)
                   : fmt::format("{}.{}", major, minor);
}

Result<KubernetesVersion> ParseKubernetesVersion(std::string_view text) {
  std::string_view t = text;
  if (!t.empty() && (t[0] == 'v' || t[0] == 'V')) t.remove_prefix(1);
  auto parts = NumericParts(t, 4);
  if (!parts.ok() || parts->size() < 2 || parts->size() > 3) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "Kubernetes version '{}' is not MAJOR.MINOR or MAJOR.MINOR.PATCH (e.g. 1.34)",
                  text);
  }
  KubernetesVersion v{(*parts)[0], (*parts)[1], 0, parts->size() == 3};
  if (v.has_patch) v.patch = (*parts)[2];
  return v;
}

}  // namespace hull::catalog

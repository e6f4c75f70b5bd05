#include "tuf/releases.h"

#include <algorithm>
#include <charconv>

namespace hull::tuf {

Result<std::array<uint64_t, 3>> ParseReleaseVersion(const std::string& v) {
  std::array<uint64_t, 3> out{};
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    // Exactly two dots: a missing one is refused here, before `pos` could
    // pass the end of the string.
    size_t end = i == 2 ? v.size() : v.find('.', pos);
    if (end == std::string::npos) {
      return Errorf(ErrorCode::kInvalidArgument, "'{}' is not a release version YYYYMM.DD.N", v);
    }
    auto [p, ec] = std::from_chars(v.data() + pos, v.data() + end, out[size_t(i)]);
    if (ec != std::errc() || p != v.data() + end || end == pos) {
      return Errorf(ErrorCode::kInvalidArgument, "'{}' is not a release version YYYYMM.DD.N", v);
    }
    pos = end + 1;
  }
  uint64_t month = out[0] % 100;
  if (out[0] < 100000 || out[0] > 999999 || month < 1 || month > 12 || out[1] < 1 || out[1] > 31) {
    return Errorf(ErrorCode::kInvalidArgument, "'{}' is not a release version YYYYMM.DD.N", v);
  }
  return out;
}

bool IsWithdrawn(const nlohmann::json& custom) {
  if (!custom.is_object()) return false;
  auto it = custom.find(kWithdrawnKey);
  return it != custom.end() && it->is_boolean() && it->get<bool>();
}

uint64_t RolloutPercentOf(const nlohmann::json& custom) {
  auto it = custom.find("rollout_percent");
  return it != custom.end() && it->is_number_unsigned()
             ? std::min<uint64_t>(100, it->get<uint64_t>())
             : 100;
}

std::vector<Release> ListReleases(const Targets& targets) {
  std::vector<Release> out;
  for (const auto& [name, f] : targets.targets) {
    const auto& c = f.custom;
    if (!c.is_object()) continue;
    auto str = [&](const char* k) {
      auto it = c.find(k);
      return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    Release r{name,           str("flavor"),       str("arch"), str("version"),
              str("channel"), RolloutPercentOf(c), f.length};
    r.withdrawn = IsWithdrawn(c);
    if (!ParseReleaseVersion(r.version).ok()) continue;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const Release& a, const Release& b) {
    return *ParseReleaseVersion(a.version) < *ParseReleaseVersion(b.version);
  });
  return out;
}

std::optional<Release> NewestRelease(const Targets& targets, const std::string& flavor,
                                     const std::string& arch, const std::string& channel) {
  std::optional<Release> best;
  for (Release& r : ListReleases(targets)) {
    if ((!flavor.empty() && r.flavor != flavor) || (!arch.empty() && r.arch != arch) ||
        (!channel.empty() && r.channel != channel) || r.withdrawn) {
      continue;
    }
    best = std::move(r);  // ascending order: the last match is the newest
  }
  return best;
}

}  // namespace hull::tuf

#include "release/pull.h"

#include <fmt/format.h>

#include <map>

#include "tuf/releases.h"

namespace hull::release {

Result<PullResult> PullRelease(const std::string& repo, const tuf::RoleKeySet& keys,
                               const std::string& version, const PullOptions& opts) {
  HULL_ASSIGN_OR_RETURN(auto want, tuf::ParseReleaseVersion(version));
  HULL_ASSIGN_OR_RETURN(tuf::Targets t, tuf::Repository::ReadTargets(repo));
  PullResult out;
  std::map<std::string, nlohmann::json> changed;
  for (const auto& [name, f] : t.targets) {
    const nlohmann::json& c = f.custom;
    if (!c.is_object()) continue;
    auto str = [&](const char* k) {
      auto it = c.find(k);
      return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto v = tuf::ParseReleaseVersion(str("version"));
    if (!v.ok() || *v != want) continue;
    if ((!opts.flavor.empty() && str("flavor") != opts.flavor) ||
        (!opts.arch.empty() && str("arch") != opts.arch))
      continue;
    out.targets.push_back(name);
    if (tuf::IsWithdrawn(c) != opts.undo) continue;  // already so
    nlohmann::json n = c;
    if (opts.undo)
      n.erase(tuf::kWithdrawnKey);
    else
      n[tuf::kWithdrawnKey] = true;
    changed.emplace(name, std::move(n));
  }
  if (out.targets.empty()) {
    std::string of;
    if (!opts.flavor.empty()) of += fmt::format(" of flavor '{}'", opts.flavor);
    if (!opts.arch.empty()) of += fmt::format(" for arch '{}'", opts.arch);
    return Errorf(ErrorCode::kNotFound, "{} has no release {}{} (hull release ls {} lists them)",
                  repo, version, of, repo);
  }
  if (changed.empty()) return out;
  HULL_TRY(tuf::Repository::SetCustom(repo, keys, changed, opts.expiry));
  out.changed = true;
  return out;
}

}  // namespace hull::release

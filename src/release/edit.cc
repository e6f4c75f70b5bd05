#include "release/edit.h"

#include <fmt/format.h>

#include "release/offline.h"
#include "tuf/releases.h"

namespace hull::release {

Result<EditResult> EditRelease(const std::string& repo, const tuf::RoleKeySet& keys,
                               const ReleaseRef& ref, const tuf::Expiry& expiry,
                               const ReleaseEditFn& edit, const std::string& sign_offline,
                               const std::string& command) {
  HULL_ASSIGN_OR_RETURN(auto want, tuf::ParseReleaseVersion(ref.version));
  HULL_ASSIGN_OR_RETURN(tuf::Targets t, tuf::Repository::ReadTargets(repo));
  EditResult out;
  CustomOf of_release;
  for (const auto& [name, f] : t.targets) {
    const nlohmann::json& c = f.custom;
    if (!c.is_object()) continue;
    auto str = [&](const char* k) {
      auto it = c.find(k);
      return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto v = tuf::ParseReleaseVersion(str("version"));
    if (!v.ok() || *v != want) continue;
    if ((!ref.flavor.empty() && str("flavor") != ref.flavor) ||
        (!ref.arch.empty() && str("arch") != ref.arch))
      continue;
    out.targets.push_back(name);
    of_release.emplace(name, c);
  }
  if (out.targets.empty()) {
    std::string of;
    if (!ref.flavor.empty()) of += fmt::format(" of flavor '{}'", ref.flavor);
    if (!ref.arch.empty()) of += fmt::format(" for arch '{}'", ref.arch);
    return Errorf(ErrorCode::kNotFound, "{} has no release {}{} (hull release ls {} lists them)",
                  repo, ref.version, of, repo);
  }
  HULL_ASSIGN_OR_RETURN(CustomOf changed, edit(of_release));
  if (changed.empty()) return out;
  if (!sign_offline.empty()) {
    HULL_ASSIGN_OR_RETURN(auto staged, tuf::Repository::StageTargets(repo, {}, changed, expiry));
    HULL_TRY(RecordTargets(repo, staged, command, sign_offline));
  } else {
    HULL_TRY(tuf::Repository::SetCustom(repo, keys, changed, expiry));
  }
  out.changed = true;
  return out;
}

}  // namespace hull::release

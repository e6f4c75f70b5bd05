#include "release/pull.h"

#include "release/edit.h"
#include "tuf/releases.h"

namespace hull::release {

Result<PullResult> PullRelease(const std::string& repo, const tuf::RoleKeySet& keys,
                               const std::string& version, const PullOptions& opts) {
  auto edit = [&](const CustomOf& of_release) -> Result<CustomOf> {
    CustomOf changed;
    for (const auto& [name, c] : of_release) {
      if (tuf::IsWithdrawn(c) != opts.undo) continue;  // already so
      nlohmann::json n = c;
      if (opts.undo)
        n.erase(tuf::kWithdrawnKey);
      else
        n[tuf::kWithdrawnKey] = true;
      changed.emplace(name, std::move(n));
    }
    return changed;
  };
  HULL_ASSIGN_OR_RETURN(
      EditResult r, EditRelease(repo, keys, {version, opts.flavor, opts.arch}, opts.expiry, edit,
                                opts.sign_offline, "release pull"));
  return PullResult{std::move(r.targets), r.changed};
}

}  // namespace hull::release

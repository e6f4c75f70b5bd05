#include "release/rollout.h"

#include <algorithm>

#include "release/edit.h"
#include "tuf/releases.h"

namespace hull::release {

Result<RolloutResult> SetRollout(const std::string& repo, const tuf::RoleKeySet& keys,
                                 const std::string& version, uint64_t percent,
                                 const RolloutOptions& opts) {
  if (percent > 100)
    return Errorf(ErrorCode::kInvalidArgument,
                  "rollout {}: a percentage is 0 to 100 (100: every node)", percent);
  RolloutResult out;
  auto edit = [&](const CustomOf& of_release) -> Result<CustomOf> {
    out.from = 0;
    for (const auto& [name, c] : of_release) {
      if (tuf::IsWithdrawn(c))
        return Errorf(ErrorCode::kRefused,
                      "release {} is withdrawn ({}): restore it first with hull release pull "
                      "{} {} --undo",
                      version, name, repo, version);
      out.from = std::max(out.from, tuf::RolloutPercentOf(c));
    }
    if (percent < out.from && !opts.allow_lower)
      return Errorf(ErrorCode::kRefused,
                    "release {} is at {}%: lowering it to {}% needs --allow-lower (nodes already "
                    "running it stay on it; only nodes not yet on it are held back)",
                    version, out.from, percent);
    CustomOf changed;
    for (const auto& [name, c] : of_release) {
      auto it = c.find("rollout_percent");
      if (it != c.end() && it->is_number_unsigned() && it->get<uint64_t>() == percent) continue;
      nlohmann::json n = c;
      n["rollout_percent"] = percent;
      changed.emplace(name, std::move(n));
    }
    return changed;
  };
  HULL_ASSIGN_OR_RETURN(
      EditResult r, EditRelease(repo, keys, {version, opts.flavor, opts.arch}, opts.expiry, edit,
                                opts.sign_offline, "release rollout"));
  out.targets = std::move(r.targets);
  out.changed = r.changed;
  return out;
}

}  // namespace hull::release

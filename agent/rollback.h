// Rollback bookkeeping: a version whose boot entry used every try without
// being blessed (systemd-boot then fell back to the previous entry) is bad
// on this node (which entries those are is decide.h's rule 1); the agent
// records it here and never installs it again.
#pragma once

#include <set>
#include <string>

#include "base/result.h"

namespace hull::agent {

// The bad-version list: one version per line; absent file = empty.
Result<std::set<std::string>> LoadBadVersions(const std::string& path);
// Writes the list atomically (temp file, fsync, rename).
Status SaveBadVersions(const std::string& path, const std::set<std::string>& versions);

}  // namespace hull::agent

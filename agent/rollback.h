// Rollback bookkeeping: a version whose boot entry used every try without
// being blessed (systemd-boot then fell back to the previous entry) is bad
// on this node; the agent records it and never installs it again.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "slot/state.h"

namespace hull::agent {

// Versions of bad entries (every try used, never blessed) in `st` other
// than the booted one.
std::vector<std::string> FailedVersions(const slot::DiskState& st, const std::string& booted);

// The bad-version list: one version per line; absent file = empty.
Result<std::set<std::string>> LoadBadVersions(const std::string& path);
// Writes the list atomically (temp file, fsync, rename).
Status SaveBadVersions(const std::string& path, const std::set<std::string>& versions);

}  // namespace hull::agent

// Download directories a killed `hull-agent update` leaves behind
// (slot::ApplyRelease downloads into "<parent>/hull-update-XXXXXX"): swept
// when the agent starts, and by the agent itself on SIGTERM (update.cc).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace hull::agent {

// Removes every "<parent>/<prefix>-*" directory; returns the paths removed.
// Call it only while no other update runs (update.cc holds a lock).
Result<std::vector<std::string>> SweepDownloads(const std::string& parent,
                                                const std::string& prefix);

}  // namespace hull::agent

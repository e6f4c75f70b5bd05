// The exit status of every Hull program (hull, hull-agent, hull-init's tools),
// derived from an error's code in one place so the programs cannot disagree.
// The table is part of the CLI contract (README "Exit status"): scripts and
// systemd units act on it, so it stays small and its values never move.
#pragma once

#include "base/result.h"

namespace hull {

// 0: done (also "nothing to do").
inline constexpr int kExitOk = 0;
// 1: the request was understood and examined, and the answer is no: a digest,
// signature, structure or freshness check failed (kVerifyFailed,
// kBadSignature, kCorrupt, kRollback, kExpired) or a policy refused it
// (kRefused, kConflict). Retrying the same request will not help.
inline constexpr int kExitFailed = 1;
// 2: the request could not be carried out: bad usage or input (kInvalidArgument,
// kNotFound, kAlreadyExists, kUnsupported) or the environment failed (kIo,
// kTimeout, kProcessFailed, kUnavailable, kInternal).
inline constexpr int kExitError = 2;

int ExitCodeFor(ErrorCode code);

}  // namespace hull

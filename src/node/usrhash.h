// usrhash=: the dm-verity root hash of /usr on the kernel command line (DPS
// verity mode #1: the usr partition's UUID is its first 128 bits, the
// usr-verity partition's its last 128 bits; REFERENCE.md §3.1). One rule for
// every reader (hull-init, hull-agent, the slot code, `hull inspect`): Hull's
// verity trees are SHA-256, so a usrhash is exactly 64 hex digits, either case
// accepted; the value returned is lowercase, so two spellings of one hash
// compare equal everywhere.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::node {

inline constexpr size_t kUsrHashHexLength = 64;  // SHA-256

// The normalized (lowercase) hash. kInvalidArgument:
//   "usrhash=: N characters, expected 64 hex digits (a SHA-256 root hash)"
//   "usrhash=: character K (0xNN) is not a hex digit" (K counts from 1)
Result<std::string> ParseUsrHash(std::string_view text);

// hull.roottemplate=: the SHA-256 of the install medium's root template
// partition (node/medium.h), all of its bytes, on the UKI's command line
// (docs/iso.md). Same rule as usrhash=: 64 hex digits, either case,
// returned lowercase.
inline constexpr const char* kRootTemplateOption = "hull.roottemplate";

// ParseUsrHash's rule for hull.roottemplate=, its errors naming that option.
Result<std::string> ParseRootTemplateHash(std::string_view text);

// The last usrhash= of a kernel command line (node/kernel_cmdline.h), parsed.
// kNotFound "no usrhash= on the kernel command line" when absent (a bare
// `usrhash` without a value counts as absent); ParseUsrHash's errors otherwise.
Result<std::string> UsrHashOfCmdline(std::string_view cmdline);

// The last hull.roottemplate= of a kernel command line, parsed: kNotFound
// "no hull.roottemplate= on the kernel command line" when absent;
// ParseRootTemplateHash's errors otherwise.
Result<std::string> RootTemplateHashOfCmdline(std::string_view cmdline);

}  // namespace hull::node

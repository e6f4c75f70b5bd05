// Target names are data, never local paths (TUF 1.0 §2.2.4: a TARGETPATH is a
// path relative to the repository's targets URL, '/' separating directories).
// A name signed by the targets role reaches two places only:
//   - the URL it is fetched from, built here segment by segment, each checked
//     and percent-encoded (RFC 3986 §2.1: every octet outside the unreserved
//     set A-Z a-z 0-9 - . _ ~);
//   - nowhere on the node's file system: downloads go to names the caller
//     makes (src/slot/update.cc), never to the target's name.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::tuf {

inline constexpr size_t kMaxTargetNameBytes = 4096;

// kCorrupt "target name '<n>': <why>" for an empty name, one longer than
// kMaxTargetNameBytes, a NUL or a backslash anywhere, or an empty, "." or ".."
// segment (so no leading, trailing or doubled '/'). Names with '/' inside are
// legal, as TUF allows them.
Status CheckTargetName(std::string_view name);

// `path` with every octet outside the unreserved set and '/' written as %XX
// (upper-case hex).
std::string PercentEncodePath(std::string_view path);

// The inverse for a repository on the local file system: %XX decoded;
// kInvalidArgument for a malformed escape or an escaped NUL.
Result<std::string> PercentDecodePath(std::string_view path);

}  // namespace hull::tuf

// Whether this host can compose a tree for an architecture (docs/build.md
// "Architectures"), checked before mmdebstrap runs so a missing piece is one
// line naming it and the fix rather than mmdebstrap's output:
//   - the mirror carries the architecture: its signed InRelease names it in
//     "Architectures:" and lists a <component>/binary-<arch>/Packages index
//     (any compression) for every component the spec asks for;
//   - a foreign architecture (not this host's) can run its maintainer
//     scripts: binfmt_misc has qemu-user's handler for it enabled
//     (scripts/binfmt.sh registers it; qemu-user-static provides it).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "rootfs/compose.h"

namespace hull::rootfs {

inline constexpr const char* kBinfmtMiscDir = "/proc/sys/fs/binfmt_misc";

// kNotFound naming o.arch, the mirror and suite, the first component whose
// index is missing, the architectures the mirror has, and the fix.
Status CheckMirrorHasArch(std::string_view in_release, const ComposeOptions& o);

// Ok for the host's own architecture (`native_machine`, uname's name). For
// another: kNotFound unless `binfmt_dir`/qemu-<machine> exists and says
// "enabled"; kInvalidArgument for an architecture Hull does not know.
Status CheckCanRunArch(std::string_view arch, const std::string& native_machine,
                       const std::string& binfmt_dir = kBinfmtMiscDir);

}  // namespace hull::rootfs

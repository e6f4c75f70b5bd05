// System extensions on the node (docs/sysext.md): which files of
// /var/lib/hull/extensions (slot::kExtensionsDir) are tried in which order,
// and what a second run of a boot makes of a mounted one (the record itself,
// /run/hull/extensions.json, is extensions_state.h's). Pure; the
// activation itself (loop, dm-verity, mount, systemd-sysext) is
// activate.cc's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/extensions_state.h"
#include "base/result.h"
#include "node/os_release.h"

namespace hull::agent {

// An image file: NAME_VERSION_ARCH.raw as `hull sysext build` names it, or
// NAME.raw (version "").
struct ExtensionFile {
  std::string file;  // the file name, no directory
  std::string name, version, arch;
  // What the agent recorded when it fetched the file (extension_plan.h,
  // CompatibilityRecord); none for a file placed otherwise.
  std::optional<node::OsRelease> compatibility;
};
// kInvalidArgument naming the file for a name that is neither form, or
// whose NAME breaks node::ValidSysextName.
Result<ExtensionFile> ParseExtensionFileName(std::string_view file);

// The files grouped by extension name (in name order), each group newest
// version first (node::CompareVersions): the first of a group that passes
// every check is activated, the rest of the group stand by.
std::vector<std::vector<ExtensionFile>> ActivationOrder(std::vector<ExtensionFile> files);

// The device-mapper name of an extension's dm-verity device:
// "hull-ext-NAME-" and the first 16 hex digits of its root hash, so that a
// device of another version (still mapped, or left over) never holds the
// name of the next one. At most 90 bytes (a NAME of up to 64): within
// DM_NAME_LEN.
std::string ExtensionDmName(std::string_view name, std::string_view root_hash_hex);

// The results of a group (ActivationOrder) whose extension is mounted
// already: an earlier `hull-agent extensions` of this boot activated it, or
// an extension's own update swapped it in. The mounted one keeps the entry
// `previous` (that run's record, /run/hull/extensions.json) gives it,
// "active" or "pending" (a swap whose refresh has not succeeded), the
// group's other files "standby". Without such a record the group's files are
// "standby", the reason saying an unrecorded one is mounted.
std::vector<ExtensionResult> MountedGroupResults(const std::vector<ExtensionFile>& group,
                                                 const std::vector<ExtensionResult>& previous);

// After a `systemd-sysext refresh` that succeeded: every "pending" entry is
// merged now, so it becomes "active" (its reason and "replaces" cleared).
// Returns the dm-verity device names of the versions they replaced (none
// when a pending entry replaced nothing, or the same root hash), which the
// caller removes.
std::vector<std::string> CompleteMerge(std::vector<ExtensionResult>& results);

}  // namespace hull::agent

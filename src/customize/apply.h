// The changes of a customize configuration, made on an extracted /usr tree
// (docs/customize.md "What each field does"). Nothing here is mounted or
// needs root: files are written into the tree, services are enabled by
// `systemctl --root`, logins become sysusers.d and tmpfiles.d entries.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "customize/config.h"

namespace hull::customize {

// One change, as the manifest and the SBOM record it.
struct Change {
  std::string kind;    // "file", "dir", "hostname", "user", "group", "service", ...
  std::string target;  // the node path or name it changes
  std::string detail;  // e.g. "sha256:<hex> mode 0644", "enable"
};

// The files customize writes itself (one per concern, replaced as a whole).
inline constexpr const char* kSysusersFile = "lib/sysusers.d/hull-customize.conf";
inline constexpr const char* kTmpfilesFile = "lib/tmpfiles.d/hull-customize.conf";
inline constexpr const char* kModulesLoadFile = "lib/modules-load.d/hull-customize.conf";
inline constexpr const char* kModprobeFile = "lib/modprobe.d/hull-customize.conf";

// The sysusers.d(5) text for `c`'s groups and users (pure, for tests).
std::string SysusersText(const Config& c);
// The modules-load.d(5) and modprobe.d(5) texts for `c`'s modules (pure).
std::string ModulesLoadText(const Config& c);
std::string ModprobeText(const Config& c);

// Applies `c` to `root`/usr (the extracted /usr; `root`/etc is made a link to
// usr/etc while systemctl runs). Errors name the entry ("FILE:LINE:COL:
// os.additionalFiles[0]: ..."): kRefused for a destination that passes
// through a symbolic link or replaces a directory, kNotFound for a unit or a
// kernel module the image does not have, kIo.
Result<std::vector<Change>> Apply(const Config& c, const std::string& root);

}  // namespace hull::customize

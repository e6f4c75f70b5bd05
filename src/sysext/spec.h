// The system extension spec: a YAML file naming what goes into one signed
// systemd-sysext image (docs/sysext.md documents every field). Parsing is
// strict like the image spec's: an unknown key, a wrong type or a bad value is
// kInvalidArgument "FILE:LINE:COL: <what is wrong> (allowed: ...)".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::sysext {

// What the extension declares it runs on (os-release(5) keys as
// systemd-sysext(8) matches them): the OS ID and exactly one of an exact
// VERSION_ID (on Hull the image version: IMAGE_VERSION and VERSION_ID are one
// value) or a SYSEXT_LEVEL the image declares.
struct Compatibility {
  enum class Kind { kSysextLevel, kVersionId };
  std::string id = "hull";
  Kind kind = Kind::kSysextLevel;
  std::string value;
};

struct SysextSpec {
  std::string name;            // [a-z0-9][a-z0-9.-]*: no '_', which separates the file name's parts
  std::string version;         // [A-Za-z0-9][A-Za-z0-9.+~-]*
  std::string arch = "amd64";  // Debian architecture: amd64 | arm64
  Compatibility compatibility;
  std::vector<std::string> packages;  // Debian packages, resolved against the base
  // Directories or tarballs (.tar, .tar.gz, .tgz, .tar.xz, .tar.zst) whose
  // content is laid over the extension's root: every path in them under usr/.
  // Resolved against the spec file's directory.
  std::vector<std::string> files;
  // Services to restart when the node updates this extension without a
  // reboot (docs/sysext.md "An extension's own update"): the restart is made
  // under the node's FleetLock slot. Each node::ValidRestartUnit, once, at
  // most node::kMaxRestartUnits.
  std::vector<std::string> restarts;
};

inline constexpr size_t kMaxSysextSpecBytes = 1 << 20;

Result<SysextSpec> ParseSysextSpec(std::string_view yaml, const std::string& filename);
// Reads PATH (at most kMaxSysextSpecBytes) and parses it; relative `files`
// entries are resolved against PATH's directory.
Result<SysextSpec> LoadSysextSpec(const std::string& path);

// systemd's architecture name for a Debian one ("amd64" -> "x86-64").
std::string SystemdArch(std::string_view debian_arch);
// "NAME_VERSION_ARCH": the base name of the image and its SBOM.
std::string ImageBaseName(const SysextSpec& spec);
// The text of usr/lib/extension-release.d/extension-release.NAME: ID, then
// SYSEXT_LEVEL or VERSION_ID, ARCHITECTURE, SYSEXT_ID and SYSEXT_VERSION_ID.
std::string ExtensionReleaseText(const SysextSpec& spec);

}  // namespace hull::sysext

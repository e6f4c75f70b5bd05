// The package list of a composed tree, read from its dpkg database before the
// package manager is removed: name, version, architecture, source, licenses
// (from machine-readable /usr/share/doc/<pkg>/copyright, DEP-5) and the .deb's
// SHA-256 from the compose cache.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::rootfs {

struct PackageInfo {
  std::string name;
  std::string version;
  std::string arch;
  std::string source;          // source package name (= name when absent)
  std::string source_version;  // = version when absent
  uint64_t installed_kib = 0;
  std::vector<std::string> licenses;  // Debian short names, sorted, unique
  std::string license_spdx;           // SPDX expression, or NOASSERTION
  std::string deb_file;               // "<name>_<version>_<arch>.deb" (epoch ':' as %3a)
  std::string deb_sha256;             // hex; empty when the .deb is not cached
};

// Caps on the untrusted dpkg status file.
inline constexpr uint64_t kMaxStatusBytes = 64 << 20;
inline constexpr size_t kMaxPackages = 20000;

// Parses dpkg's status file text: installed packages only, sorted by name.
Result<std::vector<PackageInfo>> ParseDpkgStatus(std::string_view text);
// The License: short names of a DEP-5 copyright file; empty when the file is
// not machine-readable.
std::vector<std::string> Dep5Licenses(std::string_view copyright);
// Debian short license names to an SPDX expression (unknown names become
// LicenseRef-<name>); "NOASSERTION" for an empty list.
std::string SpdxExpression(const std::vector<std::string>& debian_names);
// The pool file name of a package's .deb.
std::string DebFileName(const PackageInfo& p);

// The file dpkg lists an installed package's paths in, in the tree at
// `root` for the tree's architecture `arch` (Debian's name: the build's):
// var/lib/dpkg/info/<pkg>:<arch>.list for a Multi-Arch: same package,
// var/lib/dpkg/info/<pkg>.list for any other; "" when neither exists (not
// installed, or installed for another architecture only).
std::string DpkgListPath(const std::string& root, std::string_view pkg, std::string_view arch);

// Reads the package list of the tree at `root` (var/lib/dpkg/status), its
// licenses and, when `deb_cache` is set, the .deb hashes.
Result<std::vector<PackageInfo>> ReadPackages(const std::string& root,
                                              const std::string& deb_cache);

// Reads a file of the tree with every symlink resolved inside `root`
// (openat2 RESOLVE_IN_ROOT): a tree's absolute symlinks never reach the host.
Result<std::string> ReadTreeFile(const std::string& root, const std::string& path,
                                 uint64_t max_size);

}  // namespace hull::rootfs

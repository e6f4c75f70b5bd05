// The `hull customize` configuration (docs/customize.md): strict YAML with
// Azure Linux Image Customizer's field names where they fit an immutable,
// sealed image. Every field kept here is honoured by re-packing /usr; fields
// an immutable image cannot honour without a rebuild (os.packages, storage,
// scripts, ...) are refused with their position and the reason.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "spec/spec.h"

namespace hull::customize {

// Each entry keeps "FILE:LINE:COL" of its YAML node, so checks that happen
// later (a source that is missing, a module the image lacks) still name it.
struct AdditionalFile {
  std::string where;
  std::string source;  // host path (relative to the config's folder, resolved)
  std::optional<std::string> content;
  std::string destination;  // absolute, under /usr/ or /etc/
  mode_t permissions = 0644;
};

struct AdditionalDir {
  std::string where;
  std::string source;  // host directory, copied recursively
  std::string destination;
  mode_t new_dir_permissions = 0755;
  mode_t child_file_permissions = 0644;
};

struct Group {
  std::string where, name;
  std::optional<uint32_t> gid;
};

struct User {
  std::string where, name;
  std::optional<uint32_t> uid;
  std::string primary_group;
  std::vector<std::string> secondary_groups;
  std::vector<std::string> ssh_public_keys;  // the keys of sshPublicKeyPaths read in
};

struct Module {
  std::string where, name;
  enum class Load { kAuto, kAlways, kDisable } load = Load::kAuto;
  std::map<std::string, std::string> options;
};

struct UpdateChange {
  std::string where;
  std::optional<std::string> repository, trusted_root, channel, fleetlock_url, fleetlock_group;
};

// `os.packages` (with --rebuild only, customize/rebuild.h): the packages
// added to and removed from the image's recorded spec. Each name keeps the
// "FILE:LINE:COL" of its entry.
struct PackageChange {
  std::string where, name;
};
struct Packages {
  std::string where;  // "FILE:LINE:COL: os.packages"
  std::vector<PackageChange> install, remove;
};

// `trust.mode` (customize/trust.h): whose certificates the image's trust set
// holds. The default trusts who signed the image and no one else.
enum class TrustMode { kKeep, kReplace, kAdd };
inline constexpr TrustMode kDefaultTrustMode = TrustMode::kReplace;

struct Config {
  std::string file;
  std::optional<std::string> hostname;
  std::vector<AdditionalFile> files;
  std::vector<AdditionalDir> dirs;
  std::vector<Group> groups;
  std::vector<User> users;
  std::vector<std::string> enable, disable;
  std::vector<std::string> extra_cmdline;
  std::vector<Module> modules;
  std::optional<spec::SelinuxMode> selinux;
  std::optional<UpdateChange> update;
  TrustMode trust = kDefaultTrustMode;
  // `output.image.format`: the disk's format in --out (raw, vhd, qcow2, vhdx).
  spec::OutputFormat output_format = spec::OutputFormat::kRaw;
  std::string output_format_where;   // "FILE:LINE:COL: output.image.format" when given
  std::optional<Packages> packages;  // read only when the caller rebuilds
};

// What ParseConfig does with `os.packages`: refuse it (a sealed image has no
// package manager), or read it for a rebuild (hull customize --rebuild).
enum class PackagesField { kRefuse, kRead };

// Parses `text` (read from `file`; relative sources resolve against
// `base_dir`). kInvalidArgument "FILE:LINE:COL: message" for unknown or
// misspelt keys, wrong types and bad values; kRefused, likewise positioned,
// for a field Hull cannot honour on a sealed image (with the reason); kNotFound
// for a `source` or `sshPublicKeyPaths` entry that does not exist. With
// PackagesField::kRead, `os.packages` ({install, remove}: package names) is
// read; a package both installed and removed is kInvalidArgument at its
// `remove` entry.
Result<Config> ParseConfig(std::string_view text, const std::string& file,
                           const std::string& base_dir,
                           PackagesField packages = PackagesField::kRefuse);
// Reads and parses the file at `path`.
Result<Config> LoadConfig(const std::string& path, PackagesField packages = PackagesField::kRefuse);

// The node-side path a destination names inside the /usr tree: "/etc/x" ->
// "etc/x" under usr (the factory /etc is /usr/etc), "/usr/x" -> "x".
// kRefused for anything else (not absolute, "..", "." or empty components,
// other roots: those live on the node's writable root, not in the image).
Result<std::string> UsrRelativePath(std::string_view destination);

}  // namespace hull::customize

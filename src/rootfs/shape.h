// Shapes a composed Debian tree for the immutable flavor, on the directory
// tree only (nothing is mounted; run as root so owners and modes survive):
//   - merged /usr is required (bin, sbin, lib, lib64 are links into usr/)
//   - the package list is recorded (packages.h), then the package manager
//     (apt, dpkg, libapt-pkg) is removed from /usr
//   - spec files are copied, services enabled/disabled (systemctl --root)
//   - login users become usr/lib/sysusers.d/hull-users.conf and
//     usr/lib/tmpfiles.d/hull-users.conf (home, ~/.ssh/authorized_keys)
//   - kernel modules are pruned to the allow-list (modules.h)
//   - /usr/lib/os-release says ID=hull, IMAGE_ID, IMAGE_VERSION, VARIANT_ID,
//     VERSION_ID (= IMAGE_VERSION) and SYSEXT_LEVEL (when known), the keys
//     systemd-sysext matches an extension against (docs/sysext.md)
//     (and HULL_INSECURE_DEV_KEYS=1 when built with development keys)
//   - /etc/machine-id is empty (first boot), /etc/selinux/config names the mode
//   - the factory /etc moves to /usr/etc (an empty /etc is left for the
//     overlay at boot; relative symlinks in it keep meaning what they meant,
//     since /usr/etc is seen at /etc on the node)
//   - /var, /home, /srv, /tmp, /run, /root are emptied (state lives on the
//     writable root)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "node/users.h"
#include "rootfs/modules.h"
#include "rootfs/packages.h"

namespace hull::rootfs {

struct CopyFile {
  std::string source;  // host path
  std::string dest;    // absolute path in the image, under /usr/ or /etc/
};

using node::LoginUser;

struct ShapeOptions {
  std::string image_id;  // os-release IMAGE_ID (the spec name)
  std::string image_version;
  std::string arch = "amd64";  // the tree's (Debian's name): dpkg's file lists (DpkgListPath)
  std::string variant_id = "immutable";
  std::string pretty_name;   // default "Hull <image_id> <version>"
  std::string sysext_level;  // node::SysextLevelForSuite; empty: not declared
  bool insecure_dev_keys = false;
  bool remove_package_manager = true;
  std::vector<std::string> module_patterns;  // empty: keep every module
  std::string selinux_mode = "enforcing";    // written to /etc/selinux/config
  std::vector<CopyFile> files;
  std::vector<std::string> enable_units;
  std::vector<std::string> disable_units;
  // Created at boot from /usr (systemd-sysusers and systemd-tmpfiles), since
  // /etc/passwd and /home live on the writable root.
  std::vector<LoginUser> users;
  std::string deb_cache;  // where the .debs are, for their SHA-256
};

struct SizeEntry {
  std::string path;
  uint64_t bytes = 0;
};

struct ShapeReport {
  std::vector<PackageInfo> packages;          // in the image
  std::vector<std::string> removed_packages;  // the package manager
  std::vector<PruneReport> kernels;
  uint64_t usr_bytes_before_prune = 0;
  uint64_t usr_bytes_after = 0;
  std::vector<SizeEntry> largest;  // directories two levels under /usr
};

inline constexpr const char* kPackageManager[] = {"apt", "dpkg", "libapt-pkg6.0"};

Result<ShapeReport> Shape(const std::string& root, const ShapeOptions& options);

// The sysusers.d and tmpfiles.d texts for `users` (node/users.h).
using node::SysusersText;
using node::TmpfilesText;
// The os-release text Shape writes.
std::string OsReleaseText(const ShapeOptions& options);
// Apparent size of the regular files and symlinks under `dir` (not following links).
Result<uint64_t> TreeBytes(const std::string& dir);
// The `count` largest directories `depth` levels below `dir` by apparent size.
Result<std::vector<SizeEntry>> LargestEntries(const std::string& dir, int depth, size_t count);

}  // namespace hull::rootfs

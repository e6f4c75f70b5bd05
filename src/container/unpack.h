// Debian packages unpacked into a tree without dpkg: each .deb's data is
// extracted with `dpkg-deb --fsys-tarfile | tar` (no maintainer script
// runs), its paths merged into the tree merged-/usr (/bin, /sbin, /lib* go
// to /usr, with the top-level symlinks made at the end), and its control
// stanza written to /var/lib/dpkg/status.d/<name> with "Status: install ok
// installed" (the distroless layout that Trivy, Grype and Syft read).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace hull::container {

struct UnpackedPackage {
  std::string name;
  std::string deb;  // the file unpacked
};

// Unpacks exactly `names` (sorted here) from the .debs in `deb_dir` into
// `tree` (an existing directory), using `scratch` for staging. Errors:
// kNotFound naming a package with no .deb in the set (a virtual package, or
// one the download did not bring), kConflict naming a path two packages
// ship (directories excepted), kProcessFailed from dpkg-deb or tar.
Result<std::vector<UnpackedPackage>> UnpackPackages(std::vector<std::string> names,
                                                    const std::string& deb_dir,
                                                    const std::string& tree,
                                                    const std::string& scratch);

// /bin -> usr/bin and the like, for each of bin, sbin, lib, lib32, lib64,
// libx32 whose /usr directory exists.
Status MakeMergedUsrLinks(const std::string& tree);

// "Status: install ok installed" inserted after the stanza's Package line.
std::string StatusStanza(std::string control);

}  // namespace hull::container

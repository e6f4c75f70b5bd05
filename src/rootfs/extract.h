// Packages fetched for unpacking only (container images): mmdebstrap's
// `extract` variant downloads the named packages with apt from the signed
// mirror (InRelease checked with gpgv first, as for every compose; apt checks
// each .deb's hash), and the .debs are kept, keyed like a compose: by the
// argv and the verified InRelease's SHA-256. Nothing is configured and no
// maintainer script runs; what is unpacked from the .debs is the caller's
// choice (apt also downloads the dependency closure, which the caller may
// leave out).
//
// Cache layout (cache_dir): debsets/<key>/*.deb, kKeptDebSets kept.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "rootfs/compose.h"

namespace hull::rootfs {

inline constexpr size_t kKeptDebSets = 16;  // package sets kept (most recently used)

// The mmdebstrap argv downloading o.packages (and their dependencies) for
// o.arch into the directory `target`, keeping apt's archive cache.
std::vector<std::string> BuildDownloadArgv(const ComposeOptions& o, const std::string& target);

// The architectures an InRelease names ("Architectures:" field).
std::vector<std::string> ReleaseArchitectures(std::string_view in_release);

struct DebSet {
  std::string dir;  // holds <name>_<version>_<arch>.deb
  bool cache_hit = false;
  std::string release_sha256;
};

// Fetches and verifies InRelease, refuses an architecture it does not name
// (kNotFound), then downloads (or reuses from o.cache_dir) the packages.
// A package apt cannot find is kNotFound naming it. Without a cache the
// .debs go to `scratch`.
Result<DebSet> DownloadPackages(const ComposeOptions& o, const std::string& scratch);

}  // namespace hull::rootfs

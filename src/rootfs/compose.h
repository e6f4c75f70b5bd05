// Package composition: a Debian tree made by mmdebstrap from a signed mirror,
// cached between builds.
//
// Trust: before anything else the suite's InRelease is fetched and checked
// with gpgv against `keyring` (kBadSignature if it is not signed by a key in
// it); mmdebstrap then runs with the same keyring, so apt verifies InRelease
// and every package's hash again. A cache entry is keyed by that verified
// InRelease's SHA-256, so a cached tree can only be reused while the archive
// still publishes the exact Release it was composed from.
//
// Cache layout (cache_dir):
//   debs/<name>_<version>_<arch>.deb   every package downloaded (hard-linked from
//                                      the chroot's /var/cache/apt/archives)
//   trees/<key>/                       the composed tree (mmdebstrap's output
//                                      directory, reproducible under
//                                      SOURCE_DATE_EPOCH); kKeptTrees are kept
// A warm compose (tree present) runs neither apt, dpkg nor tar: the build's
// tree is a hard-linked copy of the cached one (LinkTree), so later stages
// must replace a file (write a new one and rename, or unlink first), never
// write into it: the inode is the cache's.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "rootfs/mmdebstrap_hooks.h"

namespace hull::rootfs {

inline constexpr int kKeptTrees = 2;  // composed trees kept (most recently used)
inline constexpr char kDebianKeyring[] = "/usr/share/keyrings/debian-archive-keyring.gpg";

struct ComposeOptions {
  std::string suite = "bookworm";
  std::string mirror = "http://deb.debian.org/debian";
  std::vector<std::string> components{"main"};
  std::string arch = "amd64";
  std::string variant = "apt";        // apt | essential
  std::vector<std::string> packages;  // extra packages (--include)
  std::string keyring = kDebianKeyring;
  int64_t source_date_epoch = 0;
  std::string cache_dir;  // empty: no cache (a temp dir is used)
  // Without a cache: where the downloaded .debs are kept (the SBOM records
  // their checksums); empty: nowhere. With one they are in cache_dir/debs.
  std::string deb_dir;
};

// Where a compose with `o` keeps its .debs: cache_dir/debs with a cache,
// else deb_dir ("" when none).
std::string DebDir(const ComposeOptions& o);

struct ComposeResult {
  bool cache_hit = false;
  std::string key;             // hex SHA-256 cache key
  std::string release_sha256;  // of the verified InRelease
  std::string cached_tree;     // the cache entry the tree was linked from ("" without cache)
  double seconds = 0;
};

// The mmdebstrap argv writing the tree into the directory `target`, syncing .debs
// with `deb_cache` (empty: no .deb cache), with the hooks of
// mmdebstrap_hooks.h (path filters, merged /usr, the usrmerge pin, the
// program diversions) and, when `eatmydata`, the kEatmydataHooks.
std::vector<std::string> BuildMmdebstrapArgv(const ComposeOptions& o, const std::string& target,
                                             const std::string& deb_cache, bool eatmydata = false);
// "<mirror>/dists/<suite>/InRelease".
std::string InReleaseUrl(const ComposeOptions& o);
// Fetches InRelease (curl for http(s), a read for file://) and checks its
// signature with gpgv against o.keyring. kBadSignature when unsigned or signed
// by an unknown key; kUnavailable when it cannot be fetched.
Result<std::string> FetchVerifiedInRelease(const ComposeOptions& o);
// Hex SHA-256 over the mmdebstrap argv (BuildMmdebstrapArgv without target,
// .deb cache or eatmydata: suite, arch, variant, mirror, components, keyring,
// the sorted and de-duplicated package list, every hook's text) and the
// InRelease digest.
std::string CacheKey(const ComposeOptions& o, const std::string& release_sha256);
// What a compose is keyed by: the verified InRelease's SHA-256 and CacheKey.
struct ComposeSource {
  std::string release_sha256;
  std::string key;
};
// Fetches and verifies InRelease (FetchVerifiedInRelease) and derives the key.
Result<ComposeSource> ResolveCompose(const ComposeOptions& o);
// Composes into `out_dir` (created; must not exist or be empty).
Result<ComposeResult> Compose(const ComposeOptions& o, const std::string& out_dir);
// The same with an already resolved source (no second InRelease fetch).
Result<ComposeResult> Compose(const ComposeOptions& o, const std::string& out_dir,
                              const ComposeSource& source);

// `to` (absent or an empty directory) becomes a copy of the tree `from`:
// directories made anew, everything else hard-linked when both are on one
// filesystem (`cp --archive --link`), copied otherwise.
Status LinkTree(const std::string& from, const std::string& to);
// The guard of that rule: the mtimes of the tree's files linked to the cache,
// taken right after LinkTree (empty when the tree is a copy), and the check
// after the steps that change the tree. A linked file whose mtime moved was
// written into, and so was the cache's inode: kCorrupt naming the file, and
// the cache entry is removed.
struct TreeStamps {
  std::string cached_tree;  // "" when nothing is linked
  std::unordered_map<ino_t, struct timespec> mtimes;
};
Result<TreeStamps> StampLinkedTree(const std::string& tree, const std::string& cached_tree);
Status CheckCacheUntouched(const std::string& tree, const TreeStamps& before);

}  // namespace hull::rootfs

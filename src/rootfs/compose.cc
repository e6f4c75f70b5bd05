#include "rootfs/compose.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/subprocess.h"
#include "crypto/digest.h"
#include "node/arch.h"
#include "rootfs/arch_check.h"

namespace hull::rootfs {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxInReleaseBytes = 64 << 20;
constexpr auto kComposeTimeout = std::chrono::minutes(30);

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::vector<std::string> Sorted(const std::vector<std::string>& v) {
  std::set<std::string> s(v.begin(), v.end());
  return {s.begin(), s.end()};
}

// Shell: hard-links (copies across file systems) every .deb of the
// directory `from` into `to` (both shell words), skipping names `to` has.
std::string LinkDebsCommand(const std::string& from, const std::string& to) {
  return "if ls " + from + " | grep -q '\\.deb$'; then cp -n --link " + from + "/*.deb " + to +
         "/ 2>/dev/null || cp -n " + from + "/*.deb " + to + "/; fi";
}

}  // namespace

std::vector<std::string> BuildMmdebstrapArgv(const ComposeOptions& o, const std::string& target,
                                             const std::string& deb_cache, bool eatmydata) {
  std::vector<std::string> argv = {
      "mmdebstrap",
      // Mounts (/proc, /dev) stay inside a private namespace; nothing is
      // mounted on the build host.
      "--mode=unshare",
      "--variant=" + o.variant,
      "--architectures=" + o.arch,
      "--components=" + Join(o.components, ","),
      "--keyring=" + o.keyring,
      "--format=directory",
  };
  argv.push_back("--setup-hook=" + PathFilterSetupHook());
  argv.push_back("--extract-hook=" + PathFilterPruneHook());
  // The tree is made merged-/usr from the start (mmdebstrap's merged-usr
  // hooks install usr-is-merged), and an apt pin keeps usrmerge out: apt
  // would pick it (and perl with it, about 45 MiB) for init-system-helpers'
  // "usrmerge | usr-is-merged".
  argv.push_back(std::string("--hook-dir=") + kMergedUsrHooks);
  argv.push_back(std::string("--setup-hook=mkdir -p \"$1\"/etc/apt/preferences.d && printf '") +
                 kNoUsrmergePin + "' > \"$1\"/etc/apt/preferences.d/hull-no-usrmerge");
  argv.push_back("--customize-hook=rm \"$1\"/etc/apt/preferences.d/hull-no-usrmerge");
  // Before the diversions' restore hooks: semodule is still the stand-in.
  argv.push_back("--customize-hook=" + PolicyModuleHook());
  for (const auto& d : ComposeDiversions()) {
    argv.push_back("--essential-hook=" + DivertHook(d));
    argv.push_back("--customize-hook=" + RestoreHook(d));
  }
  if (eatmydata) argv.push_back(std::string("--hook-dir=") + kEatmydataHooks);
  auto pkgs = Sorted(o.packages);
  if (!pkgs.empty()) argv.push_back("--include=" + Join(pkgs, ","));
  if (!deb_cache.empty()) {
    // Keep .debs (essential ones too) between runs, as mmdebstrap(1)'s
    // EXAMPLES do with sync-in/sync-out, but hard-linked rather than copied
    // through tar (1.1 s for the default spec's 150 MB): apt and dpkg replace
    // or unlink a .deb, never write into one.
    argv.push_back("--skip=essential/unlink");
    argv.push_back("--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives && " +
                   LinkDebsCommand(ShellQuote({deb_cache}), "\"$1\"/var/cache/apt/archives"));
    argv.push_back("--customize-hook=" +
                   LinkDebsCommand("\"$1\"/var/cache/apt/archives", ShellQuote({deb_cache})));
  }
  argv.push_back(o.suite);
  argv.push_back(target);
  argv.push_back(o.mirror);
  return argv;
}

std::string DebDir(const ComposeOptions& o) {
  return o.cache_dir.empty() ? o.deb_dir : o.cache_dir + "/debs";
}

std::string InReleaseUrl(const ComposeOptions& o) {
  std::string m = o.mirror;
  while (!m.empty() && m.back() == '/') m.pop_back();
  return m + "/dists/" + o.suite + "/InRelease";
}

Result<std::string> FetchVerifiedInRelease(const ComposeOptions& o) {
  const std::string url = InReleaseUrl(o);
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("hull-inrelease"));
  const std::string path = tmp.path() + "/InRelease";
  if (url.rfind("file://", 0) == 0) {
    HULL_ASSIGN_OR_RETURN(
        std::string text,
        ReadFileText(url.substr(7), kMaxInReleaseBytes).Context("reading " + url));
    HULL_TRY(WriteFileAtomic(path, text));
  } else {
    auto r = Run(Command{
        .argv = {"curl", "--fail", "--silent", "--show-error", "--location", "--max-filesize",
                 std::to_string(kMaxInReleaseBytes), "--output", path, url},
        .timeout = std::chrono::minutes(2),
        .install_hint = "apt-get install curl"});
    if (!r.ok()) {
      return Error(ErrorCode::kUnavailable, r.error().ToString())
          .Wrap(fmt::format("fetching {} (check the spec's distribution.mirror and the network)",
                            url));
    }
  }
  auto v = RunAllowFailure(Command{.argv = {"gpgv", "--keyring", o.keyring, path},
                                   .timeout = std::chrono::minutes(1),
                                   .install_hint = "apt-get install gpgv"});
  if (!v.ok()) return std::move(v).error();
  if (v->exit_code != 0) {
    std::string err = v->err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Errorf(ErrorCode::kBadSignature, "{} is not signed by a key in {}: {}", url, o.keyring,
                  err);
  }
  return ReadFileText(path, kMaxInReleaseBytes);
}

std::string CacheKey(const ComposeOptions& o, const std::string& release_sha256) {
  // The argv says everything that shapes the tree (suite, mirror, packages,
  // every hook); the target, the .deb cache and eatmydata do not.
  std::string material =
      fmt::format("hull-compose-v6\nargv={}\nrelease={}\n",
                  ShellQuote(BuildMmdebstrapArgv(o, "TARGET", "", false)), release_sha256);
  return HexEncode(crypto::Sha256(AsBytes(material)));
}

namespace {

bool SameFilesystem(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev;
}

}  // namespace

Status LinkTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::remove(to, ec);  // an empty directory (CheckOutDir), or nothing
  fs::path parent = fs::path(to).parent_path();
  fs::create_directories(parent, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", parent.string(), ec.message());
  std::vector<std::string> argv = {"cp", "--archive", "--no-target-directory"};
  if (SameFilesystem(from, parent.string())) argv.push_back("--link");
  argv.push_back(from);
  argv.push_back(to);
  auto r = Run(Command{.argv = argv, .timeout = std::chrono::minutes(10)});
  if (!r.ok()) {
    fs::remove_all(to, ec);
    return std::move(r).error().Wrap("copying the cached tree " + from);
  }
  return Ok();
}

namespace {

// Calls f(path, stat) for every non-directory of `tree` sharing an inode with
// another name (st_nlink > 1).
template <typename F>
Status ForEachLinkedFile(const std::string& tree, F&& f) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(tree, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode) || st.st_nlink < 2) continue;
    HULL_TRY(f(it->path(), st));
  }
  if (ec) return Errorf(ErrorCode::kIo, "walking '{}': {}", tree, ec.message());
  return Ok();
}

}  // namespace

Result<TreeStamps> StampLinkedTree(const std::string& tree, const std::string& cached_tree) {
  TreeStamps stamps;
  if (cached_tree.empty() || !SameFilesystem(tree, cached_tree)) return stamps;  // a copy
  HULL_TRY(ForEachLinkedFile(tree, [&](const fs::path&, const struct stat& st) -> Status {
    stamps.mtimes.emplace(st.st_ino, st.st_mtim);
    return Ok();
  }));
  stamps.cached_tree = cached_tree;
  return stamps;
}

Status CheckCacheUntouched(const std::string& tree, const TreeStamps& before) {
  if (before.cached_tree.empty()) return Ok();
  return ForEachLinkedFile(tree, [&](const fs::path& p, const struct stat& st) -> Status {
    auto it = before.mtimes.find(st.st_ino);
    if (it == before.mtimes.end() ||
        (it->second.tv_sec == st.st_mtim.tv_sec && it->second.tv_nsec == st.st_mtim.tv_nsec)) {
      return Ok();
    }
    std::error_code ec;
    fs::remove_all(before.cached_tree, ec);
    return Errorf(ErrorCode::kCorrupt,
                  "'{}' was written in place, and it is a hard link of the compose cache's "
                  "tree '{}': that cache entry is removed (build again; a step must replace "
                  "a tree file, never write into it)",
                  p.string(), before.cached_tree);
  });
}

namespace {

Status CheckOutDir(const std::string& out_dir) {
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_empty(out_dir, ec)) {
    return Errorf(ErrorCode::kAlreadyExists, "output directory '{}' is not empty", out_dir);
  }
  return Ok();
}

// mmdebstrap's failure as one clear error: the packages apt could not find
// (a typo in the spec's list, or a package of another suite or component),
// else its exit status and last lines of output.
Error MmdebstrapFailure(const ComposeOptions& o, int exit_code, const std::string& output) {
  constexpr std::string_view kMissing = "E: Unable to locate package ";
  std::vector<std::string> missing, lines;
  size_t pos = 0;
  while (pos < output.size()) {
    size_t nl = output.find('\n', pos);
    if (nl == std::string::npos) nl = output.size();
    std::string line = output.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind(kMissing, 0) == 0) missing.push_back(line.substr(kMissing.size()));
    if (!line.empty()) lines.push_back(std::move(line));
  }
  if (!missing.empty()) {
    return Errorf(ErrorCode::kNotFound,
                  "no package {} in {} ({}) of {}: fix the spec's packages list",
                  Join(missing, ", "), o.suite, Join(o.components, ","), o.mirror);
  }
  constexpr size_t kTail = 12;
  std::vector<std::string> tail(lines.end() - std::ptrdiff_t(std::min(lines.size(), kTail)),
                                lines.end());
  return Errorf(ErrorCode::kProcessFailed,
                "mmdebstrap exited with status {} (-v shows its command and whole output); "
                "its last lines:\n  {}",
                exit_code, Join(tail, "\n  "));
}

// Runs mmdebstrap into the directory `target` (absent or empty). As root its
// unshare mode writes the tree with the real owners; a failed run removes it.
Status RunMmdebstrap(const ComposeOptions& o, const std::string& target,
                     const std::string& deb_cache) {
  HULL_TRY(CheckCanRunArch(o.arch, node::NativeMachine()));
  std::error_code ec;
  auto argv = BuildMmdebstrapArgv(o, target, deb_cache, fs::is_directory(kEatmydataHooks, ec));
  HULL_LOG_DEBUG("compose: {}", ShellQuote(argv));
  auto r =
      RunAllowFailure(Command{.argv = argv,
                              .env = {fmt::format("SOURCE_DATE_EPOCH={}", o.source_date_epoch)},
                              .timeout = kComposeTimeout,
                              .install_hint = "apt-get install mmdebstrap"});
  if (r.ok() && r->exit_code == 0 && r->term_signal == 0) return Ok();
  fs::remove_all(target, ec);
  if (!r.ok()) return std::move(r).error().Wrap("mmdebstrap");
  HULL_LOG_DEBUG("compose: mmdebstrap output:\n{}{}", r->out, r->err);
  return MmdebstrapFailure(o, r->exit_code, r->out + r->err);
}

// mmdebstrap into a private temp name renamed to `entry` when complete (a
// failed or concurrent compose never leaves a partial entry).
Status FillTreeCache(const ComposeOptions& o, const std::string& entry, const std::string& debs) {
  const fs::path e(entry);
  HULL_ASSIGN_OR_RETURN(
      TempDir tmp, TempDir::Create(e.filename().string() + ".partial", e.parent_path().string()));
  const std::string tree = tmp.path() + "/tree";
  HULL_TRY(RunMmdebstrap(o, tree, debs));
  std::error_code ec;
  fs::rename(tree, e, ec);
  if (ec && !fs::is_directory(e)) {
    return Errorf(ErrorCode::kIo, "renaming '{}': {}", tree, ec.message());
  }
  return Ok();
}

}  // namespace

Result<ComposeSource> ResolveCompose(const ComposeOptions& o) {
  HULL_ASSIGN_OR_RETURN(std::string in_release, FetchVerifiedInRelease(o));
  HULL_TRY(CheckMirrorHasArch(in_release, o));
  ComposeSource src;
  src.release_sha256 = HexEncode(crypto::Sha256(AsBytes(in_release)));
  src.key = CacheKey(o, src.release_sha256);
  return src;
}

Result<ComposeResult> Compose(const ComposeOptions& o, const std::string& out_dir) {
  auto start = std::chrono::steady_clock::now();
  HULL_TRY(CheckOutDir(out_dir));
  HULL_ASSIGN_OR_RETURN(ComposeSource src, ResolveCompose(o));
  HULL_ASSIGN_OR_RETURN(ComposeResult res, Compose(o, out_dir, src));
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

Result<ComposeResult> Compose(const ComposeOptions& o, const std::string& out_dir,
                              const ComposeSource& source) {
  auto start = std::chrono::steady_clock::now();
  HULL_TRY(CheckOutDir(out_dir));
  ComposeResult res;
  res.release_sha256 = source.release_sha256;
  res.key = source.key;

  std::error_code ec;
  if (o.cache_dir.empty()) {
    fs::remove(out_dir, ec);  // empty (CheckOutDir): mmdebstrap makes it
    fs::create_directories(fs::path(out_dir).parent_path(), ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", out_dir, ec.message());
    if (!o.deb_dir.empty()) fs::create_directories(o.deb_dir, ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", o.deb_dir, ec.message());
    HULL_TRY(RunMmdebstrap(o, out_dir, DebDir(o)));
  } else {
    const std::string trees = o.cache_dir + "/trees", debs = DebDir(o);
    fs::create_directories(trees, ec);
    if (!ec) fs::create_directories(debs, ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating cache '{}': {}", o.cache_dir, ec.message());
    res.cached_tree = trees + "/" + res.key;
    res.cache_hit = fs::is_directory(res.cached_tree, ec);
    if (!res.cache_hit) HULL_TRY(FillTreeCache(o, res.cached_tree, debs));
    fs::last_write_time(res.cached_tree, fs::file_time_type::clock::now(), ec);  // recently used
    HULL_TRY(LinkTree(res.cached_tree, out_dir));
    // Older entries go, the tarballs of earlier cache formats too.
    KeepMostRecent(trees, kKeptTrees);
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace hull::rootfs

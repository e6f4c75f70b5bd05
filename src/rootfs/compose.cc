#include "rootfs/compose.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>

#include "base/file.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/subprocess.h"
#include "crypto/digest.h"

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

}  // namespace

std::vector<std::string> BuildMmdebstrapArgv(const ComposeOptions& o, const std::string& tar_out,
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
      "--format=tar",
  };
  for (const char* f : kDpkgPathFilters) argv.push_back(std::string("--dpkgopt=") + f);
  // The tree is made merged-/usr from the start (mmdebstrap's merged-usr
  // hooks install usr-is-merged), and an apt pin keeps usrmerge out: apt
  // would pick it (and perl with it, about 45 MiB) for init-system-helpers'
  // "usrmerge | usr-is-merged".
  argv.push_back(std::string("--hook-dir=") + kMergedUsrHooks);
  argv.push_back(std::string("--setup-hook=mkdir -p \"$1\"/etc/apt/preferences.d && printf '") +
                 kNoUsrmergePin + "' > \"$1\"/etc/apt/preferences.d/hull-no-usrmerge");
  argv.push_back("--customize-hook=rm \"$1\"/etc/apt/preferences.d/hull-no-usrmerge");
  // Debian's kernel postinst builds an initramfs Hull never uses (it makes its
  // own initrd): update-initramfs is diverted to true while packages install.
  argv.push_back(std::string("--essential-hook=") + kDivertUpdateInitramfs);
  argv.push_back(std::string("--customize-hook=") + kRestoreUpdateInitramfs);
  if (eatmydata) argv.push_back(std::string("--hook-dir=") + kEatmydataHooks);
  auto pkgs = Sorted(o.packages);
  if (!pkgs.empty()) argv.push_back("--include=" + Join(pkgs, ","));
  if (!deb_cache.empty()) {
    // mmdebstrap(1) EXAMPLES: keep .debs (essential ones too) between runs.
    const std::string q = ShellQuote({deb_cache});
    argv.push_back("--skip=essential/unlink");
    argv.push_back("--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/");
    argv.push_back("--setup-hook=sync-in " + q + " /var/cache/apt/archives/");
    argv.push_back("--customize-hook=sync-out /var/cache/apt/archives " + q);
  }
  argv.push_back(o.suite);
  argv.push_back(tar_out);
  argv.push_back(o.mirror);
  return argv;
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
      return Error(ErrorCode::kUnavailable, r.error().ToString()).Wrap("fetching " + url);
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
  std::string material = fmt::format(
      "hull-compose-v4\nsuite={}\narch={}\nvariant={}\nmirror={}\ncomponents={}\npackages={}\n"
      "dpkg={}\npin={}\nrelease={}\n",
      o.suite, o.arch, o.variant, o.mirror, Join(o.components, ","), Join(Sorted(o.packages), ","),
      Join({std::begin(kDpkgPathFilters), std::end(kDpkgPathFilters)}, ","), kNoUsrmergePin,
      release_sha256);
  return HexEncode(crypto::Sha256(AsBytes(material)));
}

namespace {

std::vector<std::string> TarExtractArgv(const std::string& tarball, const std::string& dir) {
  return {"tar",
          "--extract",
          "--file",
          tarball,
          "--directory",
          dir,
          "--numeric-owner",
          "--same-permissions",
          "--xattrs",
          "--xattrs-include=*"};
}

}  // namespace

Status ExtractTree(const std::string& tarball, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", dir, ec.message());
  auto r = Run(Command{.argv = TarExtractArgv(tarball, dir), .timeout = std::chrono::minutes(10)});
  if (!r.ok()) return std::move(r).error().Wrap("extracting " + tarball);
  return Ok();
}

namespace {

Status CheckOutDir(const std::string& out_dir) {
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_empty(out_dir, ec)) {
    return Errorf(ErrorCode::kAlreadyExists, "output directory '{}' is not empty", out_dir);
  }
  return Ok();
}

// Runs mmdebstrap into `tar_final` via a temp name (a failed run leaves
// nothing). mmdebstrap's tar cannot be extracted while it is written: with
// "-" its hooks' output lands in the stream, and a FIFO it opens twice.
Status RunMmdebstrap(const ComposeOptions& o, const std::string& tar_final,
                     const std::string& deb_cache) {
  const std::string partial = tar_final + ".partial";
  std::error_code ec;
  fs::remove(partial, ec);
  auto argv = BuildMmdebstrapArgv(o, partial, deb_cache, fs::is_directory(kEatmydataHooks, ec));
  HULL_LOG_DEBUG("compose: {}", ShellQuote(argv));
  auto r = Run(Command{.argv = argv,
                       .env = {fmt::format("SOURCE_DATE_EPOCH={}", o.source_date_epoch)},
                       .timeout = kComposeTimeout,
                       .install_hint = "apt-get install mmdebstrap"});
  if (!r.ok()) {
    fs::remove(partial, ec);
    return std::move(r).error().Wrap("mmdebstrap");
  }
  fs::rename(partial, tar_final, ec);
  if (ec) return Errorf(ErrorCode::kIo, "renaming '{}': {}", partial, ec.message());
  return Ok();
}

}  // namespace

Result<ComposeSource> ResolveCompose(const ComposeOptions& o) {
  HULL_ASSIGN_OR_RETURN(std::string in_release, FetchVerifiedInRelease(o));
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

  std::optional<TempDir> scratch;
  std::string trees, debs;
  if (o.cache_dir.empty()) {
    HULL_ASSIGN_OR_RETURN(TempDir t, TempDir::Create("hull-compose"));
    trees = t.path();
    scratch.emplace(std::move(t));
  } else {
    trees = o.cache_dir + "/trees";
    debs = o.cache_dir + "/debs";
    std::error_code ec;
    fs::create_directories(trees, ec);
    fs::create_directories(debs, ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating cache '{}': {}", o.cache_dir, ec.message());
  }
  res.tarball = trees + "/" + res.key + ".tar";
  std::error_code ec;
  res.cache_hit = !o.cache_dir.empty() && fs::is_regular_file(res.tarball, ec);
  if (!res.cache_hit) HULL_TRY(RunMmdebstrap(o, res.tarball, debs));
  HULL_TRY(ExtractTree(res.tarball, out_dir));
  if (scratch) res.tarball.clear();
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace hull::rootfs

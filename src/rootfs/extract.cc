#include "rootfs/extract.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/digest.h"
#include "rootfs/arch_check.h"

namespace hull::rootfs {
namespace fs = std::filesystem;

namespace {

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// "E: Unable to locate package NAME" from apt, as mmdebstrap passes it on.
std::string MissingPackage(const std::string& err) {
  const std::string marker = "Unable to locate package ";
  size_t at = err.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return err.substr(at, err.find_first_of(" \n", at) - at);
}

Status MoveDebs(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  for (const auto& e : fs::directory_iterator(from, ec)) {
    if (e.path().extension() != ".deb") continue;
    fs::rename(e.path(), fs::path(to) / e.path().filename(), ec);
    if (ec) return Errorf(ErrorCode::kIo, "moving '{}': {}", e.path().string(), ec.message());
  }
  if (ec) return Errorf(ErrorCode::kIo, "reading '{}': {}", from, ec.message());
  return Ok();
}

}  // namespace

std::vector<std::string> BuildDownloadArgv(const ComposeOptions& o, const std::string& target) {
  std::set<std::string> pkgs(o.packages.begin(), o.packages.end());
  std::string components;
  for (const auto& c : o.components) components += (components.empty() ? "" : ",") + c;
  return {"mmdebstrap",
          "--mode=unshare",
          "--variant=extract",
          "--architectures=" + o.arch,
          "--components=" + components,
          "--keyring=" + o.keyring,
          "--format=directory",
          "--skip=cleanup/apt/cache",
          "--include=" + Joined({pkgs.begin(), pkgs.end()}),
          o.suite,
          target,
          o.mirror};
}

std::vector<std::string> ReleaseArchitectures(std::string_view text) {
  std::vector<std::string> out;
  size_t at = text.starts_with("Architectures:") ? 0 : text.find("\nArchitectures:");
  if (at == std::string_view::npos) return out;
  at = text.find(':', at) + 1;
  std::string_view line = text.substr(at, text.find('\n', at) - at);
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    if (j > i) out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<DebSet> DownloadPackages(const ComposeOptions& o, const std::string& scratch) {
  HULL_ASSIGN_OR_RETURN(std::string in_release, FetchVerifiedInRelease(o));
  HULL_TRY(CheckMirrorHasArch(in_release, o));
  DebSet set{.release_sha256 = HexEncode(crypto::Sha256(AsBytes(in_release)))};
  const std::string key = HexEncode(crypto::Sha256(
      AsBytes(fmt::format("hull-debset-v1\nargv={}\nrelease={}\n",
                          ShellQuote(BuildDownloadArgv(o, "TARGET")), set.release_sha256))));
  const std::string cached = o.cache_dir.empty() ? "" : o.cache_dir + "/debsets/" + key;
  std::error_code ec;
  if (!cached.empty() && fs::is_directory(cached, ec)) {
    set.dir = cached;
    set.cache_hit = true;
    return set;
  }
  const std::string target = scratch + "/download-" + o.arch;
  auto r = RunAllowFailure(Command{.argv = BuildDownloadArgv(o, target),
                                   .timeout = std::chrono::minutes(30),
                                   .install_hint = "apt-get install mmdebstrap"});
  if (!r.ok()) return std::move(r).error();
  if (r->exit_code != 0) {
    fs::remove_all(target, ec);
    std::string missing = MissingPackage(r->err);
    if (!missing.empty()) {
      return Errorf(ErrorCode::kNotFound,
                    "package '{}' is not in {} for {}; fix the spec's packages", missing, o.suite,
                    o.arch);
    }
    std::string tail = r->err.size() > 2000 ? r->err.substr(r->err.size() - 2000) : r->err;
    return Errorf(ErrorCode::kProcessFailed, "mmdebstrap downloading packages failed: {}", tail);
  }
  const std::string dest = cached.empty() ? scratch + "/debs-" + o.arch : cached + ".tmp";
  fs::remove_all(dest, ec);
  HULL_TRY(MoveDebs(target + "/var/cache/apt/archives", dest));
  fs::remove_all(target, ec);
  if (cached.empty()) {
    set.dir = dest;
    return set;
  }
  fs::rename(dest, cached, ec);
  if (ec) return Errorf(ErrorCode::kIo, "renaming '{}': {}", dest, ec.message());
  KeepMostRecent(o.cache_dir + "/debsets", kKeptDebSets);
  set.dir = cached;
  return set;
}

}  // namespace hull::rootfs

#include "rootfs/arch_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "node/arch.h"
#include "rootfs/extract.h"

namespace hull::rootfs {
namespace {

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Whether the InRelease's checksum lists name `path` or a compressed form
// of it (a line " <hash> <size> <path>[.xz|.gz|.bz2|.lzma|.zst]"; not
// Packages.diff/Index, which apt cannot start from).
bool IndexesFile(std::string_view in_release, const std::string& path) {
  size_t at = 0;
  while ((at = in_release.find(" " + path, at)) != std::string_view::npos) {
    at += path.size() + 1;
    size_t end = in_release.find('\n', at);
    if (end == std::string_view::npos) end = in_release.size();
    const std::string_view rest = in_release.substr(at, end - at);
    for (std::string_view ext : {"", ".xz", ".gz", ".bz2", ".lzma", ".zst"})
      if (rest == ext) return true;
  }
  return false;
}

}  // namespace

Status CheckMirrorHasArch(std::string_view in_release, const ComposeOptions& o) {
  const auto arches = ReleaseArchitectures(in_release);
  std::string missing;
  if (std::find(arches.begin(), arches.end(), o.arch) == arches.end()) {
    missing = "its InRelease does not name it in Architectures:";
  } else {
    for (const auto& c : o.components) {
      const std::string index = fmt::format("{}/binary-{}/Packages", c, o.arch);
      if (!IndexesFile(in_release, index)) {
        missing = fmt::format("its InRelease lists no {} index", index);
        break;
      }
    }
  }
  if (missing.empty()) return Ok();
  return Errorf(ErrorCode::kNotFound,
                "architecture '{}' is not on the mirror {} ({}): {} (it has: {}); use a mirror "
                "that carries {} (distribution.mirror) or another arch",
                o.arch, o.mirror, o.suite, missing, Joined(arches), o.arch);
}

Status CheckCanRunArch(std::string_view arch, const std::string& native_machine,
                       const std::string& binfmt_dir) {
  const node::ArchNames* a = node::ArchOfDebian(arch);
  if (a == nullptr) {
    return Errorf(ErrorCode::kInvalidArgument, "unknown architecture '{}' (allowed: amd64, arm64)",
                  arch);
  }
  if (a->machine == native_machine) return Ok();
  const std::string handler = fmt::format("{}/qemu-{}", binfmt_dir, a->machine);
  // procfs reports a size of 0: read the first line, not File::Size bytes.
  std::ifstream in(handler);
  std::string first;
  const bool registered = in.is_open();
  if (registered && std::getline(in, first) && first == "enabled") return Ok();
  return Errorf(ErrorCode::kNotFound,
                "architecture '{}' is foreign to this {} host and its maintainer scripts run "
                "under qemu-user, but {}: run `sudo scripts/binfmt.sh {}` (needs "
                "qemu-user-static)",
                arch, node::DebianArchOfMachine(native_machine),
                registered ? handler + " is disabled" : "no handler is registered at " + handler,
                arch);
}

}  // namespace hull::rootfs

// Kernel module pruning: keep the modules an allow-list names (plus what they
// depend on, from modules.dep), delete the rest, and regenerate the module
// index with `depmod -b ROOT KVER` so modules.dep names only files present.
//
// A pattern with a '/' matches a module's path relative to
// /usr/lib/modules/<kver>/ (e.g. "kernel/net/netfilter/*"); otherwise it
// matches the module name (file name without .ko[.xz|.zst|.gz]). '*' '?' '[]'
// are fnmatch wildcards ('*' crosses '/'); '-' and '_' are equivalent in
// names, as for the kernel.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::rootfs {

// "kernel/drivers/net/virtio_net.ko.xz" -> "virtio_net".
std::string ModuleName(std::string_view rel_path);
bool ModuleMatches(std::string_view rel_path, const std::vector<std::string>& patterns);

// modules.dep text: module path -> the paths it depends on.
using ModuleDeps = std::map<std::string, std::vector<std::string>>;
Result<ModuleDeps> ParseModulesDep(std::string_view text);
// The modules to keep: those matching, closed over dependencies.
std::set<std::string> ModulesToKeep(const ModuleDeps& deps,
                                    const std::vector<std::string>& patterns);

struct PruneReport {
  std::string kernel_version;
  size_t modules_before = 0;
  size_t modules_kept = 0;
  uint64_t bytes_removed = 0;
};

// Prunes every kernel under ROOT/usr/lib/modules/. No kernel: an empty report.
Result<std::vector<PruneReport>> PruneModules(const std::string& root,
                                              const std::vector<std::string>& patterns);

}  // namespace hull::rootfs

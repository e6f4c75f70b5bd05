#include "agent/extensions.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "node/boot_count.h"
#include "node/os_release.h"
#include "slot/extension.h"

namespace hull::agent {

Result<ExtensionFile> ParseExtensionFileName(std::string_view file) {
  constexpr std::string_view kSuffix = ".raw";
  if (file.size() <= kSuffix.size() || !file.ends_with(kSuffix))
    return Errorf(ErrorCode::kInvalidArgument, "extension file '{}': not NAME.raw", file);
  std::string_view stem = file.substr(0, file.size() - kSuffix.size());
  ExtensionFile out{.file = std::string(file)};
  const size_t first = stem.find('_');
  if (first == std::string_view::npos) {
    out.name = std::string(stem);
  } else {
    const size_t last = stem.rfind('_');
    if (last == first || last + 1 == stem.size() || last == first + 1)
      return Errorf(ErrorCode::kInvalidArgument,
                    "extension file '{}': not NAME.raw or NAME_VERSION_ARCH.raw", file);
    out.name = std::string(stem.substr(0, first));
    out.version = std::string(stem.substr(first + 1, last - first - 1));
    out.arch = std::string(stem.substr(last + 1));
  }
  if (!node::ValidSysextName(out.name))
    return Errorf(ErrorCode::kInvalidArgument,
                  "extension file '{}': '{}' is not an extension name (lower-case letters, "
                  "digits, '.', '-')",
                  file, out.name);
  return out;
}

std::vector<std::vector<ExtensionFile>> ActivationOrder(std::vector<ExtensionFile> files) {
  std::map<std::string, std::vector<ExtensionFile>> groups;
  for (auto& f : files) groups[f.name].push_back(std::move(f));
  std::vector<std::vector<ExtensionFile>> out;
  for (auto& [name, group] : groups) {
    std::sort(group.begin(), group.end(), [](const ExtensionFile& a, const ExtensionFile& b) {
      const int c = node::CompareVersions(a.version, b.version);
      return c != 0 ? c > 0 : a.file < b.file;
    });
    out.push_back(std::move(group));
  }
  return out;
}

std::string ExtensionDmName(std::string_view name, std::string_view root_hash_hex) {
  return fmt::format("hull-ext-{}-{}", name, root_hash_hex.substr(0, 16));
}

std::vector<ExtensionResult> MountedGroupResults(const std::vector<ExtensionFile>& group,
                                                 const std::vector<ExtensionResult>& previous) {
  std::vector<ExtensionResult> out;
  if (group.empty()) return out;
  const std::string& name = group.front().name;
  // Its record, as the run that mounted it left it ("pending" included:
  // the merge a swap left undone is the next refresh's).
  const ExtensionResult* mounted = MountedEntry(previous, name);
  if (mounted) out.push_back(*mounted);
  for (const ExtensionFile& f : group) {
    if (mounted && f.file == mounted->file) continue;
    out.push_back({.name = f.name, .file = f.file, .state = "standby"});
    if (!mounted)
      out.back().reason = fmt::format("{}/{} is mounted already, by a run that left no record",
                                      slot::kSysextRunDir, name);
  }
  return out;
}

std::vector<std::string> CompleteMerge(std::vector<ExtensionResult>& results) {
  std::vector<std::string> remove;
  for (ExtensionResult& r : results) {
    if (r.state != "pending") continue;
    if (!r.replaces_root_hash.empty() && r.replaces_root_hash != r.root_hash)
      remove.push_back(ExtensionDmName(r.name, r.replaces_root_hash));
    r.state = "active";
    r.reason.clear();
    r.replaces_file.clear();
    r.replaces_root_hash.clear();
  }
  return remove;
}

}  // namespace hull::agent

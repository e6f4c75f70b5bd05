#include "agent/extensions.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "node/boot_count.h"
#include "node/os_release.h"
#include "slot/extension.h"

namespace hull::agent {

using json = nlohmann::json;

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

json ExtensionsJson(const std::vector<ExtensionResult>& results) {
  json list = json::array();
  for (const auto& r : results)
    list.push_back({{"name", r.name},
                    {"file", r.file},
                    {"state", r.state},
                    {"reason", r.reason},
                    {"root_hash", r.root_hash}});
  return list;
}

Result<std::vector<ExtensionResult>> ParseExtensionsJson(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_array()) return Errorf(ErrorCode::kCorrupt, "{}: not a JSON array", kExtensionsState);
  std::vector<ExtensionResult> out;
  for (const auto& e : j) {
    ExtensionResult r;
    for (auto [key, field] :
         {std::pair{"name", &r.name}, std::pair{"file", &r.file}, std::pair{"state", &r.state},
          std::pair{"reason", &r.reason}, std::pair{"root_hash", &r.root_hash}}) {
      if (!e.is_object() || !e.contains(key) || !e[key].is_string())
        return Errorf(ErrorCode::kCorrupt, "{}: an entry without a string '{}'", kExtensionsState,
                      key);
      *field = e[key].get<std::string>();
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string ExtensionsText(const std::vector<ExtensionResult>& results) {
  std::string out;
  for (const auto& r : results) {
    if (r.state == "refused")
      out += fmt::format("Extension {} ({}): refused: {}\n", r.name, r.file, r.reason);
    else
      out += fmt::format("Extension {} ({}): {}{}{}\n", r.name, r.file, r.state,
                         r.root_hash.empty() ? "" : " (root hash " + r.root_hash + ")",
                         r.reason.empty() ? "" : ": " + r.reason);
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
  auto active = std::find_if(previous.begin(), previous.end(), [&](const ExtensionResult& r) {
    return r.name == name && r.state == "active";
  });
  if (active != previous.end())
    out.push_back(
        {.name = name, .file = active->file, .state = "active", .root_hash = active->root_hash});
  for (const ExtensionFile& f : group) {
    if (active != previous.end() && f.file == active->file) continue;
    out.push_back({.name = f.name, .file = f.file, .state = "standby"});
    if (active == previous.end())
      out.back().reason = fmt::format("{}/{} is mounted already, by a run that left no record",
                                      slot::kSysextRunDir, name);
  }
  return out;
}

}  // namespace hull::agent

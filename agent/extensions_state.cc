#include "agent/extensions_state.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "base/file.h"

namespace hull::agent {

using json = nlohmann::json;

json ExtensionsJson(const std::vector<ExtensionResult>& results) {
  json list = json::array();
  for (const auto& r : results) {
    json e = {{"name", r.name},
              {"file", r.file},
              {"state", r.state},
              {"reason", r.reason},
              {"root_hash", r.root_hash}};
    if (r.state == "pending")
      e["replaces"] = {{"file", r.replaces_file}, {"root_hash", r.replaces_root_hash}};
    list.push_back(std::move(e));
  }
  return list;
}

namespace {

Error Corrupt(const std::string& what) {
  return Errorf(ErrorCode::kCorrupt, "{}: {}", kExtensionsState, what);
}

bool StringAt(const json& o, const char* key, std::string* out) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

Result<ExtensionResult> ParseEntry(const json& e) {
  if (!e.is_object()) return Corrupt("an entry is not an object");
  ExtensionResult r;
  for (auto [key, field] :
       {std::pair{"name", &r.name}, std::pair{"file", &r.file}, std::pair{"state", &r.state},
        std::pair{"reason", &r.reason}, std::pair{"root_hash", &r.root_hash}}) {
    if (!StringAt(e, key, field))
      return Corrupt(fmt::format("an entry without a string '{}'", key));
  }
  for (const auto& item : e.items())
    if (item.key() != "name" && item.key() != "file" && item.key() != "state" &&
        item.key() != "reason" && item.key() != "root_hash" && item.key() != "replaces")
      return Corrupt(fmt::format("an entry with the unknown key '{}'", item.key()));
  const std::string& s = r.state;
  if (s != "active" && s != "refused" && s != "standby" && s != "pending")
    return Corrupt(fmt::format("an entry in the unknown state '{}'", s));
  auto replaces = e.find("replaces");
  if ((s == "pending") != (replaces != e.end()))
    return Corrupt("'replaces' belongs to an entry in state 'pending', and only to one");
  if (replaces != e.end() && (!replaces->is_object() || replaces->size() != 2 ||
                              !StringAt(*replaces, "file", &r.replaces_file) ||
                              !StringAt(*replaces, "root_hash", &r.replaces_root_hash)))
    return Corrupt("'replaces' is not {file, root_hash}");
  return r;
}

}  // namespace

Result<std::vector<ExtensionResult>> ParseExtensionsJson(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_array()) return Corrupt("not a JSON array");
  std::vector<ExtensionResult> out;
  for (const auto& e : j) {
    HULL_ASSIGN_OR_RETURN(ExtensionResult r, ParseEntry(e));
    out.push_back(std::move(r));
  }
  return out;
}

std::string ExtensionsText(const std::vector<ExtensionResult>& results) {
  std::string out;
  for (const auto& r : results) {
    if (r.state == "refused")
      out += fmt::format("Extension {} ({}): refused: {}\n", r.name, r.file, r.reason);
    else if (r.state == "pending")
      out += fmt::format(
          "Extension {} ({}): pending: mounted, not yet merged into /usr (which "
          "may still show {}){}\n",
          r.name, r.file, r.replaces_file.empty() ? "nothing" : r.replaces_file,
          r.reason.empty() ? "" : ": " + r.reason);
    else
      out += fmt::format("Extension {} ({}): {}{}{}\n", r.name, r.file, r.state,
                         r.root_hash.empty() ? "" : " (root hash " + r.root_hash + ")",
                         r.reason.empty() ? "" : ": " + r.reason);
  }
  return out;
}

const ExtensionResult* MountedEntry(const std::vector<ExtensionResult>& results,
                                    std::string_view name) {
  for (const auto& r : results)
    if (r.name == name && (r.state == "active" || r.state == "pending")) return &r;
  return nullptr;
}

std::vector<ExtensionResult> WithEntry(std::vector<ExtensionResult> results,
                                       ExtensionResult entry) {
  std::erase_if(results, [&](const ExtensionResult& r) { return r.name == entry.name; });
  results.push_back(std::move(entry));
  std::stable_sort(
      results.begin(), results.end(),
      [](const ExtensionResult& a, const ExtensionResult& b) { return a.name < b.name; });
  return results;
}

Result<std::vector<ExtensionResult>> ReadExtensionsState(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 && errno == ENOENT) return std::vector<ExtensionResult>{};
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, kMaxExtensionsStateBytes));
  return ParseExtensionsJson(text);
}

Status WriteExtensionsState(const std::string& path, const std::vector<ExtensionResult>& results) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating the directory of {}: {}", path, ec.message());
  return WriteFileAtomic(
      path, ExtensionsJson(results).dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

}  // namespace hull::agent

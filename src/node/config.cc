#include "node/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <algorithm>

#include "base/file.h"
#include "node/os_release.h"

namespace hull::node {
namespace {

using json = nlohmann::json;

Error Bad(const std::string& name, const std::string& what) {
  return Errorf(ErrorCode::kInvalidArgument, "{}: {}", name, what);
}

Status ReadString(const json& j, const char* key, const std::string& name, std::string& out) {
  if (!j.contains(key)) return Ok();
  if (!j[key].is_string()) return Bad(name, fmt::format("'{}' must be a string", key));
  out = j[key].get<std::string>();
  return Ok();
}

// "fleetlock": {"url": "http(s)://...", "group": "[a-zA-Z0-9.-]+"}; a missing
// or empty url is no coordination.
Status ParseFleetLock(const json& j, const std::string& name, FleetLockConfig& out) {
  if (!j.is_object()) return Bad(name, "'fleetlock' must be an object {url, group}");
  for (const auto& [k, v] : j.items())
    if (k != "url" && k != "group" && k != "ca" && k != "cert" && k != "key")
      return Bad(name,
                 fmt::format("unknown key 'fleetlock.{}' (allowed: url, group, ca, cert, key)", k));
  HULL_TRY(ReadString(j, "url", name, out.url));
  HULL_TRY(ReadString(j, "group", name, out.group));
  for (auto [key, path] : {std::pair<const char*, std::string*>{"ca", &out.ca},
                           {"cert", &out.cert},
                           {"key", &out.key}}) {
    HULL_TRY(ReadString(j, key, name, *path));
    const bool clean =
        std::none_of(path->begin(), path->end(), [](char ch) { return ch < ' ' || ch == 0x7f; });
    if (!path->empty() && (path->front() != '/' || !clean || path->size() > 4096))
      return Bad(name, fmt::format("'fleetlock.{}' '{}' must be an absolute path", key, *path));
  }
  if (out.cert.empty() != out.key.empty())
    return Bad(name,
               "'fleetlock.cert' and 'fleetlock.key' go together (a client certificate "
               "and its key)");
  const std::string& u = out.url;
  const bool scheme = u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0;
  const bool clean =
      std::none_of(u.begin(), u.end(), [](char ch) { return ch <= ' ' || ch == 0x7f; });
  if (!u.empty() && (!scheme || !clean || u.size() > 512))
    return Bad(name, fmt::format("'fleetlock.url' '{}' must be an http:// or https:// URL (or "
                                 "empty for no reboot coordination)",
                                 u));
  const bool group_ok = !out.group.empty() && out.group.size() <= 128 &&
                        std::all_of(out.group.begin(), out.group.end(), [](char ch) {
                          return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                 (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
                        });
  if (!group_ok)
    return Bad(name, fmt::format("'fleetlock.group' '{}' must match [a-zA-Z0-9.-]+", out.group));
  return Ok();
}

// "sysexts": ["cni", ...]: extension names, each once.
Status ParseSysexts(const json& j, const std::string& name, std::vector<std::string>& out) {
  if (!j.is_array() || j.size() > kMaxWantedSysexts)
    return Bad(name, fmt::format("'sysexts' must be a list of at most {} extension names",
                                 kMaxWantedSysexts));
  for (const auto& e : j) {
    if (!e.is_string() || !ValidSysextName(e.get<std::string>()))
      return Bad(name, fmt::format("'sysexts' entry {} is not an extension name (lower-case "
                                   "letters, digits, '.', '-')",
                                   e.dump()));
    if (std::find(out.begin(), out.end(), e.get<std::string>()) != out.end())
      return Bad(name, fmt::format("'sysexts' names '{}' twice", e.get<std::string>()));
    out.push_back(e.get<std::string>());
  }
  return Ok();
}

}  // namespace

json ToJson(const UpdateConfig& c) {
  return {{"repository", c.repository},
          {"trusted_root", c.trusted_root},
          {"channel", c.channel},
          {"upgrade_channel", c.automatic ? "NodeImage" : "None"},
          {"boot_tries", c.boot_tries},
          {"health_units", c.health_units},
          {"event_console", c.event_console},
          {"fleetlock",
           {{"url", c.fleetlock.url},
            {"group", c.fleetlock.group},
            {"ca", c.fleetlock.ca},
            {"cert", c.fleetlock.cert},
            {"key", c.fleetlock.key}}},
          {"sysexts", c.sysexts}};
}

Result<UpdateConfig> ParseConfig(std::string_view text, const std::string& name) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad(name, "not a JSON object");
  static const std::vector<std::string> kKeys = {"repository",      "trusted_root", "channel",
                                                 "upgrade_channel", "boot_tries",   "health_units",
                                                 "event_console",   "fleetlock",    "sysexts"};
  for (const auto& [k, v] : j.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end())
      return Bad(name, fmt::format("unknown key '{}' (allowed: {})", k, fmt::join(kKeys, ", ")));
  }
  UpdateConfig c;
  HULL_TRY(ReadString(j, "repository", name, c.repository));
  HULL_TRY(ReadString(j, "trusted_root", name, c.trusted_root));
  HULL_TRY(ReadString(j, "channel", name, c.channel));
  HULL_TRY(ReadString(j, "event_console", name, c.event_console));
  std::string uc = "NodeImage";
  HULL_TRY(ReadString(j, "upgrade_channel", name, uc));
  if (uc != "NodeImage" && uc != "None")
    return Bad(name, fmt::format("upgrade_channel '{}' (allowed: NodeImage, None)", uc));
  c.automatic = uc == "NodeImage";
  if (j.contains("boot_tries")) {
    const json& t = j["boot_tries"];
    if (!t.is_number_unsigned() || t.get<uint64_t>() < 1 || t.get<uint64_t>() > 9)
      return Bad(name, "'boot_tries' must be a number from 1 to 9");
    c.boot_tries = t.get<uint32_t>();
  }
  if (j.contains("health_units")) {
    const json& u = j["health_units"];
    if (!u.is_array() || u.size() > 64) return Bad(name, "'health_units' must be a list of names");
    c.health_units.clear();
    for (const auto& e : u) {
      if (!e.is_string() || e.get<std::string>().empty() ||
          e.get<std::string>().find_first_of(" /\n") != std::string::npos)
        return Bad(name, "'health_units' entries must be unit names");
      c.health_units.push_back(e.get<std::string>());
    }
  }
  if (j.contains("fleetlock")) HULL_TRY(ParseFleetLock(j["fleetlock"], name, c.fleetlock));
  if (j.contains("sysexts")) HULL_TRY(ParseSysexts(j["sysexts"], name, c.sysexts));
  return c;
}

Result<UpdateConfig> LoadConfig(const std::string& root) {
  for (const char* name : {kLocalConfig, kFactoryConfig}) {
    const std::string path = root + name;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) continue;
    HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, kMaxConfigBytes));
    return ParseConfig(text, path);
  }
  return Errorf(ErrorCode::kNotFound, "no update configuration ({} or {})", kLocalConfig,
                kFactoryConfig);
}

}  // namespace hull::node

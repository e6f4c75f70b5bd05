#include "agent/extension_plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "node/boot_count.h"
#include "slot/extension.h"

namespace hull::agent {
namespace {

using json = nlohmann::json;

// A value that is safe in a file name and an os-release line.
bool NameLike(const std::string& v) {
  return !v.empty() && v.size() <= 128 && v.find("..") == std::string::npos &&
         std::all_of(v.begin(), v.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '+' || c == '~';
         });
}

Result<std::string> Field(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || !NameLike(it->get<std::string>()))
    return Errorf(ErrorCode::kCorrupt, "{}: '{}' missing or not a name", where, key);
  return it->get<std::string>();
}

// {"id": .., "sysext_level" | "version_id": ..} -> os-release keys.
Result<node::OsRelease> Compatibility(const json& c, const std::string& where) {
  if (!c.is_object()) return Errorf(ErrorCode::kCorrupt, "{}: 'compatibility' missing", where);
  node::OsRelease out;
  HULL_ASSIGN_OR_RETURN(out["ID"], Field(c, "id", where));
  for (auto [key, os_key] :
       {std::pair{"sysext_level", "SYSEXT_LEVEL"}, std::pair{"version_id", "VERSION_ID"}}) {
    if (!c.contains(key)) continue;
    HULL_ASSIGN_OR_RETURN(out[os_key], Field(c, key, where));
  }
  if (out.size() != 2 || c.size() != 2)
    return Errorf(ErrorCode::kCorrupt,
                  "{}: 'compatibility' needs 'id' and exactly one of sysext_level, version_id",
                  where);
  return out;
}

}  // namespace

std::string PublishedExtension::FileName() const {
  return fmt::format("{}_{}_{}.raw", name, version, arch);
}

namespace {

// One sysext target's custom metadata `c`, strictly.
Result<PublishedExtension> ParseSysextTarget(const std::string& target,
                                             const tuf::TargetFile& file) {
  const json& c = file.custom;
  const std::string where = "sysext target " + target;
  PublishedExtension e{.target = target};
  if (auto h = file.hashes.find("sha256"); h != file.hashes.end()) e.sha256 = h->second;
  HULL_ASSIGN_OR_RETURN(e.name, Field(c, "sysext", where));
  HULL_ASSIGN_OR_RETURN(e.version, Field(c, "version", where));
  HULL_ASSIGN_OR_RETURN(e.arch, Field(c, "arch", where));
  HULL_ASSIGN_OR_RETURN(
      e.compatibility,
      Compatibility(c.contains("compatibility") ? c["compatibility"] : json(), where));
  if (auto r = c.find("restarts"); r != c.end()) {
    if (!r->is_array() || r->empty() || r->size() > node::kMaxRestartUnits)
      return Errorf(ErrorCode::kCorrupt, "{}: 'restarts' is not a list of 1 to {} units", where,
                    node::kMaxRestartUnits);
    for (const auto& u : *r) {
      if (!u.is_string() || !node::ValidRestartUnit(u.get<std::string>()) ||
          std::count(r->begin(), r->end(), u) != 1)
        return Errorf(ErrorCode::kCorrupt,
                      "{}: 'restarts' holds {}: not a service name, or named twice", where,
                      u.dump(-1, ' ', true));
      e.restarts.push_back(u.get<std::string>());
    }
  }
  if (c.contains("root_hash") && c["root_hash"].is_string())
    e.root_hash = c["root_hash"].get<std::string>();
  // The file name must read back as the same name, version and arch.
  auto parsed = ParseExtensionFileName(e.FileName());
  if (!parsed.ok() || parsed->name != e.name || parsed->version != e.version ||
      parsed->arch != e.arch)
    return Errorf(ErrorCode::kCorrupt, "{}: '{}' is not a NAME_VERSION_ARCH.raw file name", where,
                  e.FileName());
  return e;
}

bool IsSysext(const tuf::TargetFile& file) {
  return file.custom.is_object() && file.custom.value("payload", "") == "sysext";
}

}  // namespace

Result<std::vector<PublishedExtension>> PublishedExtensions(
    const std::map<std::string, tuf::TargetFile>& targets) {
  std::vector<PublishedExtension> out;
  for (const auto& [target, file] : targets) {
    if (!IsSysext(file)) continue;
    HULL_ASSIGN_OR_RETURN(PublishedExtension e, ParseSysextTarget(target, file));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<PublishedExtension>> PublishedExtensionsFor(
    const std::map<std::string, tuf::TargetFile>& targets, const std::vector<std::string>& wanted) {
  std::vector<PublishedExtension> out;
  for (const auto& [target, file] : targets) {
    if (!IsSysext(file)) continue;
    // Another extension's metadata is not this node's concern, however
    // malformed: a name that is no string names no wanted extension either.
    auto name = file.custom.find("sysext");
    if (name == file.custom.end() || !name->is_string() ||
        std::find(wanted.begin(), wanted.end(), name->get<std::string>()) == wanted.end())
      continue;
    HULL_ASSIGN_OR_RETURN(PublishedExtension e, ParseSysextTarget(target, file));
    out.push_back(std::move(e));
  }
  return out;
}

node::OsRelease ReleaseOsKeys(const node::OsRelease& booted, std::string_view version,
                              const std::optional<std::string>& level) {
  node::OsRelease os;
  for (const char* key : {"ID", "SYSEXT_LEVEL"})
    if (auto it = booted.find(key); it != booted.end()) os[key] = it->second;
  if (level) os["SYSEXT_LEVEL"] = *level;
  os["VERSION_ID"] = std::string(version);
  return os;
}

Result<std::optional<std::string>> ReleaseSysextLevel(const json& custom,
                                                      const std::string& target) {
  if (!custom.is_object()) return std::optional<std::string>();
  auto it = custom.find("sysext_level");
  if (it == custom.end()) return std::optional<std::string>();
  if (!it->is_string() || !node::ValidSysextLevel(it->get<std::string>()))
    return Errorf(ErrorCode::kCorrupt,
                  "release target {}: 'sysext_level' is {}: not a SYSEXT_LEVEL (lower-case "
                  "letters, digits, '.', '_', '-', at most 64)",
                  target, it->dump(-1, ' ', true));
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::vector<PublishedExtension>> PlanExtensions(
    const std::vector<std::string>& wanted, const std::vector<PublishedExtension>& published,
    const node::OsRelease& os, std::string_view arch, std::string_view release) {
  std::vector<PublishedExtension> out;
  for (const std::string& name : wanted) {
    const PublishedExtension* best = nullptr;
    for (const auto& e : published) {
      if (e.name != name || e.arch != arch) continue;
      if (!slot::CheckExtensionCompatibility(name, e.compatibility, os).ok()) continue;
      if (!best || node::CompareVersions(e.version, best->version) > 0) best = &e;
    }
    if (!best) {
      auto get = [&](const char* k) {
        auto it = os.find(k);
        return it == os.end() ? std::string("(none)") : it->second;
      };
      return Errorf(ErrorCode::kNotFound,
                    "extension {} has no version for release {} ({}, VERSION_ID={}, "
                    "SYSEXT_LEVEL={}) in the repository: publish one with 'hull release "
                    "add-sysext'; {} is not installed until then",
                    name, release, arch, get("VERSION_ID"), get("SYSEXT_LEVEL"), release);
    }
    out.push_back(*best);
  }
  return out;
}

std::vector<ExtensionUpdate> PlanExtensionUpdates(const std::vector<std::string>& wanted,
                                                  const std::vector<PublishedExtension>& published,
                                                  const node::OsRelease& os, std::string_view arch,
                                                  const std::vector<ExtensionResult>& current) {
  std::vector<ExtensionUpdate> out;
  for (const std::string& name : wanted) {
    auto best = PlanExtensions({name}, published, os, arch, "");
    if (!best.ok()) continue;
    const PublishedExtension& to = best->front();
    const ExtensionResult* active = MountedEntry(current, name);
    if (!active) {
      out.push_back({to, ""});
      continue;
    }
    // A swap whose refresh did not succeed: completed (the same file, only
    // the refresh runs again) or replaced by a newer one, from the version
    // /usr showed before it. A pending file its publisher withdrew (no
    // target names it any more) is cancelled instead, even when the newest
    // is the replaced version itself: left pending, a later refresh or the
    // next boot's activation (the newest file on disk) would merge it.
    if (active->state == "pending") {
      const bool withdrawn =
          active->file != active->replaces_file &&
          std::none_of(published.begin(), published.end(),
                       [&](const PublishedExtension& e) { return e.FileName() == active->file; });
      if (withdrawn)
        out.push_back({to, active->replaces_file, active->file});
      else if (to.FileName() != active->replaces_file)
        out.push_back({to, active->replaces_file});
      continue;
    }
    if (active->file == to.FileName()) continue;
    auto f = ParseExtensionFileName(active->file);
    if (f.ok() && node::CompareVersions(f->version, to.version) >= 0) continue;
    out.push_back({to, active->file});
  }
  return out;
}

std::vector<ExtensionUpdate> WithoutRefused(std::vector<ExtensionUpdate> plan,
                                            const AgentState& state) {
  std::erase_if(plan, [&](const ExtensionUpdate& u) {
    return ExtensionRefused(state, u.to.name, u.to.version, u.to.sha256);
  });
  return plan;
}

std::string CompatibilityRecord(const PublishedExtension& e) {
  json c = json::object();
  for (const auto& [k, v] : e.compatibility) c[k] = v;
  return json{{"target", e.target}, {"compatibility", c}}.dump() + "\n";
}

Result<node::OsRelease> ParseCompatibilityRecord(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object() || j.size() != 2 || !j.contains("target") || !j["target"].is_string() ||
      !j.contains("compatibility") || !j["compatibility"].is_object())
    return Errorf(ErrorCode::kCorrupt, "extension record: not {{target, compatibility}}");
  node::OsRelease out;
  for (const auto& [k, v] : j["compatibility"].items()) {
    if ((k != "ID" && k != "SYSEXT_LEVEL" && k != "VERSION_ID") || !v.is_string())
      return Errorf(ErrorCode::kCorrupt, "extension record: compatibility key '{}'", k);
    out[k] = v.get<std::string>();
  }
  if (!out.contains("ID") || out.size() != 2)
    return Errorf(ErrorCode::kCorrupt,
                  "extension record: compatibility needs ID and one of SYSEXT_LEVEL, VERSION_ID");
  return out;
}

std::string RecordName(std::string_view file) {
  std::string_view stem = file.ends_with(".raw") ? file.substr(0, file.size() - 4) : file;
  return std::string(stem) + ".json";
}

std::optional<std::string> KnownIncompatible(const ExtensionFile& f, const node::OsRelease& os) {
  if (!f.compatibility) return std::nullopt;
  Status st = slot::CheckExtensionCompatibility(f.name, *f.compatibility, os);
  if (st.ok()) return std::nullopt;
  return st.error().ToString();
}

std::vector<std::string> FilesToPrune(const std::vector<ExtensionFile>& files,
                                      const node::OsRelease& booted) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    if (!KnownIncompatible(f, booted)) continue;
    out.push_back(f.file);
    out.push_back(RecordName(f.file));
  }
  return out;
}

}  // namespace hull::agent

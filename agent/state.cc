#include "agent/state.h"

#include <sys/stat.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "node/boot_count.h"
#include "tuf/metadata.h"

namespace hull::agent {
namespace {

using json = nlohmann::json;

// The string `key` of object `j` ("" when absent); false for another type.
bool StringField(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

bool OnlyKeys(const json& j, std::initializer_list<const char*> keys) {
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (std::none_of(keys.begin(), keys.end(), [&](const char* want) { return k == want; }))
      return false;
  }
  return true;
}

}  // namespace

nlohmann::json SlotRecordJson(const SlotRecord& f) {
  return {{"held", f.held},   {"version", f.version}, {"url", f.url},
          {"group", f.group}, {"since", f.since},     {"halted", f.halted}};
}

Result<AgentState> ParseAgentState(std::string_view text, const std::string& name) {
  auto bad = [&](const std::string& what) {
    return Errorf(ErrorCode::kCorrupt, "{}: {} (remove the file to start afresh)", name, what);
  };
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return bad("not a JSON object");
  if (!OnlyKeys(j, {"rebooted_into", "refused", "refused_under", "last_check", "last_refresh",
                    "fleetlock", "extension_failures"}))
    return bad(
        "unknown key (known: rebooted_into, refused, refused_under, last_check, last_refresh, "
        "fleetlock, extension_failures)");
  AgentState s;
  if (!StringField(j, "rebooted_into", &s.rebooted_into))
    return bad("rebooted_into is not a string");
  if (!StringField(j, "refused_under", &s.refused_under))
    return bad("refused_under is not a string");
  if (auto it = j.find("refused"); it != j.end()) {
    if (!it->is_array() || it->size() > kMaxRefusals)
      return bad(fmt::format("refused is not an array of at most {} entries", kMaxRefusals));
    for (const json& r : *it) {
      slot::Refusal x;
      if (!r.is_object() || !OnlyKeys(r, {"version", "root_hash", "reason"}) ||
          !StringField(r, "version", &x.version) || !StringField(r, "root_hash", &x.root_hash) ||
          !StringField(r, "reason", &x.reason) || x.version.empty())
        return bad("a refused entry needs string 'version', 'root_hash' and 'reason'");
      s.refused.push_back(std::move(x));
    }
  }
  if (auto it = j.find("last_check"); it != j.end()) {
    LastCheck& c = s.last_check;
    if (!it->is_object() || !OnlyKeys(*it, {"outcome", "running", "newest", "detail"}) ||
        !StringField(*it, "outcome", &c.outcome) || !StringField(*it, "running", &c.running) ||
        !StringField(*it, "newest", &c.newest) || !StringField(*it, "detail", &c.detail))
      return bad("last_check needs string 'outcome', 'running', 'newest' and 'detail'");
  }
  if (auto it = j.find("last_refresh"); it != j.end()) {
    if (!it->is_number_unsigned()) return bad("last_refresh is not a number of seconds >= 0");
    const uint64_t v = it->get<uint64_t>();
    if (v > uint64_t(std::numeric_limits<int64_t>::max()))
      return bad("last_refresh is out of range");
    s.last_refresh = int64_t(v);
  }
  if (auto it = j.find("fleetlock"); it != j.end()) {
    SlotRecord& f = s.fleetlock;
    const json& o = *it;
    auto held = o.is_object() ? o.find("held") : o.end();
    auto since = o.is_object() ? o.find("since") : o.end();
    if (!o.is_object() || !OnlyKeys(o, {"held", "version", "url", "group", "since", "halted"}) ||
        held == o.end() || !held->is_boolean() || !StringField(o, "version", &f.version) ||
        !StringField(o, "url", &f.url) || !StringField(o, "group", &f.group) ||
        !StringField(o, "halted", &f.halted) ||
        (since != o.end() &&
         (!since->is_number_unsigned() ||
          since->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))))
      return bad(
          "fleetlock needs boolean 'held', string 'version', 'url', 'group' and 'halted', and "
          "'since' in seconds >= 0");
    f.held = held->get<bool>();
    if (since != o.end()) f.since = int64_t(since->get<uint64_t>());
  }
  if (auto it = j.find("extension_failures"); it != j.end()) {
    if (!it->is_array() || it->size() > kMaxExtensionFailures)
      return bad(fmt::format("extension_failures is not an array of at most {} entries",
                             kMaxExtensionFailures));
    for (const json& r : *it) {
      ExtensionFailure x;
      auto refused = r.is_object() ? r.find("refused") : r.end();
      if (!r.is_object() || !OnlyKeys(r, {"name", "version", "sha256", "reason", "refused"}) ||
          !StringField(r, "name", &x.name) || !StringField(r, "version", &x.version) ||
          !StringField(r, "sha256", &x.sha256) || !StringField(r, "reason", &x.reason) ||
          refused == r.end() || !refused->is_boolean() || x.name.empty())
        return bad(
            "an extension_failures entry needs string 'name', 'version', 'sha256' and 'reason' "
            "and boolean 'refused'");
      x.refused = refused->get<bool>();
      s.extension_failures.push_back(std::move(x));
    }
  }
  return s;
}

std::string AgentStateText(const AgentState& s) {
  json refused = json::array();
  for (const auto& r : s.refused)
    refused.push_back({{"version", r.version}, {"root_hash", r.root_hash}, {"reason", r.reason}});
  const LastCheck& c = s.last_check;
  json j = {{"rebooted_into", s.rebooted_into},
            {"refused", refused},
            {"refused_under", s.refused_under},
            {"last_check",
             {{"outcome", c.outcome},
              {"running", c.running},
              {"newest", c.newest},
              {"detail", c.detail}}},
            {"last_refresh", s.last_refresh},
            {"fleetlock", SlotRecordJson(s.fleetlock)},
            {"extension_failures", ExtensionFailuresJson(s.extension_failures)}};
  // Reasons and errors quote bytes from the network and the disk: invalid
  // UTF-8 is replaced (U+FFFD), never an exception that ends the run.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<AgentState> LoadAgentState(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return AgentState{};
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, kMaxStateBytes));
  return ParseAgentState(text, path);
}

Status SaveAgentState(const std::string& path, const AgentState& state) {
  return WriteFileAtomic(path, AgentStateText(state));
}

std::string DescribeRefresh(int64_t last_refresh, int64_t now) {
  if (last_refresh <= 0) return "never refreshed";
  return fmt::format("last refreshed {}, {} s ago", tuf::FormatExpires(last_refresh),
                     now > last_refresh ? now - last_refresh : 0);
}

void KeepRefusalsOf(AgentState& s, const std::string& usrhash) {
  if (s.refused_under != usrhash) {
    s.refused.clear();
    s.extension_failures.clear();
  }
  s.refused_under = usrhash;
}

void AddRefusal(AgentState& s, slot::Refusal refusal, const std::string& running) {
  auto& r = s.refused;
  r.erase(
      std::remove_if(r.begin(), r.end(),
                     [&](const slot::Refusal& x) {
                       return node::CompareVersions(x.version, refusal.version) == 0 ||
                              (!running.empty() && node::CompareVersions(x.version, running) <= 0);
                     }),
      r.end());
  r.push_back(std::move(refusal));
  std::sort(r.begin(), r.end(), [](const slot::Refusal& a, const slot::Refusal& b) {
    return node::CompareVersions(a.version, b.version) > 0;
  });
  if (r.size() > kMaxRefusals) r.resize(kMaxRefusals);
}

bool ExtensionRefused(const AgentState& s, const std::string& name, const std::string& version,
                      const std::string& sha256) {
  return std::any_of(
      s.extension_failures.begin(), s.extension_failures.end(), [&](const ExtensionFailure& f) {
        return f.refused && f.name == name && f.version == version && f.sha256 == sha256;
      });
}

void RecordExtensionFailure(AgentState& s, ExtensionFailure failure) {
  ClearExtensionFailure(s, failure.name);
  s.extension_failures.push_back(std::move(failure));
  auto& f = s.extension_failures;
  if (f.size() > kMaxExtensionFailures) f.erase(f.begin(), f.end() - kMaxExtensionFailures);
}

void ClearExtensionFailure(AgentState& s, const std::string& name) {
  std::erase_if(s.extension_failures, [&](const ExtensionFailure& f) { return f.name == name; });
}

nlohmann::json ExtensionFailuresJson(const std::vector<ExtensionFailure>& failures) {
  json out = json::array();
  for (const auto& f : failures)
    out.push_back({{"name", f.name},
                   {"version", f.version},
                   {"sha256", f.sha256},
                   {"reason", f.reason},
                   {"refused", f.refused}});
  return out;
}

}  // namespace hull::agent

#include "agent/seed.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace hull::agent {
namespace {

using json = nlohmann::json;

Error Bad(std::string_view field, std::string_view what) {
  return Errorf(ErrorCode::kInvalidArgument, "seed: '{}': {}", field, what);
}

// nlohmann keeps the last of two equal keys; a seed with both is refused, so
// what the installer does is what every reader of the file sees.
Result<json> ParseStrictJson(std::string_view text) {
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == json::parse_event_t::key && !keys.empty() &&
        !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json j = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Errorf(ErrorCode::kInvalidArgument, "seed: not valid JSON (write it as a JSON object)");
  if (!duplicate.empty()) return Bad(duplicate, "given twice (give each key once)");
  if (!j.is_object())
    return Errorf(ErrorCode::kInvalidArgument,
                  "seed: not a JSON object (write {{\"hull_seed\": 1, ...}})");
  return j;
}

bool Clean(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c <= ' ' || c == 0x7f; });
}

Result<SeedTarget> ParseTarget(const json& j) {
  constexpr const char* kAllowed =
      "\"empty\" (the one disk holding no data), \"serial:SERIAL\" or a /dev/ path";
  if (!j.is_string()) return Bad("target", fmt::format("must be a string ({})", kAllowed));
  const std::string v = j.get<std::string>();
  if (v == "empty") return SeedTarget{};
  if (v.starts_with("serial:") && v.size() > 7 && v.size() <= 7 + 256 && Clean(v))
    return SeedTarget{.kind = SeedTarget::Kind::kSerial, .value = v.substr(7)};
  if (v.starts_with("/dev/") && v.size() > 5 && v.size() <= 4096 && Clean(v) &&
      v.find("/../") == std::string::npos && !v.ends_with("/.."))
    return SeedTarget{.kind = SeedTarget::Kind::kPath, .value = v};
  return Bad("target", fmt::format("'{}' is not a target (allowed: {})", v, kAllowed));
}

Result<std::vector<node::LoginUser>> ParseUsers(const json& j) {
  if (!j.is_array() || j.size() > kMaxSeedUsers)
    return Bad("users", fmt::format("must be a list of at most {} users {{name, "
                                    "ssh_authorized_keys}}",
                                    kMaxSeedUsers));
  std::vector<node::LoginUser> users;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& u = j[i];
    const std::string at = fmt::format("users[{}]", i);
    if (!u.is_object()) return Bad(at, "must be an object {name, ssh_authorized_keys}");
    for (const auto& [k, v] : u.items())
      if (k != "name" && k != "ssh_authorized_keys")
        return Bad(at + "." + k, "unknown key (allowed: name, ssh_authorized_keys)");
    if (!u.contains("name") || !u["name"].is_string() ||
        !node::IsValidUserName(u["name"].get<std::string>()))
      return Bad(at + ".name", fmt::format("must be a user name ({})", node::kUserNameRule));
    node::LoginUser user{.name = u["name"].get<std::string>(), .ssh_authorized_keys = {}};
    for (const node::LoginUser& other : users)
      if (other.name == user.name) return Bad(at + ".name", "names a user twice");
    if (u.contains("ssh_authorized_keys")) {
      const json& keys = u["ssh_authorized_keys"];
      if (!keys.is_array() || keys.size() > kMaxSeedKeysPerUser)
        return Bad(at + ".ssh_authorized_keys",
                   fmt::format("must be a list of at most {} keys", kMaxSeedKeysPerUser));
      for (size_t k = 0; k < keys.size(); ++k) {
        if (!keys[k].is_string() || !node::IsValidSshKey(keys[k].get<std::string>()))
          return Bad(fmt::format("{}.ssh_authorized_keys[{}]", at, k),
                     fmt::format("not an SSH public key ({})", node::kSshKeyRule));
        user.ssh_authorized_keys.push_back(keys[k].get<std::string>());
      }
    }
    users.push_back(std::move(user));
  }
  return users;
}

std::string List(const std::vector<SeedDisk>& disks) {
  std::string out;
  for (const SeedDisk& d : disks) {
    if (!out.empty()) out += ", ";
    out += d.path;
    if (!d.serial.empty()) out += " serial " + d.serial;
    if (d.medium)
      out += " (install medium)";
    else if (d.seed)
      out += " (seed)";
    else if (d.read_only)
      out += " (read-only)";
    else if (d.holds_data)
      out += " (holds data)";
  }
  return out.empty() ? "no disks" : "disks: " + out;
}

std::string Describe(const SeedTarget& t) {
  switch (t.kind) {
    case SeedTarget::Kind::kEmpty:
      return "empty";
    case SeedTarget::Kind::kSerial:
      return "serial:" + t.value;
    case SeedTarget::Kind::kPath:
      return t.value;
  }
  return "";
}

}  // namespace

Result<Seed> ParseSeed(std::string_view text) {
  if (text.size() > kMaxSeedBytes)
    return Errorf(ErrorCode::kInvalidArgument, "seed: {} bytes, more than the {} allowed",
                  text.size(), kMaxSeedBytes);
  HULL_ASSIGN_OR_RETURN(json j, ParseStrictJson(text));
  static const std::vector<std::string> kKeys = {"hull_seed", "target", "wipe",
                                                 "after",     "update", "users"};
  for (const auto& [k, v] : j.items())
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end())
      return Bad(k, "unknown key (allowed: hull_seed, target, wipe, after, update, users)");
  if (!j.contains("hull_seed") || !j["hull_seed"].is_number_unsigned() ||
      j["hull_seed"].get<uint64_t>() != 1)
    return Bad("hull_seed", "must be 1 (the seed format's version)");
  Seed s;
  if (!j.contains("target"))
    return Bad("target", "missing (name the disk: \"empty\", \"serial:SERIAL\" or a /dev/ path)");
  HULL_ASSIGN_OR_RETURN(s.target, ParseTarget(j["target"]));
  if (j.contains("wipe")) {
    if (!j["wipe"].is_boolean()) return Bad("wipe", "must be true or false");
    s.wipe = j["wipe"].get<bool>();
  }
  if (j.contains("after")) {
    const json& a = j["after"];
    if (a == "poweroff")
      s.after = AfterInstall::kPowerOff;
    else if (a == "reboot")
      s.after = AfterInstall::kReboot;
    else
      return Bad("after", "must be \"poweroff\" or \"reboot\"");
  }
  if (j.contains("update")) {
    if (!j["update"].is_object()) return Bad("update", "must be an object of update.json keys");
    // Checked alone now, so a bad key is named before any disk is touched;
    // checked again once laid over the image's configuration (SeedFiles).
    auto c = node::ParseConfig(j["update"].dump(), "seed: 'update'");
    if (!c.ok()) return std::move(c).error();
    s.update = j["update"];
  }
  if (j.contains("users")) {
    HULL_ASSIGN_OR_RETURN(s.users, ParseUsers(j["users"]));
  }
  return s;
}

Result<std::string_view> SeedText(std::string_view bytes) {
  std::string_view text = bytes.substr(0, std::min<size_t>(bytes.find('\0'), kMaxSeedBytes + 1));
  if (text.empty())
    return Errorf(ErrorCode::kInvalidArgument,
                  "seed: the {} partition is empty (write the seed's JSON at its start)",
                  kSeedPartitionName);
  return text;
}

Result<SeedDisk> ChooseTarget(const SeedTarget& target, const std::vector<SeedDisk>& disks) {
  const std::string what = Describe(target);
  auto refuse = [&](std::string_view why) {
    return Errorf(ErrorCode::kRefused, "seed: 'target' {}: {}; nothing was written", what, why);
  };
  std::vector<SeedDisk> match;
  for (const SeedDisk& d : disks) {
    switch (target.kind) {
      case SeedTarget::Kind::kEmpty:
        if (!d.medium && !d.seed && !d.read_only && d.bytes > 0 && !d.holds_data)
          match.push_back(d);
        break;
      case SeedTarget::Kind::kSerial:
        if (d.serial == target.value) match.push_back(d);
        break;
      case SeedTarget::Kind::kPath:
        if (d.path == target.value) match.push_back(d);
        break;
    }
  }
  if (match.empty()) {
    const char* none = target.kind == SeedTarget::Kind::kEmpty    ? "no empty disk"
                       : target.kind == SeedTarget::Kind::kSerial ? "no disk has that serial"
                                                                  : "no such disk";
    return refuse(fmt::format("{} ({})", none, List(disks)));
  }
  if (match.size() > 1)
    return refuse(
        fmt::format("{} disks match ({}): name one by \"serial:SERIAL\" or its /dev/ path",
                    match.size(), List(match)));
  const SeedDisk& d = match[0];
  if (d.medium) return refuse(d.path + " holds the install medium");
  if (d.seed) return refuse(d.path + " holds the seed");
  if (d.read_only) return refuse(d.path + " is read-only");
  if (d.bytes == 0) return refuse(d.path + " has no medium in it (0 bytes)");
  return d;
}

Result<std::vector<SeedFile>> SeedFiles(const Seed& seed, const node::UpdateConfig& image) {
  std::vector<SeedFile> files;
  if (!seed.update.empty()) {
    json merged = node::ToJson(image);
    merged.merge_patch(seed.update);
    HULL_ASSIGN_OR_RETURN(node::UpdateConfig c,
                          node::ParseConfig(merged.dump(), "seed: 'update' over the image's"));
    files.push_back({.path = node::kLocalConfig, .text = node::ToJson(c).dump(2) + "\n"});
  }
  if (!seed.users.empty()) {
    files.push_back({.path = "/etc/sysusers.d/hull-seed-users.conf",
                     .text = node::SysusersText(seed.users, "the install seed's users")});
    files.push_back({.path = "/etc/tmpfiles.d/hull-seed-users.conf",
                     .text = node::TmpfilesText(seed.users, "the install seed's users")});
  }
  return files;
}

}  // namespace hull::agent

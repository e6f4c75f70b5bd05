#include "spec/update.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "node/config.h"
#include "node/os_release.h"

namespace hull::spec {
namespace {

using Node = YAML::Node;

bool Matches(const std::string& v, const char* pattern) {
  return v.size() <= 256 && std::regex_match(v, std::regex(pattern));
}

Status ParseRepository(const YamlReader& r, const Node& n, Update& u) {
  HULL_ASSIGN_OR_RETURN(u.repository, r.Scalar(n, n.Mark(), "update.repository"));
  if (u.repository.empty()) return Ok();
  bool scheme = u.repository.rfind("http://", 0) == 0 || u.repository.rfind("https://", 0) == 0;
  bool clean = std::none_of(u.repository.begin(), u.repository.end(),
                            [](char c) { return c <= ' ' || c == '"' || c == '\'' || c == 0x7f; });
  if (!scheme || !clean || u.repository.size() > 512) {
    return r.At(n, fmt::format("bad update.repository '{}' (allowed: an http:// or https:// URL "
                               "without spaces or quotes, or empty for no automatic updates)",
                               u.repository));
  }
  return Ok();
}

Status ParseUpgradeChannel(const YamlReader& r, const Node& n, Update& u) {
  HULL_ASSIGN_OR_RETURN(std::string v, r.Scalar(n, n.Mark(), "update.upgrade_channel"));
  if (v == "NodeImage") {
    u.upgrade_channel = UpgradeChannel::kNodeImage;
  } else if (v == "None") {
    u.upgrade_channel = UpgradeChannel::kNone;
  } else if (v == "SecurityPatch" || v == "Unmanaged") {
    return r.At(n, fmt::format("update.upgrade_channel '{}' changes packages in place; the "
                               "immutable flavor only takes whole signed images (allowed: "
                               "NodeImage, None)",
                               v));
  } else {
    return r.At(n, fmt::format("bad update.upgrade_channel '{}' (allowed: NodeImage, None)", v));
  }
  return Ok();
}

Status ParseSysexts(const YamlReader& r, const Node& n, Update& u) {
  HULL_ASSIGN_OR_RETURN(u.sysexts, r.ScalarList(n, n.Mark(), "update.sysexts"));
  if (u.sysexts.size() > node::kMaxWantedSysexts)
    return r.At(n, fmt::format("update.sysexts: {} names, at most {}", u.sysexts.size(),
                               node::kMaxWantedSysexts));
  for (size_t i = 0; i < u.sysexts.size(); ++i) {
    if (!node::ValidSysextName(u.sysexts[i]))
      return r.At(n[i], fmt::format("bad extension name '{}' in update.sysexts (allowed: "
                                    "lower-case letters, digits, '.', '-', as `hull sysext "
                                    "build` names it)",
                                    u.sysexts[i]));
    for (size_t j = 0; j < i; ++j)
      if (u.sysexts[j] == u.sysexts[i])
        return r.At(n[i],
                    fmt::format("extension '{}' named twice in update.sysexts", u.sysexts[i]));
  }
  return Ok();
}

Status ParseHealthUnits(const YamlReader& r, const Node& n, Update& u) {
  HULL_ASSIGN_OR_RETURN(u.health_units, r.ScalarList(n, n.Mark(), "update.health_units"));
  for (size_t i = 0; i < u.health_units.size(); ++i) {
    if (!Matches(u.health_units[i], R"([A-Za-z0-9@_.:-]+\.(service|target|socket|mount))")) {
      return r.At(n[i], fmt::format("bad unit name '{}' in update.health_units (allowed: a "
                                    "systemd .service, .target, .socket or .mount name)",
                                    u.health_units[i]));
    }
  }
  return Ok();
}

// update.fleetlock: {url, group, ca, cert, key}.
Status ParseFleetLock(const YamlReader& r, const Node& n, Update& u) {
  HULL_TRY(r.CheckKeys(n, "'update.fleetlock'", {"url", "group", "ca", "cert", "key"}));
  for (auto [key, out] : {std::pair<const char*, std::string*>{"ca", &u.fleetlock_ca},
                          {"cert", &u.fleetlock_cert},
                          {"key", &u.fleetlock_key}}) {
    if (!n[key]) continue;
    const std::string what = std::string("update.fleetlock.") + key;
    HULL_ASSIGN_OR_RETURN(*out, r.Scalar(n[key], n.Mark(), what));
    const bool clean =
        std::none_of(out->begin(), out->end(), [](char c) { return c < ' ' || c == 0x7f; });
    if (!out->empty() && (out->front() != '/' || !clean || out->size() > 4096))
      return r.At(n[key],
                  fmt::format("bad {} '{}' (allowed: an absolute path on the node)", what, *out));
  }
  if (u.fleetlock_cert.empty() != u.fleetlock_key.empty())
    return r.At(n,
                "update.fleetlock.cert and update.fleetlock.key go together (a client "
                "certificate and its key)");
  if (n["url"]) {
    HULL_ASSIGN_OR_RETURN(u.fleetlock_url, r.Scalar(n["url"], n.Mark(), "update.fleetlock.url"));
    const std::string& v = u.fleetlock_url;
    bool scheme = v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0;
    bool clean = std::none_of(
        v.begin(), v.end(), [](char c) { return c <= ' ' || c == '"' || c == '\'' || c == 0x7f; });
    if (!v.empty() && (!scheme || !clean || v.size() > 512)) {
      return r.At(n["url"], fmt::format("bad update.fleetlock.url '{}' (allowed: an http:// or "
                                        "https:// URL, or empty for no reboot coordination)",
                                        v));
    }
  }
  if (n["group"]) {
    HULL_ASSIGN_OR_RETURN(u.fleetlock_group,
                          r.Scalar(n["group"], n.Mark(), "update.fleetlock.group"));
    if (!Matches(u.fleetlock_group, "[a-zA-Z0-9.-]{1,128}")) {
      return r.At(n["group"], fmt::format("bad update.fleetlock.group '{}' (allowed: letters, "
                                          "digits, '.' and '-', e.g. workers)",
                                          u.fleetlock_group));
    }
  }
  return Ok();
}

}  // namespace

Status ParseUpdate(const YamlReader& r, const Node& n, Update& u) {
  HULL_TRY(
      r.CheckKeys(n, "'update'",
                  {"repository", "trusted_root", "channel", "upgrade_channel", "check_interval",
                   "boot_tries", "health_units", "event_console", "fleetlock", "sysexts"}));
  if (n["repository"]) HULL_TRY(ParseRepository(r, n["repository"], u));
  if (n["trusted_root"]) {
    HULL_ASSIGN_OR_RETURN(u.trusted_root,
                          r.Scalar(n["trusted_root"], n.Mark(), "update.trusted_root"));
  }
  if (n["channel"]) {
    HULL_ASSIGN_OR_RETURN(u.channel, r.Scalar(n["channel"], n.Mark(), "update.channel"));
    if (!Matches(u.channel, "[a-z0-9][a-z0-9-]{0,31}")) {
      return r.At(n["channel"], fmt::format("bad update.channel '{}' (allowed: lowercase letters, "
                                            "digits and '-', e.g. stable, beta)",
                                            u.channel));
    }
  }
  if (n["upgrade_channel"]) HULL_TRY(ParseUpgradeChannel(r, n["upgrade_channel"], u));
  if (n["check_interval"]) {
    HULL_ASSIGN_OR_RETURN(u.check_interval,
                          r.Scalar(n["check_interval"], n.Mark(), "update.check_interval"));
    if (!Matches(u.check_interval, "[1-9][0-9]{0,5}(s|min|h|d)")) {
      return r.At(n["check_interval"],
                  fmt::format("bad update.check_interval '{}' (allowed: a number with s, min, h "
                              "or d, e.g. 6h)",
                              u.check_interval));
    }
  }
  if (n["boot_tries"]) {
    HULL_ASSIGN_OR_RETURN(std::string v, r.Scalar(n["boot_tries"], n.Mark(), "update.boot_tries"));
    if (v.size() != 1 || v[0] < '1' || v[0] > '9') {
      return r.At(n["boot_tries"], fmt::format("bad update.boot_tries '{}' (allowed: 1 to 9)", v));
    }
    u.boot_tries = uint32_t(v[0] - '0');
  }
  if (n["health_units"]) HULL_TRY(ParseHealthUnits(r, n["health_units"], u));
  if (n["sysexts"]) HULL_TRY(ParseSysexts(r, n["sysexts"], u));
  if (n["event_console"]) {
    HULL_ASSIGN_OR_RETURN(u.event_console,
                          r.Scalar(n["event_console"], n.Mark(), "update.event_console"));
    if (!u.event_console.empty() && !Matches(u.event_console, "/dev/[A-Za-z0-9]+")) {
      return r.At(n["event_console"],
                  fmt::format("bad update.event_console '{}' (allowed: a device such as "
                              "/dev/ttyS0, or empty)",
                              u.event_console));
    }
  }
  if (n["fleetlock"]) HULL_TRY(ParseFleetLock(r, n["fleetlock"], u));
  if (!u.repository.empty() && u.trusted_root.empty()) {
    return r.At(n,
                "update.repository needs update.trusted_root: the root.json that "
                "'hull release init' wrote for that repository");
  }
  return Ok();
}

const char* UpgradeChannelName(UpgradeChannel c) {
  return c == UpgradeChannel::kNone ? "None" : "NodeImage";
}

}  // namespace hull::spec

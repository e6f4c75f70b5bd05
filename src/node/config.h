// The node's update configuration (docs/agent.md): /usr/lib/hull/update.json,
// written by the build from the spec's `update` section; /etc/hull/update.json
// on the node replaces it whole when present. Parsing is strict: unknown
// keys and wrong types are errors naming the file and key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace hull::node {

inline constexpr const char* kFactoryConfig = "/usr/lib/hull/update.json";
inline constexpr const char* kLocalConfig = "/etc/hull/update.json";
inline constexpr const char* kFactoryRoot = "/usr/lib/hull/root.json";
// The image's build time (its SOURCE_DATE_EPOCH) in Unix seconds, as
// base/seconds.h writes them: the earliest time the TUF client accepts as
// now (tuf::ClientOptions::clock_floor).
inline constexpr const char* kBuildTime = "/usr/lib/hull/build-time";
// The image spec the image was built from, as given to `hull build` (the
// default spec's text when none was): what `hull customize --rebuild`
// rebuilds from (docs/customize.md). A customized image keeps its base's.
inline constexpr const char* kSpecRecord = "/usr/lib/hull/spec.yaml";
// The certificates a release's signatures must chain to (slot/trust.h):
// db/*.crt for the UKI's Authenticode, verity/*.crt for the root hash;
// at most kMaxTrustCerts of each kind.
inline constexpr const char* kTrustDir = "/usr/lib/hull/trust";
inline constexpr size_t kMaxTrustCerts = 16;
inline constexpr uint64_t kMaxConfigBytes = 64 << 10;
inline constexpr size_t kMaxWantedSysexts = 32;

// The FleetLock server the node takes a reboot slot from (docs/fleetlock.md);
// an empty url: no coordination, the node reboots when it decides to.
struct FleetLockConfig {
  std::string url;  // http:// or https:// base of the server
  std::string group = "default";
  // https: the CA file to trust ("" = $HULL_CA_FILE, else the system
  // store) and the client certificate and key presented to a server with
  // --client-ca (both or neither); absolute paths on the node.
  std::string ca, cert, key;
  bool enabled() const { return !url.empty(); }
};

struct UpdateConfig {
  std::string repository;  // "" = no automatic checks
  std::string trusted_root = kFactoryRoot;
  std::string channel = "stable";
  bool automatic = true;  // upgrade_channel NodeImage (true) or None (false)
  uint32_t boot_tries = 3;
  std::vector<std::string> health_units{"containerd.service"};
  std::string event_console;  // also write events here ("" = journal only)
  FleetLockConfig fleetlock;
  // The system extensions this node keeps matched to its OS (docs/sysext.md
  // "Lifecycle"): names as `hull sysext build` gives them, at most
  // kMaxWantedSysexts, each once.
  std::vector<std::string> sysexts;
};

nlohmann::json ToJson(const UpdateConfig& c);
// kInvalidArgument "<name>: ..." for malformed JSON, unknown keys, wrong
// types or values out of range.
Result<UpdateConfig> ParseConfig(std::string_view text, const std::string& name);
// kLocalConfig when it exists, else kFactoryConfig (both under `root`, ""
// on a node); kNotFound when neither.
Result<UpdateConfig> LoadConfig(const std::string& root = "");

}  // namespace hull::node

// The image spec: a YAML file naming everything that goes into an image
// (docs/spec.md documents every field). Parsing is strict: an unknown key, a
// wrong type or a bad value is kInvalidArgument with a message of the form
//   "FILE:LINE:COL: <what is wrong> (allowed: <what is allowed>)"
// (LINE and COL 1-based). Absent fields take the defaults documented in
// docs/spec.md; the default spec (specs/default.yaml) is embedded in the binary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::spec {

enum class Flavor { kImmutable };
enum class SelinuxMode { kEnforcing, kPermissive, kDisabled };
enum class OutputFormat { kRaw, kVhd, kQcow2, kVhdx, kIso };  // kIso: docs/iso.md
enum class Compression { kNone, kLz4hc };

struct Distribution {
  std::string suite = "bookworm";
  std::string mirror = "http://deb.debian.org/debian";
  std::vector<std::string> components{"main"};
  std::string variant = "apt";  // mmdebstrap --variant: apt | essential
};

struct Kernel {
  std::vector<std::string> cmdline;  // extra kernel command line arguments
  std::vector<std::string> modules;  // allow-list patterns (docs/spec.md)
};

struct FileCopy {
  std::string source;  // resolved against the spec file's directory
  std::string dest;    // absolute, under /usr or /etc (the factory /etc)
};

struct Services {
  std::vector<std::string> enable;
  std::vector<std::string> disable;
};

struct User {
  std::string name;
  std::vector<std::string> ssh_authorized_keys;
};

// Sizes in bytes; 0 means "computed at build time".
struct Partitions {
  uint64_t esp = 0;
  uint64_t usr = 0;
  uint64_t root = 0;
};

// How the node updates itself (docs/spec.md "update", docs/agent.md).
enum class UpgradeChannel { kNodeImage, kNone };

struct Update {
  std::string repository;    // http(s):// URL of the release repository; empty: never checks
  std::string trusted_root;  // the repository's root.json (resolved like `files` sources)
  std::string channel = "stable";
  UpgradeChannel upgrade_channel = UpgradeChannel::kNodeImage;
  std::string check_interval = "6h";  // systemd time span between checks
  uint32_t boot_tries = 3;            // boots a new version gets to pass the health gate
  std::vector<std::string> health_units{"containerd.service"};  // must be active to bless a boot
  std::string event_console;  // also write the agent's events here (e.g. /dev/ttyS0)
  // The FleetLock server every reboot takes a slot from (docs/fleetlock.md);
  // an empty url: no coordination.
  std::string fleetlock_url;
  std::string fleetlock_group = "default";
  // https trust and client certificate on the node (node::FleetLockConfig).
  std::string fleetlock_ca, fleetlock_cert, fleetlock_key;
  // The system extensions the node keeps matched to its OS (docs/sysext.md
  // "Lifecycle"): fetched for a release before it is installed.
  std::vector<std::string> sysexts;
};

// An image containerd holds from the first boot, without a pull
// (docs/containers.md, "Preloaded on the node").
struct Preload {
  enum class Kind { kPreset, kLayout, kArchive };
  Kind kind = Kind::kPreset;
  std::string source;  // a preset name ("static:debug"), or a layout / archive path
  std::string ref;   // layout / archive: the org.opencontainers.image.ref.name ("" = the only one)
  std::string name;  // containerd's image name; presets default to localhost/hull/NAME:TAG
};

struct ImageSpec {
  std::string name;
  Flavor flavor = Flavor::kImmutable;
  std::string version;         // YYYYMM.DD.N
  std::string arch = "amd64";  // Debian architecture: amd64 | arm64
  Distribution distribution;
  std::vector<std::string> packages;
  Kernel kernel;
  SelinuxMode selinux = SelinuxMode::kEnforcing;
  std::vector<FileCopy> files;
  Services services;
  std::vector<User> users;
  Partitions partitions;
  std::vector<OutputFormat> outputs{OutputFormat::kRaw};
  Compression erofs_compression = Compression::kNone;
  std::string signing_key_dir;  // empty: insecure development keys
  Update update;
  std::vector<Preload> preload;  // `containers.preload`
};

struct ParseOptions {
  // Shown in error messages and used to resolve relative `files` sources.
  std::string filename = "<spec>";
  // Unix time used for the default version (the build date, UTC).
  int64_t build_time = 0;
};

// Cap on the size of a spec file.
inline constexpr size_t kMaxSpecBytes = 1 << 20;

// Parses and validates spec text; errors are described at the top of this file.
Result<ImageSpec> ParseSpec(std::string_view yaml, const ParseOptions& options);
// Reads PATH (at most kMaxSpecBytes) and parses it; filename = PATH.
Result<ImageSpec> LoadSpec(const std::string& path, int64_t build_time);
// The text of specs/default.yaml (amd64), embedded at build time.
std::string_view DefaultSpecText();
// The text of specs/immutable-arm64.yaml, embedded at build time.
std::string_view Arm64DefaultSpecText();
// The default spec of ARCH ("amd64" or "arm64"; spec/arch.h). A spec given to
// ParseSpec takes its absent fields from the default of its own arch.
Result<ImageSpec> DefaultSpec(int64_t build_time, std::string_view arch = "amd64");

// "YYYYMM.DD.N" of a Unix time (UTC), N = 0.
std::string VersionForTime(int64_t unix_time);
// Checks "YYYYMM.DD.N": month 01-12, day 01-31, N a decimal without sign.
Status ValidateVersion(std::string_view version);
// Seconds since the epoch: SOURCE_DATE_EPOCH when set and valid, else now.
int64_t BuildTime();

const char* FlavorName(Flavor f);
const char* SelinuxName(SelinuxMode m);
const char* OutputName(OutputFormat f);
const char* CompressionName(Compression c);
const char* UpgradeChannelName(UpgradeChannel c);

// The packages, sorted and de-duplicated (the form used for cache keys).
std::vector<std::string> SortedPackages(const ImageSpec& spec);

}  // namespace hull::spec

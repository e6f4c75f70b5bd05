// The install seed (docs/iso.md "The seed"): what an unattended install
// does, read from a GPT partition named `hull-seed` on the install medium or
// on another disk the operator attaches. Pure: the seed's bytes and the
// facts about the disks come in; the target, and the files the installed
// node's /etc receives, go out. The seed is untrusted input: unknown keys,
// duplicate keys, wrong types and values out of range are refused with one
// line naming the field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "node/config.h"
#include "node/medium.h"
#include "node/users.h"

namespace hull::agent {

// The GPT partition name of a seed, and the most bytes read from it
// (node/medium.h: `hull disk iso --seed` writes what the installer reads).
using node::kMaxSeedBytes;
using node::kSeedPartitionName;
inline constexpr size_t kMaxSeedUsers = 64;
inline constexpr size_t kMaxSeedKeysPerUser = 64;

struct SeedTarget {
  enum class Kind { kEmpty, kSerial, kPath };
  Kind kind = Kind::kEmpty;
  std::string value;  // the serial or the /dev path; empty for kEmpty
};

enum class AfterInstall { kPowerOff, kReboot };

struct Seed {
  SeedTarget target;
  bool wipe = false;
  AfterInstall after = AfterInstall::kPowerOff;
  // The keys of update.json (node/config.h) laid over the image's own
  // configuration; an empty object when the seed has none.
  nlohmann::json update = nlohmann::json::object();
  std::vector<node::LoginUser> users;
};

// {"hull_seed": 1, "target": "empty" | "serial:S" | "/dev/...",
//  "wipe": bool, "after": "poweroff" | "reboot",
//  "update": {update.json keys}, "users": [{"name", "ssh_authorized_keys"}]}
// kInvalidArgument "seed: '<field>': <what is wrong> (<what is allowed>)".
Result<Seed> ParseSeed(std::string_view text);

// The seed's text in a partition's bytes: up to the first NUL byte.
// kInvalidArgument when the text is empty (an unwritten partition).
Result<std::string_view> SeedText(std::string_view partition_bytes);

// A whole disk of the machine, as the installer sees it.
struct SeedDisk {
  std::string path;    // /dev/vdb
  std::string serial;  // "" when the disk reports none
  uint64_t bytes = 0;
  bool holds_data = false;  // a partition table, or a non-zero byte in its first MiB
  bool read_only = false;   // an optical drive, a write-protected stick
  bool medium = false;      // holds the install medium
  bool seed = false;        // holds the seed
};

// The one disk the seed's target names. Never the medium, the seed's disk, a
// read-only disk or an empty (0-byte) drive. Errors (kRefused, nothing is
// written):
//   "seed: 'target' empty: no empty disk (...)" / "N empty disks (...): name one ..."
//   "seed: 'target' serial:S: no disk has that serial (...)" / "N disks have it"
//   "seed: 'target' P: no such disk (...)"
//   "seed: 'target' ...: D holds the install medium / the seed / is read-only"
Result<SeedDisk> ChooseTarget(const SeedTarget& target, const std::vector<SeedDisk>& disks);

// A file the installed node's /etc receives.
struct SeedFile {
  std::string path;  // under /etc: "/etc/hull/update.json"
  std::string text;
  uint32_t mode = 0644;
};

// /etc/hull/update.json (the seed's update keys over `image`, the image's
// own configuration; only when the seed has any), and the users' sysusers.d
// and tmpfiles.d files (only when it names users). kInvalidArgument when the
// merged configuration is not valid (node::ParseConfig's message).
Result<std::vector<SeedFile>> SeedFiles(const Seed& seed, const node::UpdateConfig& image);

}  // namespace hull::agent

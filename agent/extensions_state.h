// /run/hull/extensions.json, the one owner of the file (docs/sysext.md): what
// became of each system extension this boot, as `hull-agent extensions`
// records it at boot and an extension's own update (SwapExtension,
// activate.h) rewrites it, and as `hull-agent update` and `hull-agent status`
// read it. Pure apart from Read/WriteExtensionsState.
//
//   [{"name", "file", "state", "reason", "root_hash",
//     "replaces": {"file", "root_hash"}}, ...]
//
// "replaces" only on a "pending" entry. The file is in /run (a tmpfs): a
// power loss takes it with everything mounted, and the next boot's
// activation writes it afresh from the files on disk.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace hull::agent {

inline constexpr const char* kExtensionsState = "/run/hull/extensions.json";
inline constexpr uint64_t kMaxExtensionsStateBytes = 1 << 20;

struct ExtensionResult {
  std::string name, file;
  // "active": mounted at /run/extensions/NAME and merged into /usr.
  // "refused": a check refused it (reason). "standby": not tried (reason
  // when there is one to give). "pending": an extension's own update mounted
  // `file` at /run/extensions/NAME but `systemd-sysext refresh` has not (yet)
  // merged it: /usr may still show `replaces_file`; the next run retries the
  // refresh (reason: why the last one failed, or "" while it runs).
  std::string state;
  std::string reason;
  std::string root_hash;  // hex, once verified
  // On a "pending" entry: the file that was active before, and its root
  // hash (its dm-verity device is removed once the refresh succeeds).
  std::string replaces_file, replaces_root_hash;
};

nlohmann::json ExtensionsJson(const std::vector<ExtensionResult>& results);
// Reads what ExtensionsJson wrote; kCorrupt naming the file for anything
// else (not an array, an entry without a string field, an unknown key or
// state, "replaces" on an entry that is not "pending" or missing on one).
Result<std::vector<ExtensionResult>> ParseExtensionsJson(std::string_view text);
// One line per extension, for `hull-agent status`.
std::string ExtensionsText(const std::vector<ExtensionResult>& results);

// The entry of `name` in state "active" or "pending"; nullptr when none.
const ExtensionResult* MountedEntry(const std::vector<ExtensionResult>& results,
                                    std::string_view name);

// `results` with `entry` replacing every entry of its name, in name order.
std::vector<ExtensionResult> WithEntry(std::vector<ExtensionResult> results, ExtensionResult entry);

// The file at `path`: none (absent) is an empty list; kCorrupt (named)
// when it cannot be parsed.
Result<std::vector<ExtensionResult>> ReadExtensionsState(const std::string& path);
// Written whole (temporary file, fsync, rename), its directory made.
Status WriteExtensionsState(const std::string& path, const std::vector<ExtensionResult>& results);

}  // namespace hull::agent

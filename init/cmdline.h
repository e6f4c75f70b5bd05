// hull-init's view of the kernel command line (/proc/cmdline).
//
// Options read (docs/init.md):
//   usrhash=<hex>              the /usr dm-verity root hash (required, 64 hex
//                              digits: node/usrhash.h; DPS
//                              verity mode #1: the usr partition's UUID is its
//                              first 128 bits, usr-verity's the last 128)
//   hull.roottemplate=<hex>    the SHA-256 of the install medium's root
//                              template (node/usrhash.h's rule; docs/iso.md):
//                              required for a live boot only
//   hull.verity=eio|restart    on a corrupted block: return EIO (default) or
//                              restart the machine (restart_on_corruption)
//   hull.disk_timeout=<s>      seconds to wait for the disk (default 30, 1..600;
//                              at most half of hull.watchdog=, clamped to it
//                              with a note)
//   hull.watchdog=<s>          the watchdog timeout hull-init arms (default
//                              120, 0..3600; 0: none): the time until systemd
//                              takes the watchdog over (docs/init.md)
//   init=<path>                the program to exec in the real root
//                              (default /usr/lib/systemd/systemd)
// Everything else is ignored. The text is split by the kernel command line
// codec (node/kernel_cmdline.h): values may be double-quoted as the kernel
// allows, and the last occurrence of an option wins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::init {

enum class VerityPolicy { kEio, kRestart };

struct Cmdline {
  Bytes usrhash;        // 32 bytes (node/usrhash.h)
  Bytes root_template;  // 32 bytes, or empty when the option is absent
  VerityPolicy verity = VerityPolicy::kEio;
  int disk_timeout_s = 30;
  int watchdog_s = 120;
  std::string init = "/usr/lib/systemd/systemd";
  std::vector<std::string> notes;  // adjustments made, for the console
};

// Errors (kInvalidArgument unless noted), each naming the option:
//   "usrhash= missing from the kernel command line" (kNotFound)
//   node::ParseUsrHash's: "usrhash=: N characters, expected 64 hex digits
//   (a SHA-256 root hash)" | "usrhash=: character K (0xNN) is not a hex digit"
//   node::ParseRootTemplateHash's, naming hull.roottemplate=
//   "hull.verity=X: expected eio or restart"
//   "hull.disk_timeout=X: expected seconds 1..600"
//   "hull.watchdog=X: expected seconds 0..3600 (0: no watchdog)"
//   "init=X: must be an absolute path"
Result<Cmdline> ParseCmdline(std::string_view text);

// The dm-verity optional arguments for a policy ("" list for kEio).
std::vector<std::string> VerityOptions(VerityPolicy policy);

}  // namespace hull::init

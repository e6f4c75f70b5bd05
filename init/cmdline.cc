#include "init/cmdline.h"

#include <algorithm>
#include <charconv>

#include "base/hex.h"
#include "node/kernel_cmdline.h"
#include "node/usrhash.h"

namespace hull::init {

namespace {

bool Seconds(std::string_view value, int min, int max, int& out) {
  int v = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || p != value.data() + value.size() || v < min || v > max) return false;
  out = v;
  return true;
}

Status ApplyOption(Cmdline& c, std::string_view key, std::string_view value, bool& have_hash) {
  if (key == "usrhash") {
    HULL_ASSIGN_OR_RETURN(std::string hex, node::ParseUsrHash(value));
    HULL_ASSIGN_OR_RETURN(c.usrhash, HexDecode(hex));
    have_hash = true;
  } else if (key == node::kRootTemplateOption) {
    HULL_ASSIGN_OR_RETURN(std::string hex, node::ParseRootTemplateHash(value));
    HULL_ASSIGN_OR_RETURN(c.root_template, HexDecode(hex));
  } else if (key == "hull.verity") {
    if (value == "eio")
      c.verity = VerityPolicy::kEio;
    else if (value == "restart")
      c.verity = VerityPolicy::kRestart;
    else
      return Errorf(ErrorCode::kInvalidArgument, "hull.verity={}: expected eio or restart", value);
  } else if (key == "hull.disk_timeout") {
    if (!Seconds(value, 1, 600, c.disk_timeout_s))
      return Errorf(ErrorCode::kInvalidArgument, "hull.disk_timeout={}: expected seconds 1..600",
                    value);
  } else if (key == "hull.watchdog") {
    if (!Seconds(value, 0, 3600, c.watchdog_s))
      return Errorf(ErrorCode::kInvalidArgument,
                    "hull.watchdog={}: expected seconds 0..3600 (0: no watchdog)", value);
  } else if (key == "init") {
    if (value.empty() || value[0] != '/')
      return Errorf(ErrorCode::kInvalidArgument, "init={}: must be an absolute path", value);
    c.init = std::string(value);
  }
  return {};
}

}  // namespace

Result<Cmdline> ParseCmdline(std::string_view text) {
  Cmdline c;
  bool have_hash = false;
  // In order, so that the last occurrence of an option wins (docs/node.md).
  for (const node::CmdlineParam& p : node::SplitCmdline(text)) {
    if (p.value) HULL_TRY(ApplyOption(c, p.key, *p.value, have_hash));
  }
  if (!have_hash)
    return Error(ErrorCode::kNotFound, "usrhash= missing from the kernel command line");
  // The watchdog runs while hull-init waits for the disk: a wait as long as
  // its timeout would reset the machine before the disk's absence is even
  // reported. Half of it is left for the rest of the boot (root growth,
  // systemd's start until it takes the watchdog over).
  if (c.watchdog_s > 0 && c.disk_timeout_s > c.watchdog_s / 2) {
    const int clamped = std::max(1, c.watchdog_s / 2);
    c.notes.push_back(fmt::format(
        "hull.disk_timeout={} s clamped to {} s: at most half of hull.watchdog={} s, or the "
        "watchdog resets the machine while the disk is awaited (raise hull.watchdog= to wait "
        "longer)",
        c.disk_timeout_s, clamped, c.watchdog_s));
    c.disk_timeout_s = clamped;
  }
  return c;
}

std::vector<std::string> VerityOptions(VerityPolicy policy) {
  if (policy == VerityPolicy::kRestart) return {"restart_on_corruption"};
  return {};
}

}  // namespace hull::init

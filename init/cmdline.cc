#include "init/cmdline.h"

#include <charconv>

#include "base/hex.h"
#include "node/kernel_cmdline.h"

namespace hull::init {

namespace {

Status ApplyOption(Cmdline& c, std::string_view key, std::string_view value, bool& have_hash) {
  if (key == "usrhash") {
    auto bytes = HexDecode(value);
    if (!bytes.ok()) return Error(ErrorCode::kInvalidArgument, "usrhash=: not hex");
    if (bytes->size() < 32)
      return Errorf(ErrorCode::kInvalidArgument, "usrhash=: {} bytes, need at least 32",
                    bytes->size());
    c.usrhash = std::move(*bytes);
    have_hash = true;
  } else if (key == "hull.verity") {
    if (value == "eio")
      c.verity = VerityPolicy::kEio;
    else if (value == "restart")
      c.verity = VerityPolicy::kRestart;
    else
      return Errorf(ErrorCode::kInvalidArgument, "hull.verity={}: expected eio or restart", value);
  } else if (key == "hull.disk_timeout") {
    int v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size() || v < 1 || v > 600)
      return Errorf(ErrorCode::kInvalidArgument, "hull.disk_timeout={}: expected seconds 1..600",
                    value);
    c.disk_timeout_s = v;
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
  return c;
}

std::vector<std::string> VerityOptions(VerityPolicy policy) {
  if (policy == VerityPolicy::kRestart) return {"restart_on_corruption"};
  return {};
}

}  // namespace hull::init

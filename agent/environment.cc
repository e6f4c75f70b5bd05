#include "agent/environment.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "node/kernel_cmdline.h"

namespace hull::agent {
namespace {

Environment& Mutable() {
  static Environment env;
  return env;
}

}  // namespace

const Environment& Env() { return Mutable(); }

Result<std::string> Environment::HealthVerdict() const {
  // A real node's verdict is the gate's checks: /health is never read there.
  if (!simulated())
    return Error(ErrorCode::kInternal, "the health verdict file exists on simulated nodes only");
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(Path("/health"), 4096));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text == "healthy") return std::string();
  return text.empty() ? std::string("the simulated node's verdict is empty") : text;
}

Status Environment::Reboot() const {
  if (simulated()) return WriteFileAtomic(Path("/run/reboot-requested"), std::string("reboot\n"));
  auto r = Run(Command{.argv = {"systemctl", "reboot", "--no-block"}});
  if (!r.ok()) return std::move(r).error().Wrap("systemctl reboot");
  return Ok();
}

Status Environment::PowerOff() const {
  if (simulated())
    return WriteFileAtomic(Path("/run/poweroff-requested"), std::string("poweroff\n"));
  auto r = Run(Command{.argv = {"systemctl", "poweroff", "--no-block"}});
  if (!r.ok()) return std::move(r).error().Wrap("systemctl poweroff");
  return Ok();
}

Status EnterSimulatedNode(const std::string& dir) {
  // A booted Hull node never acts on anything but itself. Fail closed: a
  // command line that cannot be read, or any usrhash= key (well-formed or
  // not), refuses.
  auto cmdline = ReadFileText("/proc/cmdline", 1 << 16);
  if (!cmdline.ok())
    return Error(ErrorCode::kRefused,
                 "--simulated-node: /proc/cmdline cannot be read (" + cmdline.error().message() +
                     "); simulated nodes run on a test host with /proc mounted");
  const auto params = node::SplitCmdline(*cmdline);
  if (std::ranges::any_of(params, [](const node::CmdlineParam& p) { return p.key == "usrhash"; }))
    return Error(ErrorCode::kRefused,
                 "--simulated-node: this is a booted Hull node (usrhash= on /proc/cmdline); "
                 "simulated nodes run on a test host only");
  std::error_code ec;
  if (dir.empty() || dir[0] != '/' || !std::filesystem::is_directory(dir, ec))
    return Errorf(ErrorCode::kInvalidArgument,
                  "--simulated-node {}: not an absolute path to a directory", dir);
  Environment& env = Mutable();
  env.root_ = dir;
  while (env.root_.size() > 1 && env.root_.back() == '/') env.root_.pop_back();
  const std::string tmp = env.Path("/var/tmp");
  std::filesystem::create_directories(tmp, ec);
  ::setenv("TMPDIR", tmp.c_str(), 1);
  return Ok();
}

}  // namespace hull::agent

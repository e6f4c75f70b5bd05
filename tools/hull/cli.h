// Shared plumbing of the `hull` commands: each command group registers its
// subcommands on the app and sets the action to run after parsing. Commands
// parse, call a library, print: no logic lives here.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/exit_code.h"
#include "base/result.h"

namespace hull::signing {
struct OfflineOptions;
}

namespace hull::cli {

// Exit codes shared by every command: base/exit_code.h's table.
using hull::kExitError;
using hull::kExitFailed;
using hull::kExitOk;

struct Context {
  std::function<int()> action;
  bool quiet = false;
  bool verbose = false;
};

// Prints "hull: <error>" once and returns the exit code for its kind.
int ReportError(const Error& error);
// Prints a JSON document (pretty) to stdout.
void PrintJson(const nlohmann::json& doc);
// The progress lines of a command made of named steps (build, customize):
// called with secs < 0 when a step starts and with its time when it ends;
// "[n/total]" before each when `total` is not 0. On a terminal each step
// is one line rewritten in place.
std::function<void(const std::string& step, double secs)> StepProgress(size_t total);

// --sign-offline DIR and --inject-signatures DIR on a command that signs
// (docs/keys.md, "Offline signing"; cmd_sign.cc), and the lines printed
// after recording into DIR.
void AddOfflineOptions(CLI::App& command, signing::OfflineOptions& options);
std::string OfflineHint(const std::string& dir);

// The end of a command that makes an image (build, customize): after
// --sign-offline the OfflineHint (nothing with --json); else manifest.json
// with --json, or `summary(result)`. `result` has sign_offline_dir and
// manifest; `summary` is called only for a finished image.
template <typename R>
int PrintImageResult(const R& result, bool json, std::string (*summary)(const R&)) {
  if (!result.sign_offline_dir.empty()) {
    if (!json) std::printf("%s", OfflineHint(result.sign_offline_dir).c_str());
    return kExitOk;
  }
  if (json) {
    PrintJson(result.manifest);
  } else {
    std::printf("%s", summary(result).c_str());
  }
  return kExitOk;
}

using Registrar = void (*)(CLI::App& app, Context& ctx);
void RegisterVerity(CLI::App& app, Context& ctx);
void RegisterRelease(CLI::App& app, Context& ctx);
// `hull release keys`, on the release command (cmd_release_keys.cc).
void RegisterReleaseKeys(CLI::App* release, Context& ctx);
// `hull release add-sysext` (cmd_sysext_release.cc).
void RegisterReleaseSysext(CLI::App* release, Context& ctx);
// `hull release pull` (cmd_release_pull.cc).
void RegisterReleasePull(CLI::App* release, Context& ctx);
// `hull release rollout` (cmd_release_rollout.cc).
void RegisterReleaseRollout(CLI::App* release, Context& ctx);
void RegisterDisk(CLI::App& app, Context& ctx);
void RegisterInspect(CLI::App& app, Context& ctx);
void RegisterSign(CLI::App& app, Context& ctx);
void RegisterUki(CLI::App& app, Context& ctx);
void RegisterKeys(CLI::App& app, Context& ctx);
void RegisterFleetlock(CLI::App& app, Context& ctx);
void RegisterCatalog(CLI::App& app, Context& ctx);
void RegisterSpec(CLI::App& app, Context& ctx);
void RegisterRootfs(CLI::App& app, Context& ctx);
void RegisterBuild(CLI::App& app, Context& ctx);
void RegisterCustomize(CLI::App& app, Context& ctx);
void RegisterSysext(CLI::App& app, Context& ctx);
void RegisterBoot(CLI::App& app, Context& ctx);
void RegisterSlot(CLI::App& app, Context& ctx);
void RegisterDelta(CLI::App& app, Context& ctx);
void RegisterContainer(CLI::App& app, Context& ctx);

}  // namespace hull::cli

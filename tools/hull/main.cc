// hull: builds, verifies, boots, catalogs and updates immutable node images.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "base/log.h"
#include "base/progress.h"
#include "cli.h"

#ifndef HULL_VERSION
#define HULL_VERSION "0.0.0"
#endif

namespace hull::cli {

int ReportError(const Error& error) {
  std::fprintf(stderr, "hull: %s\n", error.ToString().c_str());
  return hull::ExitCodeFor(error.code());
}

void PrintJson(const nlohmann::json& doc) { std::printf("%s\n", doc.dump(2).c_str()); }

std::function<void(const std::string& step, double secs)> StepProgress(size_t total) {
  const bool tty = isatty(STDERR_FILENO);
  auto n = std::make_shared<size_t>(0);
  return [tty, total, n](const std::string& step, double secs) {
    if (secs < 0) ++*n;
    const std::string count = total ? fmt::format("[{}/{}] ", *n, total) : "";
    if (secs < 0) {
      std::fprintf(stderr, tty ? "\r%s%-8s ..." : "%s%s ...\n", count.c_str(), step.c_str());
    } else {
      std::fprintf(stderr, tty ? "\r%s%-8s %6.1f s\n" : "%s%s done in %.1f s\n", count.c_str(),
                   step.c_str(), secs);
    }
    std::fflush(stderr);
  };
}

}  // namespace hull::cli

int main(int argc, char** argv) {
  using namespace hull::cli;
  CLI::App app{
      "Hull builds, verifies, boots, catalogs and updates immutable, verifiable\n"
      "container-host OS images for Kubernetes nodes.\n",
      "hull"};
  app.set_version_flag("--version", std::string("hull ") + HULL_VERSION);
  app.require_subcommand(1);
  Context ctx;
  app.add_flag("-q,--quiet", ctx.quiet, "Print only results and errors (no progress)");
  app.add_flag("-v,--verbose", ctx.verbose, "Print debug detail");
  app.footer("Run 'hull <command> --help' for a command's options and examples.");

  // One command group per line.
  const Registrar kGroups[] = {
      RegisterVerity,    RegisterRelease, RegisterDisk,      RegisterSign,    RegisterUki,
      RegisterKeys,      RegisterInspect, RegisterFleetlock, RegisterCatalog, RegisterSpec,
      RegisterRootfs,    RegisterBuild,   RegisterBoot,      RegisterSlot,    RegisterDelta,
      RegisterContainer, RegisterSysext,  RegisterCustomize,
  };
  for (Registrar reg : kGroups) reg(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitError;
  }
  if (ctx.quiet) {
    hull::SetLogLevel(hull::LogLevel::kWarning);
    hull::Progress::SetDefaultMode(hull::ProgressMode::kQuiet);
  }
  if (ctx.verbose) hull::SetLogLevel(hull::LogLevel::kDebug);
  if (!ctx.action) return kExitError;
  return ctx.action();
}

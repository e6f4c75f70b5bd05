#include "agent/update.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "agent/decide.h"
#include "agent/dm_status.h"
#include "agent/events.h"
#include "agent/facts.h"
#include "agent/node.h"
#include "agent/rollback.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/subprocess.h"
#include "node/config.h"
#include "slot/trust.h"
#include "slot/update.h"
#include "tuf/fetcher.h"
#include "tuf/releases.h"

namespace hull::agent {
namespace {

using json = nlohmann::json;
using node::kFactoryConfig;
using node::LoadConfig;
using node::UpdateConfig;

const std::string kBadVersions = std::string(kStateDir) + "/bad-versions";
const std::string kTufState = std::string(kStateDir) + "/tuf";

// Everything a command needs about this node; an error is already reported.
struct Context {
  UpdateConfig config;
  Node node;
  NodeDisk disk;
};

// The configuration (defaults when there is none), so that even the
// errors of a node that cannot be read reach the event console.
UpdateConfig Config(std::optional<Error>* error) {
  auto cfg = LoadConfig();
  if (cfg.ok()) return std::move(*cfg);
  if (cfg.error().code() != ErrorCode::kNotFound) *error = std::move(cfg).error();
  return {};
}

Result<Context> OpenContext(UpdateConfig config, bool writable) {
  Context c;
  c.config = std::move(config);
  HULL_ASSIGN_OR_RETURN(c.node, ReadNode());
  HULL_ASSIGN_OR_RETURN(c.disk, OpenNodeDisk(c.node, writable));
  return c;
}

int Fail(const Events& ev, const Error& e) {
  ev.Emit("error", {{"message", e.ToString()}});
  std::fprintf(stderr, "hull-agent: %s\n", e.ToString().c_str());
  return ExitCodeFor(e.code());
}

void Reboot(const Events& ev, const std::string& why) {
  ev.Emit("rebooting", {{"reason", why}});
  auto r = Run(Command{.argv = {"systemctl", "reboot", "--no-block"}});
  if (!r.ok()) std::fprintf(stderr, "hull-agent: reboot: %s\n", r.error().ToString().c_str());
}

// Records the failed entries' versions as bad, then removes the entries.
Status RecordRollbacks(Context& c, const Events& ev, const std::vector<FailedEntry>& failed) {
  HULL_ASSIGN_OR_RETURN(std::set<std::string> bad, LoadBadVersions(kBadVersions));
  std::error_code ec;
  std::filesystem::create_directories(kStateDir, ec);
  for (const auto& f : failed) bad.insert(f.version);
  HULL_TRY(SaveBadVersions(kBadVersions, bad));
  for (const auto& f : failed) {
    HULL_TRY(c.disk.io.esp->Remove(f.file).Context("removing the failed entry " + f.file));
    ev.Emit("rollback", {{"failed", f.version},
                         {"running", c.node.version},
                         {"removed", f.file},
                         {"reason",
                          "the version used every boot try without passing the "
                          "health gate; it will not be installed again"}});
  }
  HULL_ASSIGN_OR_RETURN(c.disk.state, slot::ReadDiskState(*c.disk.io.disk, *c.disk.io.esp));
  return Ok();
}

Result<tuf::Client> MakeClient(const UpdateConfig& cfg, const UpdateOptions& o) {
  HULL_ASSIGN_OR_RETURN(
      Bytes root,
      ReadFileBytes(cfg.trusted_root, 1 << 20).Context("trusted root " + cfg.trusted_root));
  std::error_code ec;
  std::filesystem::create_directories(kTufState, ec);
  // The run's deadline counts from here: the repository is read next.
  return tuf::Client::Create(
      tuf::MakeFetcher(cfg.repository, {.run_deadline = tuf::RunDeadline(o.deadline_seconds)}),
      root, kTufState);
}

// Carries out an install: the release is downloaded and written by
// slot::ApplyRelease; then the reboot into it.
int InstallRelease(const Context& c, tuf::Client& client, const Action& a, const UpdateOptions& o,
                   const Events& ev) {
  // The certificates this image trusts (node::kTrustDir): the release is
  // checked against them before its payload is downloaded.
  auto trust = slot::LoadTrustSet(node::kTrustDir);
  if (!trust.ok()) return Fail(ev, trust.error());
  slot::InstallOptions options{.active_usrhash = c.node.usrhash, .boot_tries = c.config.boot_tries};
  options.trust = &*trust;
  auto r = slot::ApplyRelease(client, *c.disk.io.disk, *c.disk.io.esp, *a.release, options);
  if (!r.ok()) return Fail(ev, r.error());
  json pieces = json::object();
  for (const auto& [name, m] : r->pieces)
    pieces[name] = {{"method", m.method}, {"downloaded", m.downloaded}, {"fallback", m.fallback}};
  ev.Emit("installed", {{"version", r->version},
                        {"root_hash", r->root_hash},
                        {"slot", r->install.slot},
                        {"entry", r->install.uki_file},
                        {"downloaded", r->downloaded},
                        {"full_size", r->full_size},
                        {"pieces", pieces},
                        {"held_back", a.held_back},
                        {"peak_rss", r->peak_rss}});
  if (o.reboot) Reboot(ev, "installed " + r->version);
  return 0;
}

// Reads the repository: a TUF refresh, then its complete slot releases.
Result<std::vector<slot::SlotRelease>> ReadReleases(const UpdateConfig& cfg, const UpdateOptions& o,
                                                    std::optional<tuf::Client>& client) {
  HULL_ASSIGN_OR_RETURN(tuf::Client made, MakeClient(cfg, o));
  client.emplace(std::move(made));
  HULL_TRY(client->Refresh());
  return slot::SlotReleases(client->targets());
}

}  // namespace

int RunUpdate(const UpdateOptions& o) {
  std::optional<Error> config_error;
  UpdateConfig cfg = Config(&config_error);
  Events ev(cfg.event_console);
  if (config_error) return Fail(ev, *config_error);
  auto ctx = OpenContext(cfg, true);
  if (!ctx.ok()) return Fail(ev, ctx.error());
  Context& c = *ctx;
  auto bad = LoadBadVersions(kBadVersions);
  if (!bad.ok()) return Fail(ev, bad.error());
  DecideInput in{.node = c.node, .config = c.config, .now = o.now, .bad_versions = *bad};
  std::optional<tuf::Client> client;
  // Decide converges in three steps: rollbacks recorded, the repository
  // read, then an action that ends the run.
  for (int step = 0; step < 3; ++step) {
    in.disk = c.disk.state;
    const Action a = Decide(in);
    const json running = c.node.version;
    switch (a.kind) {
      case ActionKind::kRecordRollbacks:
        if (auto st = RecordRollbacks(c, ev, a.rollbacks); !st.ok()) return Fail(ev, st.error());
        for (const auto& f : a.rollbacks) in.bad_versions.insert(f.version);
        continue;
      case ActionKind::kCheckRepository:
        ev.Emit("checking", {{"running", running}, {"repository", c.config.repository}});
        in.releases = ReadReleases(c.config, o, client);
        continue;
      case ActionKind::kIdle:
        ev.Emit("idle", {{"running", running}, {"reason", a.reason}});
        return 0;
      case ActionKind::kReboot:
        if (o.reboot) {
          Reboot(ev, a.reason);
        } else {
          ev.Emit("idle", {{"running", running}, {"reason", a.reason + " (--no-reboot)"}});
        }
        return 0;
      case ActionKind::kError:
        return Fail(ev, *a.error);
      case ActionKind::kUpToDate:
        ev.Emit("up-to-date", {{"running", running},
                               {"newest", a.version},
                               {"held_back", a.held_back},
                               {"bad_versions", in.bad_versions}});
        return 0;
      case ActionKind::kAheadOfChannel:
        ev.Emit("ahead-of-channel", {{"running", running},
                                     {"newest", a.version},
                                     {"channel", c.config.channel},
                                     {"reason", a.reason}});
        return 0;
      case ActionKind::kInstall:
        return InstallRelease(c, *client, a, o, ev);
    }
  }
  return Fail(ev, Error(ErrorCode::kInternal, "the update decision did not settle"));
}

int RunBless(const UpdateOptions&) {
  std::optional<Error> config_error;
  UpdateConfig cfg = Config(&config_error);
  Events ev(cfg.event_console);
  auto ctx = OpenContext(cfg, false);
  if (!ctx.ok()) return Fail(ev, ctx.error());
  Context& c = *ctx;
  const slot::Uki* booted = BootedEntry(c.disk.state, c.node.usrhash);
  if (!booted)
    return Fail(ev, Error(ErrorCode::kNotFound, "no boot entry names the booted usrhash="));
  if (!booted->entry.left.has_value()) return 0;  // not counted: nothing to do
  node::EntryName blessed = booted->entry;
  blessed.left.reset();
  blessed.done.reset();
  if (auto st = c.disk.io.esp->Rename(booted->file, blessed.ToString()); !st.ok())
    return Fail(ev, st.error());
  ev.Emit("blessed",
          {{"version", c.node.version}, {"from", booted->file}, {"entry", blessed.ToString()}});
  return 0;
}

int RunCheck(const UpdateOptions& o) {
  Events quiet("");
  auto cfg = LoadConfig();
  if (!cfg.ok()) return Fail(quiet, cfg.error());
  if (cfg->repository.empty()) {
    std::printf("No update repository configured (%s).\n", kFactoryConfig);
    return 0;
  }
  auto node = ReadNode();
  if (!node.ok()) return Fail(quiet, node.error());
  auto client = MakeClient(*cfg, o);
  if (!client.ok()) return Fail(quiet, client.error());
  if (auto st = client->Refresh(); !st.ok()) return Fail(quiet, st.error());
  auto rel = tuf::NewestRelease(client->targets(), node->flavor, node->arch, cfg->channel);
  json j = {{"verified", true}, {"running", node->version}};
  if (rel) j["newest"] = rel->version;
  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("Metadata verified. Running %s; newest release in channel %s: %s\n",
                node->version.c_str(), cfg->channel.c_str(), rel ? rel->version.c_str() : "none");
  }
  return 0;
}

int RunStatus(const UpdateOptions& o) {
  Events quiet("");
  std::optional<Error> config_error;
  auto ctx = OpenContext(Config(&config_error), false);
  if (!ctx.ok()) return Fail(quiet, ctx.error());
  const Context& c = *ctx;
  auto bad = LoadBadVersions(kBadVersions);
  json j = {{"running", {{"version", c.node.version}, {"root_hash", c.node.usrhash}}},
            {"disk", c.node.disk},
            {"config", ToJson(c.config)},
            {"bad_versions", bad.ok() ? json(*bad) : json::array()},
            {"slots", slot::ToJson(c.disk.state)}};
  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("Running %s (root hash %s) from %s\n%s", c.node.version.c_str(),
                c.node.usrhash.c_str(), c.node.disk.c_str(), slot::ToText(c.disk.state).c_str());
    if (bad.ok() && !bad->empty())
      std::printf("Bad versions (never installed again): %s\n",
                  fmt::format("{}", fmt::join(*bad, ", ")).c_str());
  }
  return 0;
}

}  // namespace hull::agent

#include "agent/update.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "agent/config.h"
#include "agent/dm_status.h"
#include "agent/events.h"
#include "agent/facts.h"
#include "agent/node.h"
#include "agent/rollback.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/subprocess.h"
#include "slot/update.h"
#include "tuf/fetcher.h"
#include "tuf/releases.h"

namespace hull::agent {
namespace {

using json = nlohmann::json;

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

// Records versions whose entries used every try; removes those entries.
Status RecordRollbacks(Context& c, const Events& ev) {
  std::vector<std::string> failed = FailedVersions(c.disk.state, c.node.version);
  if (failed.empty()) return Ok();
  HULL_ASSIGN_OR_RETURN(std::set<std::string> bad, LoadBadVersions(kBadVersions));
  std::error_code ec;
  std::filesystem::create_directories(kStateDir, ec);
  for (const auto& v : failed) bad.insert(v);
  HULL_TRY(SaveBadVersions(kBadVersions, bad));
  for (const auto& u : c.disk.state.ukis) {
    if (u.entry.state() != slot::EntryState::kBad || u.version == c.node.version) continue;
    HULL_TRY(c.disk.io.esp->Remove(u.file).Context("removing the failed entry " + u.file));
    ev.Emit("rollback", {{"failed", u.version},
                         {"running", c.node.version},
                         {"removed", u.file},
                         {"reason", "the version used every boot try without passing the "
                                    "health gate; it will not be installed again"}});
  }
  return Ok();
}

Result<tuf::Client> MakeClient(const UpdateConfig& cfg) {
  HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(cfg.trusted_root, 1 << 20)
                                        .Context("trusted root " + cfg.trusted_root));
  std::error_code ec;
  std::filesystem::create_directories(kTufState, ec);
  return tuf::Client::Create(tuf::MakeFetcher(cfg.repository), root, kTufState);
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
  if (auto st = RecordRollbacks(c, ev); !st.ok()) return Fail(ev, st.error());
  if (c.config.repository.empty()) {
    ev.Emit("idle", {{"running", c.node.version}, {"reason", "no update repository configured"}});
    return 0;
  }
  if (!c.config.automatic && !o.now) {
    ev.Emit("idle", {{"running", c.node.version},
                     {"reason", "upgrade_channel is None: run 'hull-agent update --now'"}});
    return 0;
  }
  const slot::Uki* booted = BootedEntry(c.disk.state, c.node.usrhash);
  if (booted && booted->entry.left.has_value()) {
    ev.Emit("idle", {{"running", c.node.version},
                     {"reason", "this boot is on trial (" + booted->file +
                                    "): updates wait until the health gate blesses it"}});
    return 0;
  }
  auto client = MakeClient(c.config);
  if (!client.ok()) return Fail(ev, client.error());
  auto bad = LoadBadVersions(kBadVersions);
  if (!bad.ok()) return Fail(ev, bad.error());
  slot::ApplyFilters filters{.flavor = c.node.flavor,
                             .arch = c.node.arch,
                             .channel = c.config.channel,
                             .skip_versions = *bad,
                             .machine_id = c.node.machine_id};
  slot::InstallOptions options{.active_usrhash = c.node.usrhash,
                               .boot_tries = c.config.boot_tries};
  ev.Emit("checking", {{"running", c.node.version}, {"repository", c.config.repository}});
  auto r = slot::ApplyUpdate(*client, *c.disk.io.disk, *c.disk.io.esp, filters, options);
  if (!r.ok() && r.error().code() == ErrorCode::kNotFound) {
    ev.Emit("up-to-date", {{"running", c.node.version}, {"reason", r.error().ToString()},
                           {"bad_versions", *bad}});
    return 0;
  }
  if (!r.ok()) return Fail(ev, r.error());
  if (r->up_to_date) {
    ev.Emit("up-to-date", {{"running", c.node.version}, {"newest", r->version},
                           {"held_back", r->held_back}, {"bad_versions", *bad}});
    return 0;
  }
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
                        {"held_back", r->held_back},
                        {"peak_rss", r->peak_rss}});
  if (o.reboot) Reboot(ev, "installed " + r->version);
  return 0;
}

int RunBless(const UpdateOptions&) {
  std::optional<Error> config_error;
  UpdateConfig cfg = Config(&config_error);
  Events ev(cfg.event_console);
  auto ctx = OpenContext(cfg, false);
  if (!ctx.ok()) return Fail(ev, ctx.error());
  Context& c = *ctx;
  const slot::Uki* booted = BootedEntry(c.disk.state, c.node.usrhash);
  if (!booted) return Fail(ev, Error(ErrorCode::kNotFound, "no boot entry names the booted usrhash="));
  if (!booted->entry.left.has_value()) return 0;  // not counted: nothing to do
  slot::EntryName blessed = booted->entry;
  blessed.left.reset();
  blessed.done.reset();
  if (auto st = c.disk.io.esp->Rename(booted->file, blessed.ToString()); !st.ok())
    return Fail(ev, st.error());
  ev.Emit("blessed", {{"version", c.node.version}, {"from", booted->file},
                      {"entry", blessed.ToString()}});
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
  auto client = MakeClient(*cfg);
  if (!client.ok()) return Fail(quiet, client.error());
  if (auto st = client->Refresh(); !st.ok()) return Fail(quiet, st.error());
  auto rel = tuf::NewestRelease(client->targets(), node->flavor, node->arch, cfg->channel);
  json j = {{"verified", true}, {"running", node->version}};
  if (rel) j["newest"] = rel->version;
  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("Metadata verified. Running %s; newest release in channel %s: %s\n",
                node->version.c_str(), cfg->channel.c_str(),
                rel ? rel->version.c_str() : "none");
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

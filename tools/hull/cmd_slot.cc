// hull slot status|extract|install
#include <cstdio>

#include "cli.h"
#include "crypto/key.h"
#include "pkcs11/key_ref.h"
#include "release/publish.h"
#include "slot/installer.h"
#include "slot/payload.h"
#include "slot/state.h"
#include "slot/trust.h"
#include "slot/update.h"
#include "tuf/fetcher.h"

namespace hull::cli {
namespace {

struct SlotArgs {
  std::string disk, out, payload, esp_dir, verity_cert, active_usrhash;
  bool json = false, verify = false;
  // publish / update apply
  std::string repo, keys, trusted_root, state;
  release::ReleaseInfo info;
  slot::ApplyFilters filters;
  std::vector<std::string> skip;
  std::string machine_id = "-";  // "-": /etc/machine-id when readable
  uint32_t boot_tries = slot::kBootTries;
  uint64_t deadline = 0;  // update apply: seconds for the whole run; 0: none
  std::string trust;      // update apply: trust set directory (slot/trust.h)
};

std::string MachineId(const std::string& option) {
  if (option != "-") return option;
  auto id = ReadFileText("/etc/machine-id", 4096);
  if (!id.ok()) return "";
  std::string s = *id;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

nlohmann::json ApplyJson(const slot::ApplyResult& r) {
  nlohmann::json pieces = nlohmann::json::object();
  for (const auto& [k, m] : r.pieces) {
    pieces[k] = {
        {"method", m.method}, {"downloaded_bytes", m.downloaded}, {"full_bytes", m.full_size}};
    if (!m.fallback.empty()) pieces[k]["fallback"] = m.fallback;
  }
  nlohmann::json j{{"version", r.version},
                   {"root_hash", r.root_hash},
                   {"up_to_date", r.up_to_date},
                   {"ahead_of_channel", r.ahead_of_channel},
                   {"downloaded_bytes", r.downloaded},
                   {"full_bytes", r.full_size},
                   {"pieces", pieces},
                   {"held_back", r.held_back},
                   {"peak_rss_bytes", r.peak_rss}};
  if (!r.up_to_date && !r.ahead_of_channel)
    j["install"] = {{"slot", r.install.slot},
                    {"uki_file", r.install.uki_file},
                    {"replaced_version", r.install.replaced_version},
                    {"removed", r.install.removed}};
  return j;
}

Result<std::optional<crypto::Certificate>> LoadCert(const std::string& path) {
  if (path.empty()) return std::optional<crypto::Certificate>();
  HULL_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::Load(path));
  return std::optional<crypto::Certificate>(std::move(cert));
}

int RunStatus(const SlotArgs& a) {
  auto cert = LoadCert(a.verity_cert);
  if (!cert.ok()) return ReportError(std::move(cert).error().Wrap("--verity-cert"));
  auto o = slot::OpenDisk(a.disk, false, a.esp_dir);
  if (!o.ok()) return ReportError(std::move(o).error().Wrap("slot status"));
  auto st = slot::ReadDiskState(*o->disk, *o->esp);
  if (!st.ok()) return ReportError(std::move(st).error().Wrap("slot status"));
  slot::SlotChecks checks(st->slots.size());
  bool failed = false;
  if (a.verify) {
    for (const auto& s : st->slots) {
      if (s.empty()) continue;
      checks[size_t(s.index)] = slot::CheckDiskSlot(*o->disk, s, slot::RootHashOfUuids(s),
                                                    cert->has_value() ? &**cert : nullptr);
      failed |= !checks[size_t(s.index)]->ok();
    }
  }
  if (a.json) {
    PrintJson(slot::ToJson(*st, checks));
  } else {
    std::fputs(slot::ToText(*st, checks).c_str(), stdout);
  }
  return failed ? kExitFailed : kExitOk;
}

int RunExtract(const SlotArgs& a) {
  auto o = slot::OpenDisk(a.disk, false, a.esp_dir);
  if (!o.ok()) return ReportError(std::move(o).error().Wrap("slot extract"));
  auto x = slot::ExtractPayload(*o->disk, *o->esp, a.out);
  if (!x.ok()) return ReportError(std::move(x).error().Wrap("slot extract"));
  if (a.json) {
    nlohmann::json j = x->manifest;
    j["slot"] = x->slot;
    j["uki_file"] = x->uki_file;
    PrintJson(j);
  } else {
    std::printf("extracted slot %s (version %s, root hash %s, UKI %s) into %s\n", x->slot.c_str(),
                x->payload.version.c_str(), x->payload.root_hash.c_str(), x->uki_file.c_str(),
                a.out.c_str());
  }
  return kExitOk;
}

int RunInstall(const SlotArgs& a) {
  auto cert = LoadCert(a.verity_cert);
  if (!cert.ok()) return ReportError(std::move(cert).error().Wrap("--verity-cert"));
  auto p = slot::LoadPayload(a.payload);
  if (!p.ok()) return ReportError(std::move(p).error().Wrap("slot install"));
  auto o = slot::OpenDisk(a.disk, true, a.esp_dir);
  if (!o.ok()) return ReportError(std::move(o).error().Wrap("slot install"));
  slot::InstallOptions opts;
  opts.active_usrhash = a.active_usrhash;
  opts.verity_cert = cert->has_value() ? &**cert : nullptr;
  auto r = slot::Install(*o->disk, *o->esp, *p, opts);
  if (!r.ok()) return ReportError(std::move(r).error().Wrap("slot install"));
  if (a.json) {
    PrintJson({{"slot", r->slot},
               {"version", p->version},
               {"root_hash", p->root_hash},
               {"replaced_version", r->replaced_version},
               {"uki_file", r->uki_file},
               {"removed", r->removed},
               {"bytes_written", r->bytes_written}});
  } else {
    std::printf("installed %s into slot %s%s; next boot: /EFI/Linux/%s (%u tries)\n",
                p->version.c_str(), r->slot.c_str(),
                r->replaced_version.empty() ? "" : (" (was " + r->replaced_version + ")").c_str(),
                r->uki_file.c_str(), slot::kBootTries);
    for (const auto& f : r->removed) std::printf("removed /EFI/Linux/%s\n", f.c_str());
  }
  return kExitOk;
}

int RunPublish(const SlotArgs& a) {
  auto keys =
      tuf::RoleKeySet::Load(a.keys, false, crypto::KeyType::kEd25519, pkcs11::LoadPrivateKey);
  if (!keys.ok()) return ReportError(std::move(keys).error().Wrap("slot publish"));
  auto names = release::PublishPayload(a.repo, *keys, a.payload, a.info);
  if (!names.ok()) return ReportError(std::move(names).error().Wrap("slot publish"));
  if (a.json) {
    PrintJson({{"targets", *names}});
  } else {
    for (const auto& n : *names) std::printf("published %s\n", n.c_str());
  }
  return kExitOk;
}

int RunApply(const SlotArgs& a) {
  auto cert = LoadCert(a.verity_cert);
  if (!cert.ok()) return ReportError(std::move(cert).error().Wrap("--verity-cert"));
  const auto run_deadline = tuf::RunDeadline(a.deadline);
  auto run = [&]() -> Result<slot::ApplyResult> {
    HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(a.trusted_root, 1 << 20));
    HULL_ASSIGN_OR_RETURN(
        auto client, tuf::Client::Create(tuf::MakeFetcher(a.repo, {.run_deadline = run_deadline}),
                                         root, a.state));
    HULL_ASSIGN_OR_RETURN(auto o, slot::OpenDisk(a.disk, true, a.esp_dir));
    slot::TrustSet trust;
    if (!a.trust.empty()) {
      HULL_ASSIGN_OR_RETURN(trust, slot::LoadTrustSet(a.trust));
    }
    slot::InstallOptions opts;
    opts.active_usrhash = a.active_usrhash;
    opts.verity_cert = cert->has_value() ? &**cert : nullptr;
    opts.boot_tries = a.boot_tries;
    opts.trust = &trust;
    slot::ApplyFilters filters = a.filters;
    filters.skip_versions.insert(a.skip.begin(), a.skip.end());
    filters.machine_id = MachineId(a.machine_id);
    return slot::ApplyUpdate(client, *o.disk, *o.esp, filters, opts);
  };
  auto r = run();
  if (!r.ok()) return ReportError(std::move(r).error().Wrap("update apply"));
  if (a.json) {
    PrintJson(ApplyJson(*r));
    return kExitOk;
  }
  for (const auto& h : r->held_back) std::printf("Held back: %s\n", h.c_str());
  if (r->ahead_of_channel) {
    std::printf(
        "Metadata verified. The active version is newer than the channel's newest release %s: "
        "nothing to do (never a downgrade).\n",
        r->version.c_str());
    return kExitOk;
  }
  if (r->up_to_date) {
    std::printf(
        "Metadata verified. No eligible release is newer than the active slot (newest "
        "reached: %s): nothing to do.\n",
        r->version.c_str());
    return kExitOk;
  }
  std::printf("Metadata verified. Installed %s into slot %s; next boot: /EFI/Linux/%s\n",
              r->version.c_str(), r->install.slot.c_str(), r->install.uki_file.c_str());
  for (const char* k : {"usr", "verity", "signature", "uki"}) {
    auto it = r->pieces.find(k);
    if (it == r->pieces.end()) continue;
    const slot::PieceMethod& m = it->second;
    std::printf("  %-9s %-32s %12llu of %llu bytes%s%s\n", k, m.method.c_str(),
                (unsigned long long)m.downloaded, (unsigned long long)m.full_size,
                m.fallback.empty() ? "" : "  (",
                m.fallback.empty() ? "" : (m.fallback + ")").c_str());
  }
  std::printf("Downloaded %llu of %llu bytes (%.1f%%); peak RSS %.1f MiB.\n",
              (unsigned long long)r->downloaded, (unsigned long long)r->full_size,
              r->full_size ? 100.0 * double(r->downloaded) / double(r->full_size) : 0.0,
              double(r->peak_rss) / 1048576.0);
  return kExitOk;
}

void AddCommon(CLI::App* c, SlotArgs& a) {
  c->add_option("DISK", a.disk, "Raw disk image or block device")->required();
  c->add_option("--esp-dir", a.esp_dir,
                "A mounted ESP to use instead of reading the disk's ESP with mtools (on a node)");
  c->add_flag("--json", a.json, "Print the result as JSON");
}

}  // namespace

void RegisterSlot(CLI::App& app, Context& ctx) {
  auto* slot =
      app.add_subcommand("slot", "A/B usr slots: status, payload extraction, installation");
  slot->require_subcommand(1);
  slot->footer(
      "A disk has usr slots A and B (usr + usr-verity + usr-verity-sig partitions) and UKIs\n"
      "under /EFI/Linux named hull_<version>+<tries>.efi (systemd-boot boot counting).");

  auto s = std::make_shared<SlotArgs>();
  auto* status = slot->add_subcommand("status", "Slots, versions, root hashes, boot order");
  AddCommon(status, *s);
  status->add_flag("--verify", s->verify,
                   "Recompute each slot's verity tree and check its signature partition");
  status->add_option("--verity-cert", s->verity_cert,
                     "With --verify: check the root hash signatures");
  status->footer(
      "Example: hull slot status out/disk.raw --verify --json\n"
      "Exit status: 0 read (and verified), 1 a slot failed --verify, 2 unreadable disk.");
  status->callback([&ctx, s] { ctx.action = [s] { return RunStatus(*s); }; });

  auto x = std::make_shared<SlotArgs>();
  auto* extract = slot->add_subcommand(
      "extract",
      "Write the payload of the slot the default boot entry names (what a release publishes)");
  AddCommon(extract, *x);
  extract->add_option("--out", x->out, "Directory to create (must be empty or absent)")->required();
  extract->footer(
      "Writes payload.json, usr.erofs, usr.verity, usr.verity-sig and uki.efi after verifying\n"
      "the slot.\nExample: hull slot extract out/disk.raw --out payload-202611.24.0");
  extract->callback([&ctx, x] { ctx.action = [x] { return RunExtract(*x); }; });

  auto i = std::make_shared<SlotArgs>();
  auto* install = slot->add_subcommand(
      "install", "Install a payload into the inactive slot and make it the next boot (3 tries)");
  AddCommon(install, *i);
  install->add_option("PAYLOAD_DIR", i->payload, "A payload directory (hull slot extract)")
      ->required();
  install->add_option("--verity-cert", i->verity_cert,
                      "Certificate that must have signed the payload's root hash");
  install->add_option(
      "--active-usrhash", i->active_usrhash,
      "Root hash of the running /usr (default: the slot of the default boot entry)");
  install->footer(
      "The payload is verified before anything is written; the slot is verified again after\n"
      "writing; the UKI is installed last, so power loss at any point leaves the previous\n"
      "entry booting a verified /usr.\n"
      "Example: hull slot install disk.raw payload-202612.01.0 --verity-cert keys/verity.crt\n"
      "Exit status: 0 installed, 1 refused or verification failed, 2 usage or I/O error.");
  install->callback([&ctx, i] { ctx.action = [i] { return RunInstall(*i); }; });

  auto pb = std::make_shared<SlotArgs>();
  auto* publish = slot->add_subcommand(
      "publish",
      "Publish a payload directory as a release in a TUF repository (one target per piece)");
  publish->add_option("REPO", pb->repo, "Repository directory (hull release init)")->required();
  publish->add_option("PAYLOAD_DIR", pb->payload, "A payload directory (hull slot extract)")
      ->required();
  publish->add_option("--keys", pb->keys, "Key directory")->required();
  publish->add_option("--channel", pb->info.channel, "Channel (default stable)");
  publish->add_option("--flavor", pb->info.flavor, "Image flavor (default immutable)");
  publish->add_option("--arch", pb->info.arch,
                      "Architecture, amd64 or arm64 (default: the payload's UKI's)");
  publish->add_option("--rollout", pb->info.rollout_percent,
                      "Staged rollout percentage (default 100)");
  publish->add_flag("--json", pb->json, "Print as JSON");
  publish->footer(
      "Example: hull slot publish repo/ payload-202612.01.0 --keys keys/ --channel stable\n"
      "Publishes as `hull release add` does with its defaults (payload, deltas from the last 4\n"
      "releases, chunk index; docs/update.md).");
  publish->callback([&ctx, pb] { ctx.action = [pb] { return RunPublish(*pb); }; });

  // `hull update apply` joins `hull update check` (cmd_release.cc, registered first).
  CLI::App* upd = nullptr;
  try {
    upd = app.get_subcommand("update");
  } catch (const CLI::Error&) {
    upd = app.add_subcommand("update", "Check for and apply node image updates");
  }
  auto ap = std::make_shared<SlotArgs>();
  auto* apply = upd->add_subcommand(
      "apply",
      "Verify the repository (TUF), download the newest release and install it into the "
      "inactive slot");
  apply->add_option("--repo", ap->repo, "Repository URL (http://, https://, file://) or directory")
      ->required();
  apply->add_option("--trusted-root", ap->trusted_root, "Trusted root.json (first use)")
      ->required();
  apply->add_option("--disk", ap->disk, "Disk image or block device to update")->required();
  apply->add_option("--state", ap->state, "Directory keeping trusted metadata between runs");
  apply->add_option("--flavor", ap->filters.flavor, "Only releases of this flavor");
  apply->add_option("--arch", ap->filters.arch,
                    "Only releases for this architecture (default: the disk's; another is "
                    "refused)");
  apply->add_option("--channel", ap->filters.channel, "Only releases in this channel");
  apply->add_option("--esp-dir", ap->esp_dir, "A mounted ESP (on a node) instead of mtools");
  apply->add_option("--verity-cert", ap->verity_cert,
                    "Certificate that must have signed the release's root hash");
  apply->add_option("--trust", ap->trust,
                    "Trust set directory (db/*.crt, verity/*.crt; a node's /usr/lib/hull/trust): "
                    "the release's declared signers are checked against it before download");
  apply->add_option("--active-usrhash", ap->active_usrhash,
                    "Root hash of the running /usr (default: the default boot entry's)");
  apply->add_option("--skip-version", ap->skip,
                    "A version recorded as bad on this node: never installed (repeatable)");
  apply->add_option("--machine-id", ap->machine_id,
                    "Staged rollout identity (default: /etc/machine-id when readable; \"\" = "
                    "in no partial rollout)");
  apply->add_option("--boot-tries", ap->boot_tries, "Boot tries of the new entry (default 3)");
  apply->add_option("--deadline", ap->deadline,
                    "Seconds the whole run may take; every download ends by then (default: "
                    "none, each download has its own deadline)");
  apply->add_flag("--json", ap->json, "Print as JSON");
  apply->footer(
      "Example: hull update apply --repo http://127.0.0.1:8080/ --trusted-root root.json \\\n"
      "           --disk disk.raw --state state/ --json\n"
      "Per piece the cheapest verified path: a delta from the active release, chunks seeded\n"
      "from the active slot, or the full target; the verity tree is recomputed when its\n"
      "parameters are published. Each piece matches its TUF length and SHA-256 before\n"
      "anything is written. Only a release newer than the active version and every boot\n"
      "entry is installed; when the channel's newest is older the node is ahead of its channel\n"
      "and nothing is written (never a downgrade). A release with --rollout P reaches a node when\n"
      "SHA-256(\"hull-rollout\\0\" VERSION \"\\0\" MACHINE_ID)[0..8] (big-endian) mod 100 < P.\n"
      "Exit status: 0 installed or up to date, 1 refused (security) or verification failed,\n"
      "2 usage or I/O errors.");
  apply->callback([&ctx, ap] { ctx.action = [ap] { return RunApply(*ap); }; });
}

}  // namespace hull::cli

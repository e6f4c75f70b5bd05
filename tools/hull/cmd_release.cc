// hull release init|add|refresh|ls, and hull update check
#include <cstdio>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "cli.h"
#include "node/arch.h"
#include "pkcs11/key_ref.h"
#include "release/offline.h"
#include "release/publish.h"
#include "release_flags.h"
#include "slot/state.h"
#include "slot/update.h"
#include "tuf/client.h"
#include "tuf/releases.h"
#include "tuf/repository.h"

namespace hull::cli {
namespace {

struct ReleaseArgs {
  KeyFlags keys;
  ExpiryFlags expiry;
  std::string window = FormatDuration(tuf::RefreshOptions{}.window);
  bool root = false;
  std::string repo, file, name, channel = "stable", flavor = "immutable", arch, version,
                                key_type = "ed25519", root_public;
  uint64_t rollout = 100;
  OfflineFlags offline;
  bool json = false, whole_file = false, no_chunks = false;
  unsigned deltas = 4;
  int delta_level = release::PublishOptions{}.delta_level;
  int chunk_level = release::PublishOptions{}.chunk_level;
  unsigned threads = 0;
};

struct CheckArgs {
  std::string repo, trusted_root, state, flavor, arch, channel, disk;
  bool json = false;
  uint64_t deadline = 0;  // seconds for the whole run; 0: none
};

nlohmann::json ReleaseJson(const tuf::Release& r) {
  return {{"target", r.target},   {"flavor", r.flavor},      {"arch", r.arch},
          {"version", r.version}, {"channel", r.channel},    {"rollout_percent", r.rollout_percent},
          {"length", r.length},   {"withdrawn", r.withdrawn}};
}

int Done(Status st, const char* what) {
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap(what));
}

// The injecting run of `release init --sign-offline`: the first root signed
// in the directory, the other roles signed with the keys in --keys.
int InjectInit(const ReleaseArgs& a) {
  auto run = [&]() -> Status {
    if (!a.root_public.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "--root-public belongs to the stop: the root signed in "
                   "--inject-signatures DIR names its key");
    }
    HULL_ASSIGN_OR_RETURN(crypto::KeyType type,
                          crypto::ParseKeyType(a.key_type).Context("--key-type"));
    HULL_ASSIGN_OR_RETURN(tuf::Expiry expiry, ParseExpiry(a.expiry));
    HULL_ASSIGN_OR_RETURN(auto keys, tuf::RoleKeySet::Load(a.keys.dir, /*create=*/false, type,
                                                           pkcs11::LoadPrivateKey));
    return release::InjectInitRoot(a.repo, keys, "release init", a.offline.inject, expiry);
  };
  if (int rc = Done(run(), "release init"); rc != kExitOk) return rc;
  std::printf("Initialized TUF repository in %s, its root signed in %s.\n", a.repo.c_str(),
              a.offline.inject.c_str());
  std::printf("Give nodes %s/1.root.json as their trusted root.\n", a.repo.c_str());
  return kExitOk;
}

int RunInit(const ReleaseArgs& a) {
  if (!a.offline.inject.empty()) return InjectInit(a);
  const bool offline = !a.offline.sign_offline.empty();
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(crypto::KeyType type,
                          crypto::ParseKeyType(a.key_type).Context("--key-type"));
    HULL_ASSIGN_OR_RETURN(tuf::Expiry expiry, ParseExpiry(a.expiry));
    std::optional<crypto::PublicKey> root_key;
    if (!a.root_public.empty()) {
      if (!offline) {
        return Error(ErrorCode::kInvalidArgument,
                     "--root-public names a root key that is not here: add --sign-offline DIR "
                     "and sign the root where the key is");
      }
      HULL_ASSIGN_OR_RETURN(std::string pem, ReadFileText(a.root_public, 1 << 20));
      HULL_ASSIGN_OR_RETURN(root_key, crypto::PublicKey::FromPem(pem).Context(a.root_public));
    }
    if (offline && std::filesystem::exists(a.repo + "/root.json")) {
      return Errorf(ErrorCode::kAlreadyExists, "'{}' already holds a repository (root.json)",
                    a.repo);
    }
    std::set<tuf::Role> elsewhere;
    if (root_key) elsewhere.insert(tuf::Role::kRoot);
    HULL_ASSIGN_OR_RETURN(auto keys, tuf::RoleKeySet::Load(a.keys.dir, /*create=*/true, type,
                                                           pkcs11::LoadPrivateKey, elsewhere));
    if (!offline) return tuf::Repository::Init(a.repo, keys, expiry);
    HULL_ASSIGN_OR_RETURN(tuf::Root root, tuf::Repository::InitRoot(keys, root_key, expiry));
    return release::RecordInitRoot(root, "release init", a.offline.sign_offline);
  };
  if (int rc = Done(run(), "release init"); rc != kExitOk) return rc;
  if (offline) {
    std::printf(
        "Stopped before signing: root version 1 is in %s (manifest.json; no repository written;\n"
        "the other roles' keys are in %s). Sign it with the root key (docs/keys.md has openssl\n"
        "commands):\n"
        "  hull sign-offline %s --key ROOT_KEY\n"
        "then create the repository:  hull release init %s --keys %s --inject-signatures %s\n",
        a.offline.sign_offline.c_str(), a.keys.dir.c_str(), a.offline.sign_offline.c_str(),
        a.repo.c_str(), a.keys.dir.c_str(), a.offline.sign_offline.c_str());
    return kExitOk;
  }
  std::printf("Initialized TUF repository in %s (keys in %s).\n", a.repo.c_str(),
              a.keys.dir.c_str());
  std::printf("Give nodes %s/1.root.json as their trusted root.\n", a.repo.c_str());
  return kExitOk;
}

int RunAddFile(const ReleaseArgs& a) {
  auto run = [&]() -> Status {
    HULL_TRY(tuf::ParseReleaseVersion(a.version).Context("--version"));
    HULL_ASSIGN_OR_RETURN(tuf::Expiry expiry, ParseExpiry(a.expiry));
    // An opaque file says nothing of its architecture: amd64 unless told.
    const std::string arch = a.arch.empty() ? "amd64" : a.arch;
    std::string name =
        a.name.empty() ? fmt::format("hull-{}-{}-{}.raw", a.flavor, arch, a.version) : a.name;
    nlohmann::json custom{{"flavor", a.flavor},
                          {"arch", arch},
                          {"version", a.version},
                          {"channel", a.channel},
                          {"rollout_percent", a.rollout}};
    if (!a.offline.sign_offline.empty()) {
      HULL_ASSIGN_OR_RETURN(
          auto staged, tuf::Repository::StageTargets(a.repo, {{a.file, name, custom}}, {}, expiry));
      HULL_TRY(release::RecordTargets(a.repo, staged, "release add", a.offline.sign_offline));
      PrintReleaseOfflineHint("release add", a.repo, a.offline.sign_offline);
      return Ok();
    }
    HULL_ASSIGN_OR_RETURN(auto keys, LoadKeys(a.keys));
    HULL_TRY(tuf::Repository::AddTarget(a.repo, keys, a.file, name, custom, expiry));
    std::printf("Published %s as %s (%s, %s, channel %s).\n", a.file.c_str(), name.c_str(),
                a.version.c_str(), arch.c_str(), a.channel.c_str());
    return Ok();
  };
  return Done(run(), "release add");
}

void PrintPublished(const ReleaseArgs& a, const release::PublishResult& r) {
  if (a.json) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : r.steps)
      steps.push_back({{"step", s.name}, {"seconds", s.seconds}, {"bytes", s.bytes}});
    PrintJson({{"version", r.version},
               {"root_hash", r.root_hash},
               {"targets", r.targets},
               {"deltas_from", r.delta_from},
               {"full_bytes", r.full_bytes},
               {"chunks",
                {{"chunks", r.chunks.chunks},
                 {"unique", r.chunks.unique_chunks},
                 {"new", r.chunks.new_chunks},
                 {"new_bytes", r.chunks.new_bytes},
                 {"stored_bytes", r.chunks.stored_bytes}}},
               {"steps", steps}});
    return;
  }
  std::printf("Published %s (root hash %s) as %zu targets:\n", r.version.c_str(),
              r.root_hash.c_str(), r.targets.size());
  for (const auto& t : r.targets) std::printf("  %s\n", t.c_str());
  std::printf("Chunks: %llu (%llu new, %llu bytes written to chunks/).\n",
              (unsigned long long)r.chunks.chunks, (unsigned long long)r.chunks.new_chunks,
              (unsigned long long)r.chunks.new_bytes);
  for (const auto& s : r.steps)
    std::printf("  %-28s %8.2f s %12llu bytes\n", s.name.c_str(), s.seconds,
                (unsigned long long)s.bytes);
}

int RunAdd(const ReleaseArgs& a) {
  if (a.rollout > 100)
    return ReportError(
        Error(ErrorCode::kInvalidArgument, "release add: --rollout is a percentage"));
  if (!a.offline.inject.empty()) {
    return InjectRelease("release add", a.repo, a.keys, a.expiry, a.offline.inject);
  }
  if (a.file.empty())
    return ReportError(Error(ErrorCode::kInvalidArgument,
                             "release add: SOURCE is required (unless --inject-signatures)"));
  if (a.whole_file || !a.name.empty()) return RunAddFile(a);
  auto run = [&]() -> Result<release::PublishResult> {
    tuf::RoleKeySet keys;
    if (a.offline.sign_offline.empty()) {
      HULL_ASSIGN_OR_RETURN(keys, LoadKeys(a.keys));
    }
    release::PublishOptions o;
    o.sign_offline = a.offline.sign_offline;
    HULL_ASSIGN_OR_RETURN(o.expiry, ParseExpiry(a.expiry));
    o.info = {a.flavor, a.arch, a.channel, a.rollout};
    o.deltas = a.deltas;
    o.chunks = !a.no_chunks;
    o.delta_level = a.delta_level;
    o.chunk_level = a.chunk_level;
    o.threads = a.threads;
    o.expect_version = a.version;
    return release::PublishRelease(a.repo, keys, a.file, o);
  };
  auto r = run();
  if (!r.ok()) return ReportError(std::move(r).error().Wrap("release add"));
  if (!a.offline.sign_offline.empty()) {
    if (!a.json) PrintReleaseOfflineHint("release add", a.repo, a.offline.sign_offline);
    return kExitOk;
  }
  PrintPublished(a, *r);
  return kExitOk;
}

// `release refresh --root --sign-offline DIR`: the root re-signed unchanged
// (a new version, a new expiry) composed, what its keys must sign written.
Status RecordRefreshRoot(const ReleaseArgs& a) {
  if (!a.root) {
    return Error(ErrorCode::kInvalidArgument,
                 "--sign-offline stops before signing a new root: it needs --root");
  }
  HULL_ASSIGN_OR_RETURN(tuf::Expiry expiry, ParseExpiry(a.expiry));
  tuf::KeyChange resign;
  resign.kind = tuf::KeyChange::Kind::kResign;
  HULL_ASSIGN_OR_RETURN(auto staged, tuf::Repository::StageRoot(a.repo, resign, expiry));
  HULL_ASSIGN_OR_RETURN(tuf::Root trusted, tuf::Repository::ReadRoot(a.repo));
  HULL_TRY(release::RecordRoot(staged, trusted, "release refresh", a.offline.sign_offline));
  std::printf(
      "Stopped before signing: root version %llu, expiring %s, is in %s (manifest.json; the\n"
      "repository is unchanged). Sign it with the root keys (docs/keys.md has openssl commands):\n"
      "  hull sign-offline %s --key KEY ...\n"
      "then publish it:  hull release refresh %s --inject-signatures %s --keys ONLINE_KEYS\n",
      (unsigned long long)staged.root.version, tuf::FormatExpires(staged.root.expires).c_str(),
      a.offline.sign_offline.c_str(), a.offline.sign_offline.c_str(), a.repo.c_str(),
      a.offline.sign_offline.c_str());
  return Ok();
}

int RunRefresh(const ReleaseArgs& a) {
  auto run = [&]() -> Status {
    if (!a.offline.sign_offline.empty()) return RecordRefreshRoot(a);
    tuf::RefreshOptions o;
    HULL_ASSIGN_OR_RETURN(o.expiry, ParseExpiry(a.expiry));
    HULL_ASSIGN_OR_RETURN(o.window, ParseDuration(a.window, "--window"));
    o.root = a.root;
    HULL_ASSIGN_OR_RETURN(auto keys, LoadKeys(a.keys));
    if (!a.offline.inject.empty()) {
      // The root signed elsewhere first, then whatever else is due, as
      // without the directory.
      HULL_TRY(release::InjectRoot(a.repo, keys, "release refresh", a.offline.inject, o.expiry));
      std::printf("Re-signed root (signed in %s).\n", a.offline.inject.c_str());
      o.root = false;
    }
    HULL_ASSIGN_OR_RETURN(std::vector<tuf::Role> roles, tuf::Repository::Refresh(a.repo, keys, o));
    if (roles.empty() && a.offline.inject.empty()) {
      std::printf("Nothing to re-sign: no role expires within %s.\n", a.window.c_str());
    }
    for (tuf::Role role : roles) std::printf("Re-signed %s.\n", tuf::RoleName(role));
    return Ok();
  };
  return Done(run(), "release refresh");
}

int RunLs(const ReleaseArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(tuf::Targets t, tuf::Repository::ReadTargets(a.repo));
    auto releases = tuf::ListReleases(t);
    std::erase_if(releases, [&](const tuf::Release& r) {
      return (!a.flavor.empty() && r.flavor != a.flavor) || (!a.arch.empty() && r.arch != a.arch);
    });
    if (a.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& r : releases) j.push_back(ReleaseJson(r));
      PrintJson(j);
      return Ok();
    }
    std::printf("%-14s %-10s %-6s %-8s %7s  %s\n", "VERSION", "FLAVOR", "ARCH", "CHANNEL",
                "ROLLOUT", "TARGET");
    for (const auto& r : releases) {
      std::printf("%-14s %-10s %-6s %-8s %6lu%%  %s%s\n", r.version.c_str(), r.flavor.c_str(),
                  r.arch.c_str(), r.channel.c_str(), (unsigned long)r.rollout_percent,
                  r.target.c_str(), r.withdrawn ? "  (withdrawn)" : "");
    }
    return Ok();
  };
  return Done(run(), "release ls");
}

// The architecture whose releases the check looks at, before any download:
// the disk's, as `hull update apply` takes it (slot::ReleaseArchOfDisk); else
// --arch; neither is refused (a repository holds every arch's releases, and
// the newest of any arch is no node's answer).
Result<std::string> CheckArch(const CheckArgs& a) {
  if (!a.disk.empty()) {
    HULL_ASSIGN_OR_RETURN(auto o, slot::OpenDisk(a.disk, false));
    HULL_ASSIGN_OR_RETURN(slot::DiskState st, slot::ReadDiskState(*o.disk, *o.esp));
    return slot::ReleaseArchOfDisk(st, a.arch);
  }
  if (a.arch.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "which architecture's releases? give --disk DISK (the node's disk: its arch is "
                 "used) or --arch amd64|arm64");
  }
  if (!node::ArchOfDebian(a.arch)) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "--arch {} is not an architecture Hull builds (amd64, arm64)", a.arch);
  }
  return a.arch;
}

int RunCheck(const CheckArgs& a) {
  const auto run_deadline = tuf::RunDeadline(a.deadline);
  auto run = [&]() -> Result<std::optional<tuf::Release>> {
    HULL_ASSIGN_OR_RETURN(const std::string arch, CheckArch(a));
    HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(a.trusted_root, 1 << 20));
    HULL_ASSIGN_OR_RETURN(
        auto client, tuf::Client::Create(tuf::MakeFetcher(a.repo, {.run_deadline = run_deadline}),
                                         root, a.state));
    HULL_TRY(client.Refresh());
    return tuf::NewestRelease(client.targets(), a.flavor, arch, a.channel);
  };
  auto r = run();
  if (!r.ok()) return ReportError(std::move(r).error().Wrap("update check"));
  if (a.json) {
    PrintJson({{"verified", true}, {"release", *r ? ReleaseJson(**r) : nlohmann::json()}});
  } else if (*r) {
    std::printf("Metadata verified. Newest release: %s (%s, %s, channel %s): %s\n",
                (*r)->version.c_str(), (*r)->flavor.c_str(), (*r)->arch.c_str(),
                (*r)->channel.c_str(), (*r)->target.c_str());
  } else {
    std::printf("Metadata verified. No release matches.\n");
  }
  return kExitOk;
}

}  // namespace

void RegisterRelease(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ReleaseArgs>();
  auto* rel = app.add_subcommand("release", "Publish node image releases as a TUF repository");
  rel->require_subcommand(1);
  rel->footer("The repository is plain files: serve it from any static HTTP host or bucket.");

  auto* init = rel->add_subcommand("init", "Create a repository and its role keys");
  init->add_option("REPO", a->repo, "Repository directory")->required();
  init->add_option("--keys", a->keys.dir, "Key directory (created; keys 0600)")->required();
  init->add_option("--key-type", a->key_type,
                   "Type of the keys created: ed25519 (default), ecdsa-p256, ecdsa-p384, "
                   "rsa2048, rsa4096 (RSA signs rsassa-pss-sha256)");
  AddExpiryFlags(init, a->expiry, /*root=*/true);
  init->add_option("--root-public", a->root_public,
                   "With --sign-offline: the root key is this public key (PEM "
                   "SubjectPublicKeyInfo), held elsewhere (removable media, an HSM); no root key "
                   "is made in --keys");
  AddReleaseOfflineFlags(
      init, a->offline,
      "Compose the first root and stop: write what the root key must sign to this directory "
      "(absent or empty); the other roles' keys are made in --keys, the repository not yet",
      "Create the repository with the root signed in this directory (hull sign-offline), the "
      "other roles signed with the keys in --keys");
  init->footer(
      "Root key kept offline from the start (docs/keys.md):\n"
      "  hull release init repo/ --keys keys/ --root-public /media/root/root.pub.pem "
      "--sign-offline tosign/\n"
      "  hull sign-offline tosign/ --key /media/root/root.key      # on the offline machine\n"
      "  hull release init repo/ --keys keys/ --inject-signatures tosign/");
  init->callback([&ctx, a] { ctx.action = [a] { return RunInit(*a); }; });

  auto* add = rel->add_subcommand(
      "add", "Publish a release: its slot payload, binary deltas and chunk index (docs/update.md)");
  add->add_option("REPO", a->repo, "Repository directory")->required();
  add->add_option("SOURCE", a->file,
                  "A built disk image, a build output directory holding disk.raw, or a payload "
                  "directory (hull slot extract); not with --inject-signatures");
  AddKeyFlags(add, a->keys);
  AddExpiryFlags(add, a->expiry, /*root=*/false);
  add->add_option(
      "--version", a->version,
      "Release version YYYYMM.DD.N (payloads carry theirs; required with --whole-file)");
  add->add_option("--channel", a->channel, "Channel (default stable)");
  add->add_option("--flavor", a->flavor, "Image flavor (default immutable)");
  add->add_option("--arch", a->arch,
                  "Architecture, amd64 or arm64 (default: the payload's, from its UKI's machine; "
                  "given, it must be the payload's; with --whole-file default amd64)");
  add->add_option("--rollout", a->rollout,
                  "Staged rollout percentage (default 100; raise it later with hull release "
                  "rollout)");
  add->add_option("--deltas", a->deltas,
                  "Binary deltas from the last K releases of the same flavor and arch (default 4)");
  add->add_option("--delta-level", a->delta_level,
                  "zstd level of the deltas (default 15; 19 is smallest but takes minutes per GB)");
  add->add_option("--chunk-level", a->chunk_level, "zstd level of new chunks (default 9)");
  add->add_flag("--no-chunks", a->no_chunks,
                "Publish no chunk index: nodes without a delta download the image whole");
  add->add_option("--threads", a->threads, "zstd worker threads for the deltas (default 0: one)");
  add->add_flag("--whole-file", a->whole_file,
                "Publish SOURCE as one opaque target (no payload, deltas or chunks)");
  add->add_option(
      "--name", a->name,
      "With --whole-file (implied): target name (default hull-FLAVOR-ARCH-VERSION.raw)");
  add->add_flag("--json", a->json, "Print targets, chunk statistics and per-step timings as JSON");
  AddReleaseOfflineFlags(add, a->offline);
  add->footer(
      "Needs the targets, snapshot and timestamp keys (not root's).\n"
      "Example: hull release add repo/ out/disk.raw --keys keys/ --channel beta --rollout 10\n"
      "Targets: hull-F-A-V.{usr.erofs,usr.verity,usr.verity-sig,uki.efi,usr.cidx} and\n"
      "hull-F-A-V.{usr,uki}.from-W.zst per earlier release W; chunks under REPO/chunks/.\n"
      "Offline targets key: --sign-offline DIR stops before signing (no keys needed), hull\n"
      "sign-offline DIR --key targets=KEY signs, and hull release add REPO --inject-signatures\n"
      "DIR publishes with the snapshot and timestamp keys (docs/keys.md).");
  add->callback([&ctx, a] { ctx.action = [a] { return RunAdd(*a); }; });

  auto* refresh = rel->add_subcommand(
      "refresh", "Re-sign every role whose metadata expires within the window (run from cron)");
  refresh->add_option("REPO", a->repo, "Repository directory")->required();
  AddKeyFlags(refresh, a->keys);
  refresh->add_option(
      "--window", a->window,
      "Re-sign a role whose expiry is at most this far away (default " + a->window + ")");
  refresh->add_flag("--root", a->root,
                    "Also sign a new root version (needs the root keys; never done otherwise)");
  AddExpiryFlags(refresh, a->expiry, /*root=*/true);
  AddReleaseOfflineFlags(
      refresh, a->offline,
      "With --root: compose the new root version (same keys, new expiry) and stop: write what "
      "the root keys must sign to this directory; nothing is re-signed, no keys needed",
      "Publish the root signed in this directory (hull sign-offline), then re-sign what else is "
      "due with the keys at hand");
  refresh->footer(
      "With the default expiries the timestamp (1d) is re-signed on every run: only the\n"
      "timestamp key is needed then, e.g. hourly from cron:\n"
      "  hull release refresh repo/ --timestamp-keys /etc/hull/online/\n"
      "Snapshot and targets are re-signed when they come within the window; their keys are\n"
      "needed then. A role that is due but whose keys are not at hand is left as it is and\n"
      "named in an error (exit 2) after the rest is published.\n"
      "Writes new metadata first and the timestamp last, each file atomically.\n"
      "Root keys kept offline (docs/keys.md):\n"
      "  hull release refresh repo/ --root --sign-offline tosign/\n"
      "  hull sign-offline tosign/ --key /media/root/root.key\n"
      "  hull release refresh repo/ --inject-signatures tosign/ --keys keys/");
  refresh->callback([&ctx, a] { ctx.action = [a] { return RunRefresh(*a); }; });

  RegisterReleaseKeys(rel, ctx);
  RegisterReleaseSysext(rel, ctx);
  RegisterReleasePull(rel, ctx);
  RegisterReleaseRollout(rel, ctx);

  auto l = std::make_shared<ReleaseArgs>();
  l->flavor.clear();  // ls: every flavor unless --flavor
  auto* ls = rel->add_subcommand("ls", "List releases, oldest first");
  ls->add_option("REPO", l->repo, "Repository directory")->required();
  ls->add_option("--flavor", l->flavor, "Only releases of this flavor (default: every one)");
  ls->add_option("--arch", l->arch, "Only releases for this architecture (default: every one)");
  ls->add_flag("--json", l->json, "Print as JSON");
  ls->footer("Example: hull release ls repo/ --arch arm64");
  ls->callback([&ctx, l] { ctx.action = [l] { return RunLs(*l); }; });

  auto c = std::make_shared<CheckArgs>();
  auto* upd = app.add_subcommand("update", "Check for and apply node image updates");
  upd->require_subcommand(1);
  auto* check = upd->add_subcommand(
      "check", "Verify the repository's metadata (TUF) and print the newest eligible release");
  check->add_option("--repo", c->repo, "Repository URL (http://, https://, file://) or directory")
      ->required();
  check->add_option("--trusted-root", c->trusted_root, "Trusted root.json (first use)")->required();
  check->add_option("--state", c->state, "Directory keeping trusted metadata between runs");
  check->add_option("--flavor", c->flavor, "Only releases of this flavor");
  check->add_option("--disk", c->disk,
                    "The node's disk image or block device: only releases of its architecture "
                    "(its usr partitions' DPS type), as hull update apply chooses");
  check->add_option("--arch", c->arch,
                    "Only releases for this architecture, amd64 or arm64 (with --disk: must be "
                    "the disk's); one of --disk and --arch is required");
  check->add_option("--channel", c->channel, "Only releases in this channel");
  check->add_flag("--json", c->json, "Print as JSON");
  check->add_option("--deadline", c->deadline,
                    "Seconds the whole check may take; every download ends by then (default: "
                    "none, each download has its own deadline)");
  check->footer(
      "Example: hull update check --repo https://releases.example/ --trusted-root root.json \\\n"
      "           --disk disk.raw --json\n"
      "Exit status: 0 metadata verified; 1 refused for a security reason (expired, rollback,\n"
      "threshold, bad signature, hash or length mismatch); 2 usage or I/O error.");
  check->callback([&ctx, c] { ctx.action = [c] { return RunCheck(*c); }; });
}

}  // namespace hull::cli

#include "release_flags.h"

#include <charconv>

#include "cli.h"
#include "pkcs11/key_ref.h"
#include "release/offline.h"

namespace hull::cli {

void AddKeyFlags(CLI::App* cmd, KeyFlags& f) {
  cmd->add_option("--keys", f.dir,
                  "Key directory: ROLE.key and ROLE-*.key are ROLE's keys (roles root, targets, "
                  "snapshot, timestamp); a .key file may hold a pkcs11: URI instead of a PEM key");
  for (auto [role, field] : {std::pair{"root", &f.root},
                             {"targets", &f.targets},
                             {"snapshot", &f.snapshot},
                             {"timestamp", &f.timestamp}}) {
    cmd->add_option(
        fmt::format("--{}-keys", role), *field,
        fmt::format("The {} role's keys: a key file, a pkcs11: URI, or a directory whose "
                    "*.key files are all {} keys (instead of --keys for this role)",
                    role, role));
  }
}

Result<tuf::RoleKeySet> LoadKeys(const KeyFlags& f) {
  tuf::KeySources src{f.dir, {}, pkcs11::LoadPrivateKey};
  for (auto [role, path] : {std::pair{tuf::Role::kRoot, &f.root},
                            {tuf::Role::kTargets, &f.targets},
                            {tuf::Role::kSnapshot, &f.snapshot},
                            {tuf::Role::kTimestamp, &f.timestamp}}) {
    if (!path->empty()) src.paths[role] = *path;
  }
  return tuf::RoleKeySet::Load(src);
}

void AddReleaseOfflineFlags(CLI::App* cmd, OfflineFlags& f, const std::string& sign_help,
                            const std::string& inject_help) {
  auto* so = cmd->add_option("--sign-offline", f.sign_offline, sign_help);
  auto* in = cmd->add_option("--inject-signatures", f.inject, inject_help);
  so->excludes(in);
}

int InjectRelease(const std::string& command, const std::string& repo, const KeyFlags& keys,
                  const ExpiryFlags& expiry, const std::string& dir) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(tuf::Expiry e, ParseExpiry(expiry));
    HULL_ASSIGN_OR_RETURN(auto k, LoadKeys(keys));
    return release::InjectTargets(repo, k, command, dir, e);
  };
  Status st = run();
  if (!st.ok()) return ReportError(std::move(st).error().Wrap(command));
  std::printf("Published the targets signed in %s, with new snapshot and timestamp.\n",
              dir.c_str());
  return kExitOk;
}

void PrintReleaseOfflineHint(const std::string& command, const std::string& repo,
                             const std::string& dir) {
  std::printf(
      "Stopped before signing: the new targets metadata is in %s (manifest.json; the\n"
      "repository is unchanged). Sign it with the targets key (docs/keys.md has openssl "
      "commands):\n"
      "  hull sign-offline %s --key targets=KEY\n"
      "then publish it:  hull %s %s --inject-signatures %s --keys ONLINE_KEYS\n",
      dir.c_str(), dir.c_str(), command.c_str(), repo.c_str(), dir.c_str());
}

std::string FormatDuration(int64_t s) {
  if (s % 86400 == 0) return fmt::format("{}d", s / 86400);
  if (s % 3600 == 0) return fmt::format("{}h", s / 3600);
  if (s % 60 == 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

Result<int64_t> ParseDuration(const std::string& text, const char* flag) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(end, text.data() + text.size() - end);
  int64_t scale = unit.empty() || unit == "s" ? 1
                  : unit == "m"               ? 60
                  : unit == "h"               ? 3600
                  : unit == "d"               ? 86400
                                              : 0;
  if (ec != std::errc() || n < 0 || scale == 0 || n > INT64_C(100) * 365 * 86400 / scale) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "{} '{}' is not a duration (a number with s, m, h or d, e.g. 7d)", flag, text);
  }
  return n * scale;
}

void AddExpiryFlags(CLI::App* cmd, ExpiryFlags& f, bool root) {
  const tuf::Expiry d;
  for (auto [role, field, def] : {std::tuple{"root", &f.root, d.root},
                                  {"targets", &f.targets, d.targets},
                                  {"snapshot", &f.snapshot, d.snapshot},
                                  {"timestamp", &f.timestamp, d.timestamp}}) {
    if (!root && std::string(role) == "root") continue;
    cmd->add_option(fmt::format("--{}-expiry", role), *field,
                    fmt::format("How long newly signed {} metadata lives (default {})", role,
                                FormatDuration(def)));
  }
}

Result<tuf::Expiry> ParseExpiry(const ExpiryFlags& f) {
  tuf::Expiry e;
  for (auto [flag, text, out] : {std::tuple{"--root-expiry", &f.root, &e.root},
                                 {"--targets-expiry", &f.targets, &e.targets},
                                 {"--snapshot-expiry", &f.snapshot, &e.snapshot},
                                 {"--timestamp-expiry", &f.timestamp, &e.timestamp}}) {
    if (text->empty()) continue;
    HULL_ASSIGN_OR_RETURN(*out, ParseDuration(*text, flag));
    if (*out == 0) {
      return Errorf(ErrorCode::kInvalidArgument, "{} must be longer than 0s", flag);
    }
  }
  return e;
}

}  // namespace hull::cli

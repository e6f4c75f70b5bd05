// Flags shared by the `hull release` commands: where each role's keys are
// (tuf/signing_keys.h) and how long each role's metadata lives.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "tuf/repository.h"

namespace hull::cli {

struct KeyFlags {
  std::string dir, root, targets, snapshot, timestamp;
};
void AddKeyFlags(CLI::App* cmd, KeyFlags& f);
Result<tuf::RoleKeySet> LoadKeys(const KeyFlags& f);

// Durations: a number with s, m, h or d ("7d", "12h"; a bare number is seconds).
struct ExpiryFlags {
  std::string root, targets, snapshot, timestamp;
};
// Adds --ROLE-expiry for root (when `root`), targets, snapshot and timestamp,
// their defaults (tuf::Expiry) in the help.
void AddExpiryFlags(CLI::App* cmd, ExpiryFlags& f, bool root);
Result<tuf::Expiry> ParseExpiry(const ExpiryFlags& f);
Result<int64_t> ParseDuration(const std::string& text, const char* flag);
std::string FormatDuration(int64_t seconds);

// --sign-offline / --inject-signatures of the commands that publish a new
// targets version (release/offline.h). InjectRelease runs the injecting
// path: publishes what DIR holds with the snapshot and timestamp keys at hand.
struct OfflineFlags {
  std::string sign_offline, inject;
};
// --sign-offline DIR and --inject-signatures DIR, excluding each other; the
// help texts default to the targets role's (add, pull, rollout).
void AddReleaseOfflineFlags(CLI::App* cmd, OfflineFlags& f,
                            const std::string& sign_help =
                                "Compose the new targets metadata and stop: write what the "
                                "targets key must sign to this directory (absent or empty); no "
                                "keys needed",
                            const std::string& inject_help =
                                "Publish the targets signed in this directory (hull "
                                "sign-offline), signing snapshot and timestamp with the keys "
                                "at hand");
int InjectRelease(const std::string& command, const std::string& repo, const KeyFlags& keys,
                  const ExpiryFlags& expiry, const std::string& dir);
// Prints what to do with the directory a stopped run wrote.
void PrintReleaseOfflineHint(const std::string& command, const std::string& repo,
                             const std::string& dir);

}  // namespace hull::cli

// System extensions across OS updates (docs/sysext.md "Lifecycle across OS
// updates"), the pure half: which published extension versions an OS
// release needs before the agent installs it, what the agent records beside
// each file it fetches, and which files go once the booted OS is blessed.
// update.cc fetches and removes; activate.cc reads the record to pick, per
// name, the file compatible with the booted OS. Every compatibility question
// is slot::CheckExtensionCompatibility's, the rule the mounted
// extension-release file is held to.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/extensions.h"
#include "agent/state.h"
#include "base/result.h"
#include "node/os_release.h"
#include "tuf/metadata.h"

namespace hull::agent {

// A target of payload "sysext" (release/sysext.h): its custom metadata.
struct PublishedExtension {
  std::string target;  // the TUF target name
  std::string name, version, arch;
  // ID and SYSEXT_LEVEL or VERSION_ID, as os-release keys.
  node::OsRelease compatibility;
  std::string root_hash;
  // The image's SHA-256 (hex) as the signed targets metadata gives it ("" when
  // it gives none): the digest a refusal is remembered by.
  std::string sha256;
  // Services the node restarts, under its FleetLock slot, when it updates
  // to this version without a reboot ("restarts"; none when absent).
  std::vector<std::string> restarts;
  // NAME_VERSION_ARCH.raw: the file name it gets in slot::kExtensionsDir.
  std::string FileName() const;
};

// Every sysext target of `targets`. kCorrupt naming the target for one whose
// custom metadata is malformed (a field missing or not a name, not exactly
// one of sysext_level and version_id, a NAME that ParseExtensionFileName
// would not read back, a "restarts" that is not a list of 1 to
// node::kMaxRestartUnits distinct node::ValidRestartUnit names).
Result<std::vector<PublishedExtension>> PublishedExtensions(
    const std::map<std::string, tuf::TargetFile>& targets);
// The sysext targets of the names in `wanted` only, as strictly: a malformed
// target of an extension the node does not want (its "sysext" names another
// extension, or is not a string) is skipped, so it never blocks this node's
// updates; one of a wanted extension is kCorrupt as above.
Result<std::vector<PublishedExtension>> PublishedExtensionsFor(
    const std::map<std::string, tuf::TargetFile>& targets, const std::vector<std::string>& wanted);

// The os-release keys an OS release will have, as far as the agent knows
// before installing it: ID of the booted OS, VERSION_ID = the release's
// version (Hull's VERSION_ID is IMAGE_VERSION) and SYSEXT_LEVEL = `level`,
// the release's own (ReleaseSysextLevel), or the booted OS's when the
// release's metadata does not carry one (published before it did).
node::OsRelease ReleaseOsKeys(const node::OsRelease& booted, std::string_view version,
                              const std::optional<std::string>& level = std::nullopt);

// The SYSEXT_LEVEL a release's usr target (`custom`, its custom metadata)
// records ("sysext_level", written by `hull release add` from the release's
// own os-release): nullopt when absent; kCorrupt naming `target` when it is
// not a string node::ValidSysextLevel accepts.
Result<std::optional<std::string>> ReleaseSysextLevel(const nlohmann::json& custom,
                                                      const std::string& target);

// For each wanted name, the newest published version (node::CompareVersions)
// of the node's architecture compatible with `os`. kNotFound, one line naming
// the first extension that has none and the release, when one is missing:
// the release is not installed.
Result<std::vector<PublishedExtension>> PlanExtensions(
    const std::vector<std::string>& wanted, const std::vector<PublishedExtension>& published,
    const node::OsRelease& os, std::string_view arch, std::string_view release);

// An extension's own update on the booted OS (docs/sysext.md "An
// extension's own update"): `to` replaces the active file `from` ("" when
// none of its name is active) without a reboot.
struct ExtensionUpdate {
  PublishedExtension to;
  std::string from;
  // A pending swap's new file the repository no longer publishes (its
  // publisher withdrew it): the swap is cancelled, and once `to` is merged
  // this file goes (image, then record), so no later activation merges it.
  std::string withdrawn;
};

// For each wanted name, the newest published version of the node's
// architecture compatible with the booted OS `os`, when it is newer
// (node::CompareVersions) than the one `current` (the activation's results,
// /run/hull/extensions.json) says is active, or when none is active. A name
// with no compatible version is left as it is (the OS update's check is
// PlanExtensions's); so is one whose newest is the active one or older. A
// "pending" entry (a swap whose refresh failed) is planned again whatever
// its version, `from` being the file it replaces, so that the next run
// completes it; unless the newest is that replaced file. When the pending
// file itself is published no more (withdrawn), the swap is cancelled: the
// newest (the replaced file itself, mounted back) is planned from the
// replaced file, with `withdrawn` naming the pending file.
std::vector<ExtensionUpdate> PlanExtensionUpdates(const std::vector<std::string>& wanted,
                                                  const std::vector<PublishedExtension>& published,
                                                  const node::OsRelease& os, std::string_view arch,
                                                  const std::vector<ExtensionResult>& current);

// `plan` without the updates whose bytes `state` remembers refused
// (ExtensionRefused: the same name, version and SHA-256): they are not
// fetched, hashed or given the FleetLock slot again. A new version, or new
// bytes under the same one, is tried.
std::vector<ExtensionUpdate> WithoutRefused(std::vector<ExtensionUpdate> plan,
                                            const AgentState& state);

// The record the agent writes beside a file it fetched,
// NAME_VERSION_ARCH.json in slot::kExtensionsDir: the compatibility the
// signed metadata gave it. Activation reads it to choose; the mounted
// extension-release file stays the authority.
std::string CompatibilityRecord(const PublishedExtension& e);
// kCorrupt for anything CompatibilityRecord does not write.
Result<node::OsRelease> ParseCompatibilityRecord(std::string_view text);
// NAME_VERSION_ARCH.raw -> NAME_VERSION_ARCH.json.
std::string RecordName(std::string_view file);

// Known to be for another OS: its record says so (the reason), per
// slot::CheckExtensionCompatibility. nullopt when it has no record or is
// compatible.
std::optional<std::string> KnownIncompatible(const ExtensionFile& f, const node::OsRelease& os);

// The files the blessing step removes: those whose record says they are for
// another OS than the blessed one (a rollback is no longer possible, so the
// previous release's extensions are dead weight), each with its record. A
// file without a record (an operator's) is never removed.
std::vector<std::string> FilesToPrune(const std::vector<ExtensionFile>& files,
                                      const node::OsRelease& booted);

}  // namespace hull::agent

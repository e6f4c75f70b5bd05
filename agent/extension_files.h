// System extensions across OS updates (docs/sysext.md "Lifecycle across OS
// updates"), the side that touches files: fetching the extensions an OS
// release needs into slot::kExtensionsDir before it is installed, and
// removing the ones fetched for another OS once the booted one is blessed.
// The decisions are extension_plan.h's.
#pragma once

#include <string>
#include <vector>

#include "agent/events.h"
#include "agent/extension_plan.h"
#include "agent/extensions.h"
#include "agent/node.h"
#include "base/result.h"
#include "slot/choose.h"
#include "tuf/client.h"

namespace hull::agent {

// For each of `wanted`, the newest published version compatible with OS
// release `version` (PlanExtensions), fetched through the TUF client into
// slot::kExtensionsDir (unless it is there already) and verified as the node
// will verify it at boot (signature against the booted image's trust set,
// every block against the root hash, the root hash the metadata names);
// its compatibility record is written before the image is renamed into
// place. Returns the file names. kNotFound (PlanExtensions's line) when one
// has no compatible version: nothing else is fetched and the release must
// not be installed; the fetch's and the checks' errors otherwise.
// `release` (when given): the release's pieces, whose usr target's
// "sysext_level" (ReleaseSysextLevel) is the release's SYSEXT_LEVEL; without
// it, or without the key, the booted OS's.
Result<std::vector<std::string>> FetchExtensionsFor(const std::vector<std::string>& wanted,
                                                    const Node& node, const std::string& version,
                                                    tuf::Client& client, const Events& ev,
                                                    const slot::SlotRelease* release = nullptr);

// One extension fetched into slot::kExtensionsDir for OS `version`, as
// FetchExtensionsFor fetches each (the one code path): skipped when the
// image and its record are there; an "extension-fetched" event otherwise.
// `*refused` (when given) is set when a check refused the downloaded bytes
// (they are removed), as opposed to the download or the disk failing.
Status FetchExtension(const PublishedExtension& e, const Node& node, const std::string& version,
                      tuf::Client& client, const Events& ev, bool* refused = nullptr);

// The extensions' own updates on the booted OS the repository offers now
// (PlanExtensionUpdates; `current`: this boot's activation results).
Result<std::vector<ExtensionUpdate>> ExtensionUpdatesFor(
    const std::vector<std::string>& wanted, const Node& node, tuf::Client& client,
    const std::vector<ExtensionResult>& current);

// Removes an image the agent fetched, then its record (image first: a
// record left by a power loss names no image, and the bless removes it). A
// file without a record (placed by other means) is left.
Status RemoveExtensionFile(const std::string& file);

// After the bless: the files whose record says they are for another OS
// (FilesToPrune), then records that name no image. An "extensions-pruned"
// event lists what went.
Status PruneExtensions(const Events& ev, const std::string& running);

}  // namespace hull::agent

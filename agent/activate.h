// `hull-agent extensions`: verifies the system extensions kept in
// /var/lib/hull/extensions and hands the good ones to systemd-sysext
// (docs/sysext.md, "Activation"). Run once per boot by
// hull-extensions.service, after local-fs.target and before sysinit.target.
#pragma once

#include <string>

#include "agent/events.h"
#include "agent/extensions.h"
#include "base/result.h"

namespace hull::agent {

struct ExtensionsOptions {
  bool json = false;  // print the results as JSON
  bool merge = true;  // run systemd-sysext refresh (and the reload) afterwards
};

// Exit status: 0 all activated (or none kept), 1 one or more refused (the
// others are still merged), 2 errors (no trust set, systemd-sysext failed).
int RunExtensions(const ExtensionsOptions& o);

// An extension's own update without a reboot (docs/sysext.md): `file` (in
// /var/lib/hull/extensions) replaces the mounted version of `name`. The old
// mount is detached from /run/extensions/NAME (the merged /usr keeps reading
// it), `file` gets every check and the mapping activation gives it, then
// `systemd-sysext refresh` swaps the overlay (daemon-reload when an
// extension ships units) and the old dm-verity device is removed. A refused
// `file` is named (extension-refused), `*refused` set (a check refused its
// bytes, as opposed to the node failing to map or mount it), and the old one
// mounted again: no refresh ran, so /usr never lost it.
//
// /run/hull/extensions.json follows what is merged: `file` is recorded
// "pending" (with the file it replaces) once mounted and before the
// refresh, and "active" only after the refresh succeeded. A failed refresh
// leaves it "pending", the reason saying why, and returns the error; the
// next call for the same file (the next run) finds it mounted and only runs
// the refresh again. A power loss takes /run with it: the next boot's
// activation picks from the files on disk.
Result<ExtensionResult> SwapExtension(const std::string& name, const std::string& file,
                                      const Events& ev, bool* refused = nullptr);

}  // namespace hull::agent

// `hull-agent extensions`: verifies the system extensions kept in
// /var/lib/hull/extensions and hands the good ones to systemd-sysext
// (docs/sysext.md, "Activation"). Run once per boot by
// hull-extensions.service, after local-fs.target and before sysinit.target.
#pragma once

namespace hull::agent {

struct ExtensionsOptions {
  bool json = false;  // print the results as JSON
  bool merge = true;  // run systemd-sysext refresh (and the reload) afterwards
};

// Exit status: 0 all activated (or none kept), 1 one or more refused (the
// others are still merged), 2 errors (no trust set, systemd-sysext failed).
int RunExtensions(const ExtensionsOptions& o);

}  // namespace hull::agent

// SELinux labels for the /usr erofs image. mkfs.erofs --file-contexts looks
// labels up by path inside the image ("/bin/sh" for what the node sees at
// /usr/bin/sh, "/etc/passwd" for the factory /usr/etc/passwd), and
// erofs-utils 1.5 has no mount-point option, so the policy's file_contexts
// (written for the node's paths) is rewritten for the image's paths:
//   - "/usr..." specs lose the /usr prefix ("/usr(/.*)?" becomes "/.*" and "/");
//   - "/etc..." specs keep their path: /usr/etc is the factory /etc, and come
//     last so they win over generic "/usr/..." patterns (libselinux uses the
//     last matching regex spec);
//   - every other spec (/var, /home, /bin aliases...) is dropped: it does not
//     describe a file of the /usr image.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::rootfs {

// Rewrites file_contexts text as described above.
std::string UsrImageFileContexts(std::string_view policy_file_contexts);

// The policy's file_contexts of a shaped tree: usr/etc/selinux/<type>/contexts/
// files/file_contexts with <type> from usr/etc/selinux/config (SELINUXTYPE).
Result<std::string> ReadPolicyFileContexts(const std::string& root);

}  // namespace hull::rootfs

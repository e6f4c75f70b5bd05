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

#include <sys/types.h>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace hull::rootfs {

// Rewrites file_contexts text as described above.
std::string UsrImageFileContexts(std::string_view policy_file_contexts);

// The policy's file_contexts of a shaped tree: usr/etc/selinux/<type>/contexts/
// files/file_contexts with <type> from usr/etc/selinux/config (SELINUXTYPE);
// with a `suffix`, that file's companion (".subs_dist": path equivalences).
Result<std::string> ReadPolicyFileContexts(const std::string& root, const std::string& suffix = "");

// One path of the writable root filesystem to label: `path` as the node sees
// it, labelled as `lookup` would be (e.g. the /etc overlay's upper directory
// gets /etc's label, so files created in /etc at run time start right).
struct LabelRequest {
  std::string path;
  mode_t mode = 0;     // S_IFDIR, S_IFLNK...
  std::string lookup;  // empty: `path`
};

// The SELinux context of each request, looked up with libselinux
// (selabel_lookup) in the policy's file_contexts file `file_contexts`, without
// a loaded policy. Paths the policy does not label are left out.
Result<std::vector<std::pair<std::string, std::string>>> LookupLabels(
    const std::string& file_contexts, const std::vector<LabelRequest>& requests);

}  // namespace hull::rootfs

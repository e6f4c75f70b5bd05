// Login users: one rule for their names and SSH keys, and the sysusers.d(5)
// and tmpfiles.d(5) texts that create them on a node's first boot (/etc/passwd
// and /home are on the writable root). The image spec's `users` (written into
// /usr/lib by the build) and an install seed's `users` (written into the
// installed node's /etc by `hull-agent install`, docs/iso.md) use both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hull::node {

struct LoginUser {
  std::string name;
  std::vector<std::string> ssh_authorized_keys;
};

// a-z 0-9 _ -, starting with a letter or _, at most 32 characters, not root.
bool IsValidUserName(std::string_view name);
inline constexpr const char* kUserNameRule =
    "a-z 0-9 _ -, starting with a letter or _, at most 32 characters, not root";
// One authorized_keys line: ssh-*, ecdsa-sha2-* or sk-* followed by the key,
// no newline, at most 16 KiB.
bool IsValidSshKey(std::string_view key);
inline constexpr const char* kSshKeyRule =
    "one authorized_keys line: ssh-ed25519, ssh-rsa, ecdsa-sha2-* or sk-* followed by the "
    "base64 key";

// The sysusers.d and tmpfiles.d texts for `users` (sysusers.d(5),
// tmpfiles.d(5)); `origin` names who wrote them in the first line's comment.
std::string SysusersText(const std::vector<LoginUser>& users,
                         std::string_view origin = "the image spec's users");
std::string TmpfilesText(const std::vector<LoginUser>& users,
                         std::string_view origin = "the image spec's users");

}  // namespace hull::node

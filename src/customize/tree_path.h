// Paths inside the extracted /usr tree. The tree comes from the base image,
// so a symbolic link in it could lead a read or a write out of the tree
// (into the build host's files): every read and write customize makes in the
// tree goes through here, and none passes through a link.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::customize {

// `rel` ("etc/hostname", no leading '/') under `top`, after checking that no
// existing parent is a symbolic link and creating the missing ones (0755).
// A final link is allowed for a file (a write replaces it, rename(2) does not
// follow it). kRefused naming `where`: a parent that is a link or a file, a
// file target that is a directory, a directory target (`dir`) that is not one.
Result<std::string> PrepareTarget(const std::string& top, const std::string& rel,
                                  const std::string& where, bool dir);

// Writes `data` at `rel` under `top` (parents made, PrepareTarget's checks),
// replacing a link there rather than following it.
Status WriteInTree(const std::string& top, const std::string& rel, ByteSpan data, mode_t mode,
                   const std::string& where);

// The content of the regular file `rel` under `top`, at most `max_size`
// bytes. kRefused when a component is a symbolic link or the file is not a
// regular file; kNotFound when it is absent; ReadFileBytes's errors.
Result<Bytes> ReadTreeFile(const std::string& top, const std::string& rel, uint64_t max_size);
Result<std::string> ReadTreeText(const std::string& top, const std::string& rel, uint64_t max_size);

// Sets the mode of the regular file or directory `rel` under `top` without
// following a link (opened O_PATH | O_NOFOLLOW, changed through
// /proc/self/fd). kRefused for a link on the way, a link or anything but a
// file or directory at the end.
Status ChmodInTree(const std::string& top, const std::string& rel, mode_t mode);
// Writes `value` as `rel`'s security.capability (a regular file, reached
// without a link, as ChmodInTree). Without CAP_SETFCAP: kRefused, naming the
// file, so a capability is never dropped silently.
Status SetCapabilityInTree(const std::string& top, const std::string& rel, ByteSpan value);

}  // namespace hull::customize

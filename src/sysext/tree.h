// The file-system side of the /usr rule (usr_rule.h): the facts read from two
// composed trees (dpkg's status and file lists), their differences, files
// brought by the spec's `files` sources, and the staging of the extension's
// /usr. Composed trees are only read: the staging copies (never links) so the
// compose cache's inodes stay untouched and mkfs.erofs sees one link per file.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "sysext/usr_rule.h"

namespace hull::sysext {

// Caps on what a tree offers (a compose is trusted output, but bounded).
inline constexpr uint64_t kMaxListBytes = 16 << 20;
inline constexpr size_t kMaxTreeEntries = 2'000'000;

// The added packages (in `ext` but not in `base`, by dpkg status) and both
// trees' owners from var/lib/dpkg/info/<pkg>[:<arch>].list.
Result<Facts> GatherFacts(const std::string& base, const std::string& ext, const std::string& arch);

// Every path of `ext` absent from `base` or different there (type, mode,
// size, link target, or content when the mtime differs), sorted; proc, sys
// and dev are skipped, directories reported only when added.
Result<std::vector<Change>> DiffTrees(const std::string& base, const std::string& ext);

// Unpacks a `files` source: a directory is used as it is; a tarball is
// extracted (tar, no owners kept) into a new directory under `work`.
Result<std::string> UnpackSource(const std::string& source, const std::string& work);

// The entries of an unpacked source: every path under usr/ (directories
// included); a path elsewhere is kRefused naming the source and the path, a
// file the base holds kConflict naming the source and the base package.
Result<std::vector<Entry>> SourceEntries(const std::string& source, const std::string& dir,
                                         const Facts& facts);

// Copies the entries into `stage` (`from` relative to `root`): regular files
// with their mode, symlinks as they are, directories 0755 unless the entry
// gives its own mode. A later entry for the same path replaces an earlier one
// only when it is a directory; two files for one path are kConflict.
Status Stage(const std::string& root, const std::vector<Entry>& entries, const std::string& stage);

}  // namespace hull::sysext

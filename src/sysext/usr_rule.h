// The /usr rule of a system extension: systemd-sysext merges only /usr (and
// /opt, which Hull does not use), so an extension holds /usr content and
// nothing else. Pure functions over paths and the facts the builder gathers
// from two composed trees (the base, and the base with the extension's
// packages): no I/O, table-tested in tests/sysext.
//
// Paths are relative to the tree root, without a leading '/', as the tree
// walk gives them ("usr/bin/kubectl", "etc/cni").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::sysext {

// Where a path dpkg lists ("/bin/x", "/usr/lib/y", with or without the
// leading '/') lies in /usr: itself under usr/, or, for the merged-/usr
// links bin, sbin, lib, lib32, lib64 and libx32, its place under usr/.
// nullopt when the path is outside /usr ("/etc/x", "/var/lib/y") or is "/usr"
// or a link directory itself.
std::optional<std::string> UsrPathOf(std::string_view path);
// Whether `name` is one of the merged-/usr links (bin, sbin, lib, lib32,
// lib64, libx32).
bool IsUsrLink(std::string_view name);

// Package-manager bookkeeping and caches a compose leaves outside /usr that
// say nothing about the node (var/lib/dpkg, var/lib/apt, var/cache, var/log,
// deb-systemd-helper's state, etc/ld.so.cache: the dynamic linker searches
// /usr/lib/<triplet> without it).
bool IsBookkeeping(std::string_view path);

// Whether `path` is etc/shadow (or its backup etc/shadow-) and `a` and `b`
// differ at most in the date of last password change (shadow(5)'s third
// field, a day number): composes set it from SOURCE_DATE_EPOCH, the
// build's time unless told, and the base tree may come from the cache of
// an earlier day. Any other difference (an added or removed line, another
// field) is a difference.
bool SameShadowButDates(std::string_view path, std::string_view a, std::string_view b);

// A path outside /usr whose meaning the extension can carry inside /usr:
// a unit's enablement link etc/systemd/system/<unit>.{wants,requires}/<name>
// becomes usr/lib/systemd/system/<unit>.{wants,requires}/<name>. nullopt
// otherwise.
std::optional<std::string> ExpressInUsr(std::string_view path, bool symlink);

// One difference between the base tree and the tree with the extension's
// packages (directories count only when added).
struct Change {
  std::string path;   // physical, relative (merged /usr resolved: "usr/bin/x")
  bool added = true;  // false: present in the base and different
  bool directory = false;
  bool symlink = false;
};

// Which package owns which path, from dpkg's file lists (UsrPathOf applied
// to every /usr path; other paths kept as relative paths).
using Owners = std::map<std::string, std::string, std::less<>>;

struct Facts {
  std::vector<std::string> added_packages;  // sorted
  Owners base_owner;                        // the base tree's non-directory paths
  Owners added_owner;                       // every path the added packages list
};

// A path of the extension: `from` in the composed tree, `to` in the image.
struct Entry {
  std::string from;
  std::string to;
  bool directory = false;
};

// A file an added package lists that the base already holds: kConflict
// naming the path and both packages. Checked for every path in
// facts.added_owner, changed in the tree or not.
Status CheckOverlap(const Facts& facts);

// The extension's entries from the changes, sorted by `to`, or the first
// refusal: a change outside /usr that is neither bookkeeping nor expressible
// in /usr is kRefused naming the path and the package listing it (or, when
// none lists it, the maintainer scripts of the added packages); a base file
// changed is kConflict naming the path, its base package and what changed it.
Result<std::vector<Entry>> SelectEntries(const std::vector<Change>& changes, const Facts& facts);

}  // namespace hull::sysext

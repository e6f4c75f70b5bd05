// The hooks every compose gives mmdebstrap (mmdebstrap(1) HOOKS): shell
// commands run with the chroot directory as "$1", at setup (before apt runs),
// extract (essential packages unpacked by tar, not yet installed), essential
// (essential packages installed) and customize (everything installed).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hull::rootfs {

// dpkg path filters (dpkg.cfg(5) path-exclude/path-include) every compose
// applies: documentation, manual and info pages, message catalogues and
// lintian overrides are never unpacked. The copyright files stay (the SBOM
// reads their licenses), and so do the /usr/share/doc/<pkg> links to another
// package's.
inline constexpr const char* kDpkgPathFilters[] = {
    "path-exclude=/usr/share/doc/*/*",  "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*", "path-include=/usr/share/locale/locale.alias",
    "path-exclude=/usr/share/lintian/*"};

// The filters reach dpkg through a dpkg.cfg.d file written by a setup hook,
// not through --dpkgopt: given --dpkgopt path filters, mmdebstrap pipes every
// essential package it extracts through mmtarfilter, a Python process per
// package (7 of the 9 s that extraction takes for the default spec). Instead
// the essential packages are extracted whole and the extract hook removes
// what the filters exclude, by dpkg's rules, before anything is configured:
// the tree is the one the filtered extraction gives.
std::string PathFilterSetupHook();
// The extract hook: `find` over the tree deleting every entry whose last
// matching filter excludes it; an excluded directory or symlink stays when
// its path starts with an include pattern's literal prefix (dpkg keeps those
// so an included file can sit below), and a directory goes only when empty.
std::string PathFilterPruneHook();

// mmdebstrap's hooks making the tree merged-/usr before anything is unpacked
// (and installing usr-is-merged).
inline constexpr char kMergedUsrHooks[] = "/usr/share/mmdebstrap/hooks/merged-usr";
// mmdebstrap's hook running dpkg under eatmydata (no fsync while composing:
// the tree is a throwaway until it is packed). Used when present.
inline constexpr char kEatmydataHooks[] = "/usr/share/mmdebstrap/hooks/eatmydata";
// apt_preferences(5) pin every compose sets while apt runs: usrmerge is never
// installed (the tree is merged-/usr already; usr-is-merged satisfies
// init-system-helpers instead, and perl stays out).
inline constexpr char kNoUsrmergePin[] = "Package: usrmerge\\nPin: release *\\nPin-Priority: -1\\n";

// A program replaced by a stand-in script while packages install: the
// essential hook dpkg-diverts `path` to `path`.hull (so the package that
// ships it unpacks it there) and writes the stand-in; the customize hook
// removes the stand-in and the diversion, leaving the program as packaged.
struct ProgramDiversion {
  std::string path;      // e.g. /usr/sbin/update-initramfs
  std::string stand_in;  // the script's text
};
std::string DivertHook(const ProgramDiversion& d);
std::string RestoreHook(const ProgramDiversion& d);

// The diversions of every compose:
//  - update-initramfs does nothing: Debian's kernel postinst would build an
//    initramfs Hull never uses (it makes its own initrd; /boot is not part of
//    the image).
//  - semodule runs with bzip-blocksize=0 added to semanage.conf for the call
//    (restored after): libsemanage then stores the ~330 modules of
//    selinux-policy-default uncompressed in /var/lib/selinux, which the image
//    does not keep (Shape empties /var). The policy it compiles into
//    /etc/selinux is the same; compressing the store was half of the 15 s
//    that package's postinst took.
std::vector<ProgramDiversion> ComposeDiversions();

// Hull's SELinux policy module: the CIL text of src/rootfs/policy/hull.cil
// (docs/selinux.md), embedded at build time.
std::string_view HullPolicyModule();

// The customize hook installing that module into the tree's policy store
// with the tree's own semodule (`semodule -n -i hull.cil`: compiled with the
// installed policy, never loaded into the build host's kernel), when the
// tree has selinux-policy-default. It runs before the semodule diversion is
// restored (the store stays uncompressed) and adds the module's rules and
// file contexts to the compiled policy and to the file_contexts the image
// is labelled from. The module's text is part of the hook, so of the tree's
// cache key.
std::string PolicyModuleHook();

}  // namespace hull::rootfs

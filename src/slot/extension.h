// A system extension image as the node verifies it before anything of it is
// mounted or merged (docs/sysext.md, "Trust chain"). The image is a GPT disk
// written by `hull sysext build`: a root partition (erofs holding usr/), its
// root-verity partition (veritysetup superblock + tree) and its
// root-verity-sig partition (the DPS signature JSON), all of one
// architecture. DPS root types, not usr: the file system carries usr/
// itself, so that mounted at /run/extensions/NAME it is the directory
// extension systemd-sysext merges (systemd 252 binds a directory extension
// without its submounts).
//
// The checks, in this order, each with its own error:
//   1. the GPT reads (kCorrupt, the GPT reader's message);
//   2. exactly one root, one root-verity and one root-verity-sig partition, all
//      of one DPS architecture (kCorrupt "extension NAME: ...");
//   3. that architecture is the node's (kRefused "... is for arm64, this node
//      is x86-64");
//   4. the signature partition decodes (kCorrupt) and its PKCS#7 signature
//      over the root hash verifies against a certificate of the trust set's
//      verity list (kRefused when the set has none or the signer is not in
//      it; kVerifyFailed for a signature that does not verify);
//   5. the root hash names the root and root-verity partitions (DPS: their
//      UUIDs are its two halves; kVerifyFailed);
//   6. the verity superblock decodes (kCorrupt/kUnsupported), is SHA-256,
//      and the data blocks and the tree fit their partitions (kCorrupt).
// VerifyExtensionContent then hashes every data block against the tree and
// the tree against the signed root hash, so a flipped byte is refused before
// the extension is merged (named in an event and in `hull-agent status`),
// not found as an I/O error later; dm-verity still checks every block the
// kernel reads (the file could change after the check).
//
// Once mapped and mounted, what the verity-backed file system holds is held
// to the layout (CheckExtensionTop: usr/ and nothing else at its top) and
// what it says about itself (its extension-release file) to the booted OS
// (CheckExtensionRelease).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/file.h"
#include "base/result.h"
#include "gpt/gpt.h"
#include "gpt/types.h"
#include "node/os_release.h"
#include "slot/trust.h"
#include "verity/params.h"

namespace hull::slot {

// Where the node keeps extensions: not a directory systemd-sysext(8) reads
// by itself, so nothing unverified is ever merged.
inline constexpr const char* kExtensionsDir = "/var/lib/hull/extensions";
// Where verified extensions are mounted for systemd-sysext to merge.
inline constexpr const char* kSysextRunDir = "/run/extensions";
inline constexpr size_t kMaxExtensions = 64;
inline constexpr uint64_t kMaxExtensionReleaseBytes = 64 << 10;

struct ExtensionImage {
  std::string name;
  gpt::Arch arch = gpt::Arch::kAny;
  Bytes root_hash;
  uint64_t data_offset = 0, data_bytes = 0;      // the root partition, in the image file
  uint64_t verity_offset = 0, verity_bytes = 0;  // in the image file
  verity::VerityParams params;                   // hash_offset relative to the verity partition
  std::string signer;                            // the certificate's subject
};

// Check 2 alone: the DPS architecture of an extension image's partitions
// (one root, one root-verity and one root-verity-sig partition, all of one
// architecture; kCorrupt as above). `hull release add-sysext` holds the
// manifest's arch to it before publishing, as the node holds its own.
Result<gpt::Arch> ExtensionArch(std::string_view name, const gpt::Table& table);

// The checks 1-6 above over `image` (untrusted bytes). `name` names the
// extension in errors.
Result<ExtensionImage> VerifyExtensionImage(std::string_view name, const gpt::Source& image,
                                            const TrustSet& trust, gpt::Arch native);

// Check 6 alone: `superblock` (the first bytes of the root-verity
// partition, untrusted) against the sizes of the root and root-verity
// partitions. VerifyExtensionImage calls it once the signature holds;
// exposed so that it is tested and fuzzed on its own. kCorrupt ("... data
// blocks of ... do not fit the root partition", "the hash tree does not fit
// the root-verity partition", or the superblock decoder's), kUnsupported.
Result<verity::VerityParams> CheckExtensionTree(std::string_view name, ByteSpan superblock,
                                                uint64_t data_bytes, uint64_t verity_bytes);

// The whole tree of `image` (the file VerifyExtensionImage read) against
// `ext`'s signed root hash. kVerifyFailed naming the first bad block.
Status VerifyExtensionContent(const File& image, const ExtensionImage& ext);

// The top directory of the mounted file system: `entries` (without . and
// ..) must be exactly the directory usr. systemd-sysext merges /usr only; an
// image holding anything else is not one `hull sysext build` made. kRefused
// naming the entry.
struct TopEntry {
  std::string name;
  bool directory = false;  // a directory, not a link to one
};
Status CheckExtensionTop(std::string_view name, const std::vector<TopEntry>& entries);

// extension-release.NAME against the booted os-release, stricter than
// systemd-sysext: ID equal; SYSEXT_LEVEL equal to the OS's when the
// extension names one, else VERSION_ID equal (one of the two is required);
// ARCHITECTURE present and equal to `arch` (systemd's name, gpt::ArchName). kRefused naming the
// key, both values and the fix ("built for VERSION_ID=A, this node runs B: rebuild or publish it
// for B").
Status CheckExtensionRelease(std::string_view name, std::string_view extension_release,
                             std::string_view os_release, gpt::Arch arch);

// The rule CheckExtensionRelease applies, on parsed key sets, so the agent
// holds a published extension's compatibility (its TUF custom metadata) to
// the OS release it is about to install with the same rule: ID equal;
// SYSEXT_LEVEL equal when `ext` names one, else VERSION_ID equal (one of
// them required); ARCHITECTURE equal when either names one. kRefused as above.
Status CheckExtensionCompatibility(std::string_view name, const node::OsRelease& ext,
                                   const node::OsRelease& os);

}  // namespace hull::slot

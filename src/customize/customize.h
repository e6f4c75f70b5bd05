// `hull customize IMAGE --config CONFIG --keys KEYS --out DIR`: a sealed Hull
// disk image in, the same image with the configuration's changes out,
// re-sealed rather than patched (docs/customize.md):
//   base    IMAGE read as a raw disk whatever its format (disk/convert.h);
//           the default boot entry's UKI verified against the base's db
//           certificate, the slot it names against the base's verity
//           certificate, both extracted (slot::ExtractPayload), the disk's
//           SHA-256 taken
//   unpack  /usr read without mounts: fsck.erofs --extract, the setuid,
//           setgid and sticky bits it drops put back from the image's own
//           inodes (rootfs/erofs_modes.h)
//   apply   the configuration's changes (apply.h) and the trust set its
//           trust.mode asks for (trust.h)
//   pack    a new erofs (same UUID and compression as the base, timestamps
//           the base's build time) labelled by the image's own SELinux policy
//   seal    a new verity tree (the base's salt and superblock UUID) and
//           root-hash signature with the verity key
//   uki     the base UKI's kernel, initrd and .uname with the new os-release
//           and command line (usrhash=, os.selinux.mode, extraCommandLine),
//           on the host's systemd-stub, signed with db; PCR 11 predicted
//   esp     signed systemd-boot and the UKI under the base's entry name
//   disk    the base's root file system as it was, the A/B layout and DPS
//           partition UUIDs of the new root hash, in output.image.format
//   record  manifest.json (the base's version, digest and root hash, every
//           change) and the SBOM (the base's, when found next to IMAGE,
//           with the base and every change recorded)
// Same image, configuration and keys give the same bytes. Nothing appears in
// --out until every step has succeeded (one rename of the finished folder).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "signing/offline.h"

namespace hull::customize {

// `--from-release REPO VERSION`: the base is a published release instead of
// a disk, and the result a payload directory (slot/payload.h) for `hull
// release add` instead of a disk.
struct FromRelease {
  std::string repo;          // a repository directory or http(s):// URL (tuf::MakeFetcher)
  std::string version;       // YYYYMM.DD.N
  std::string trusted_root;  // the root.json its metadata is verified from (TUF, first use)
  std::string flavor, arch;  // empty: the only release of that version
};

// `--rebuild` (customize/rebuild.h): IMAGE rebuilt by the build pipeline
// (build::Build) from the spec it records plus the configuration's
// os.packages, at the base's version and build time, signed with key_dir;
// the rest of the configuration is then applied to the rebuilt image as
// customize applies it to any image.
struct RebuildOptions {
  std::string cache_dir;     // the build's cache ("": none)
  std::string init_binary;   // "": build::DefaultInitPath of the spec's arch
  std::string agent_binary;  // "": build::DefaultAgentPath of the spec's arch
};

struct CustomizeOptions {
  std::string image;  // a Hull disk: raw, VHD, qcow2 or VHDX ("" with from_release)
  std::optional<FromRelease> from_release;
  std::string config;              // the YAML configuration
  std::string key_dir;             // db.key/crt, verity.key/crt (a .key may hold a PKCS#11 URI)
  std::string base_key_dir;        // db.crt, verity.crt: who must have signed IMAGE
  std::string out_dir;             // absent or empty
  std::string base_sbom;           // empty: <IMAGE without extension>.spdx.json when it exists
  int64_t source_date_epoch = -1;  // <0: the base's build time (/usr/lib/hull/build-time)
  std::string systemd_boot = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";
  std::string systemd_stub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
  signing::OfflineOptions offline;  // --sign-offline / --inject-signatures (docs/keys.md)
  std::optional<RebuildOptions> rebuild;
  // Set by a rebuild for the customization that follows it: IMAGE is the
  // rebuilt image, whose os.packages are done.
  bool rebuilt = false;
  std::function<void(const std::string& step, double seconds)> on_step;
};

struct CustomizeResult {
  std::string out_dir;           // empty when recording for offline signing
  std::string sign_offline_dir;  // set when recording: what must be signed is there
  nlohmann::json manifest;
  std::vector<std::pair<std::string, double>> step_seconds;
};

// Errors: the configuration's (config.h, apply.h), each one line naming the
// field; kAlreadyExists for a non-empty --out; kNotFound for a missing key,
// tool or image; the base's verification errors (slot::ExtractPayload: its
// UKI not signed by base_key_dir/db.crt, its root hash not by
// base_key_dir/verity.crt, kBadSignature / kVerifyFailed / kNotFound) before
// anything else of the base is used;
// each step's errors with the step's name as context.
// With from_release: the base is fetched through TUF (tuf::Client from the
// trusted root; its errors: kBadSignature, kExpired, kRollback, ...), found
// (slot::FindSlotRelease: kNotFound for an unknown version, kRefused for a
// withdrawn one) and downloaded whole (slot::FetchPayload: kVerifyFailed for
// a piece that is not the signed target, then the same --base-keys checks);
// the steps are base, unpack, apply, pack, uki, payload, record, and --out
// holds payload.json, usr.erofs, usr.verity, usr.verity-sig and uki.efi (the
// UKI's hull.roottemplate= is the base's: a release carries no root
// partition), manifest.json and the SBOM. output.image.format other than raw
// is refused (a payload is not a disk).
// With rebuild: the steps are base, unpack, spec, the build's stages and,
// when the configuration has more than os.packages and output.image.format,
// the customization of the rebuilt image; manifest.json is the build's (or
// the customization's) with `rebuild` naming the base and the package
// changes. kNotFound for an image that records no spec (built before hull
// build recorded it: it needs hull build), RewriteSpecPackages' and
// SourcesFromBase's errors (rebuild.h); kRefused with from_release or
// offline signing.
Result<CustomizeResult> Customize(const CustomizeOptions& options);

// The new command line from the base's: usrhash= replaced, hull.roottemplate=
// replaced (added after usrhash= when the base has none: an image built before
// the option), the SELinux words replaced when `selinux` is "enforcing",
// "permissive" or "disabled" (as `hull build` writes them), `extra` appended;
// repeated words dropped (first kept). Pure, for tests.
std::string CustomizedCmdline(std::string_view base, const std::string& root_hash_hex,
                              const std::string& root_template_hex, const std::string& selinux,
                              const std::vector<std::string>& extra);

// A one-screen summary.
std::string Summary(const CustomizeResult& r);

}  // namespace hull::customize

// hull sysext build: a sysext spec and a base image spec to a signed,
// verity-protected system extension image (docs/sysext.md).
//
// Steps, all in a work directory beside the output (nothing appears in OUT
// unless every step succeeded; each output is renamed into place whole):
//   1. the `files` sources are unpacked and held to the /usr rule first
//      (cheap: a refusal costs no compose);
//   2. the base spec's package set is composed (mmdebstrap, through the
//      compose cache), and again with the extension's packages; the two
//      trees' difference is held to the /usr rule (usr_rule.h);
//   3. the extension's /usr is staged with
//      usr/lib/extension-release.d/extension-release.NAME and packed as an
//      erofs whose top holds usr/ (the node mounts it at
//      /run/extensions/NAME, a directory extension for systemd-sysext),
//      labelled with the base's SELinux policy, its verity tree built and the
//      root hash signed with KEYS/verity.key (as the OS image's usr is);
//   4. OUT/NAME_VERSION_ARCH.raw: a GPT disk with root, root-verity and
//      root-verity-sig partitions (DPS types for ARCH, partition UUIDs from
//      the root hash), plus NAME_VERSION_ARCH.spdx.json (SPDX 2.3, the added
//      packages) and NAME_VERSION_ARCH.json (what publishing and the node
//      read: name, version, arch, compatibility, root hash, size, SHA-256).
// Same spec, base and SOURCE_DATE_EPOCH: the same bytes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "disk/image.h"
#include "spec/spec.h"
#include "sysext/spec.h"

namespace hull::sysext {

struct BuildOptions {
  SysextSpec spec;
  spec::ImageSpec base;   // the image whose package set and policy the extension extends
  std::string key_dir;    // db.{key,crt}, verity.{key,crt} (hull keys init)
  std::string out_dir;    // created when absent
  std::string cache_dir;  // the compose cache; empty: compose into the work dir
  int64_t source_date_epoch = 0;
};

struct BuildResult {
  std::string image, sbom, manifest_path;
  nlohmann::json manifest;
  std::vector<std::string> packages;  // added to the base
  size_t entries = 0;                 // paths in the extension's /usr
  uint64_t image_bytes = 0;
  bool compose_cache_hit = false;  // both composes came from the cache
  double seconds = 0;
};

// Errors: kInvalidArgument for a spec that does not fit the base (arch,
// SYSEXT_LEVEL), kRefused/kConflict from the /usr rule, kNotFound for a
// missing key or source, kProcessFailed/kUnavailable from mmdebstrap,
// mkfs.erofs or tar.
Result<BuildResult> Build(const BuildOptions& options);

// Steps 3 and 4 for an already staged tree (`stage`/usr/...): writes its
// extension-release file, packs, seals and signs it, and writes the GPT
// image to `work`/image.raw. `file_contexts` "" leaves the files unlabelled.
// The node's verifier tests make their images with it (tests/slot).
struct SealedImage {
  std::string image;
  Bytes root_hash;
  disk::CreateResult disk;
};
Result<SealedImage> SealStagedTree(const BuildOptions& options, const std::string& stage,
                                   const std::string& file_contexts, const std::string& work);

// The manifest written beside the image (pure; `sha256` and `root_hash` hex).
nlohmann::json Manifest(const SysextSpec& spec, const std::string& root_hash,
                        const std::string& sha256, uint64_t size,
                        const std::vector<std::string>& packages);

}  // namespace hull::sysext

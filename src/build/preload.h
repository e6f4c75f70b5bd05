// The spec's `containers.preload` (docs/containers.md, "Preloaded on the
// node"): each image made into an OCI archive that names it for containerd,
// stored in /usr/share/hull/images (node/preload.h) with their list, and
// hull-preload.service, which imports them into containerd's k8s.io
// namespace once per set of images (a stamp under /var/lib/hull/preloaded).
// Presets are built here (src/container) from the image's own suite and
// mirror; layouts and archives are read and every blob checked.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "oci/layout.h"
#include "spec/spec.h"

namespace hull::build {

struct PreloadOptions {
  std::string spec_dir;   // resolves relative layout / archive paths
  std::string cache_dir;  // package sets of the presets ("" = none)
  std::string work;       // the archives go to work/node/images
  int64_t source_date_epoch = 0;
};

// Appends the archives, images.json and the unit to `spec.files` and the
// unit to `spec.services.enable`; nothing when `spec.preload` is empty.
// Errors name the entry: kNotFound for an unknown preset, a missing path or
// ref, kCorrupt for a layout whose blobs do not match their names.
Status AddPreloadedImages(const PreloadOptions& options, spec::ImageSpec& spec);

// An OCI archive of `image` listing it alone, named `name`
// (io.containerd.image.name) and tagged with name's tag
// (org.opencontainers.image.ref.name), as `ctr images import` reads it:
// only the blobs `image` reaches (oci::ImageBlobs, kCorrupt naming a
// missing or wrong-size one), not the layout's other images or referrers.
// `from` is taken (its blobs move into the archive, not copied).
Result<Bytes> ContainerdArchive(oci::Layout from, const oci::Descriptor& image,
                                const std::string& name);

// The unit importing `files` (archive names under node::kPreloadDir); the
// stamp is named by `set_digest` (the list's digest), so a new set is
// imported again after an update.
std::string PreloadUnit(const std::vector<std::string>& files, const std::string& set_digest);

}  // namespace hull::build

// The SPDX 2.3 SBOM of a container image (rootfs/sbom.h's document), made
// from the status.d stanzas the image carries, the licenses of its copyright
// files and the SHA-256 of each .deb unpacked. It is attached to the image
// manifest as an OCI 1.1 referrer (artifactType application/spdx+json).
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "container/spec.h"

namespace hull::container {

inline constexpr char kSbomArtifactType[] = "application/spdx+json";

// The SBOM of the unpacked `tree` (before the image's files are added),
// .debs from `deb_dir`.
Result<Bytes> ImageSbom(const std::string& tree, const std::string& deb_dir,
                        const ContainerSpec& spec, const std::string& arch, int64_t created);

}  // namespace hull::container

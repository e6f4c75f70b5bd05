// `hull container build`: a container spec -> an OCI image layout
// (docs/containers.md). Per architecture: the packages downloaded
// (rootfs/extract.h), unpacked without dpkg (unpack.h), the image's own files
// added (passwd, group, nsswitch.conf, /tmp, the homes, the CA bundle, the
// spec's files), dpkg's path filters applied, the entrypoint checked, then
// one reproducible layer, config and manifest (src/oci). Several
// architectures give an image index. The layout is written whole at the end:
// on any error `out` is left as it was.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "container/spec.h"

namespace hull::container {

struct BuildOptions {
  std::string out;        // must not exist or be empty
  std::string spec_dir;   // resolves the spec's relative `source` files
  std::string cache_dir;  // downloaded package sets ("" = none)
  int64_t source_date_epoch = 0;
};

struct ArchImage {
  std::string arch;  // Debian name
  std::string manifest_digest;
  uint64_t compressed_bytes = 0;    // the layer blob
  uint64_t uncompressed_bytes = 0;  // the layer tar
  bool cache_hit = false;
  std::vector<std::string> packages;
};

struct BuildResult {
  std::string name;
  std::string digest;  // what index.json names: the manifest, or the index
  std::string media_type;
  std::vector<ArchImage> images;
  double seconds = 0;
};

Result<BuildResult> BuildContainer(const ContainerSpec& spec, const BuildOptions& options);

// The files every image gets (before the spec's own): /etc/passwd, group
// and nsswitch.conf with root and nonroot (65532), /tmp (1777), /root and
// /home/nonroot (0700, each its user's).
std::vector<FileSpec> ImageFiles();

}  // namespace hull::container

// A one-file OCI image archive (OCI Image Layout 1.0 in a ustar tar: the
// oci-layout file, index.json and blobs/sha256/<digest>), made from a static
// binary so `ctr images import` + `ctr run` can prove a node runs containers
// without any registry. Deterministic: fixed mtimes, owners and order.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace hull::vm {

inline constexpr const char* kProbeImageRef = "docker.io/hull/probe:latest";

struct OciProbe {
  std::string binary;                   // copied as /<entry name>, mode 0755
  std::string entry_name;               // e.g. "hull-agent"
  std::vector<std::string> entrypoint;  // e.g. {"/hull-agent", "probe"}
  std::string out;                      // the archive, padded to a 1 MiB multiple (a disk)
  std::string architecture = "amd64";   // the OCI platform: the binary's (amd64, arm64)
};

// Errors: kNotFound for a missing binary, kIo, kInternal from libarchive.
Status MakeOciProbeArchive(const OciProbe& probe);

}  // namespace hull::vm

// The images a node's containerd holds from its first boot (docs/containers.md,
// "Preloaded on the node"): written by the build into /usr (so dm-verity
// covers them), imported by hull-preload.service, checked by validation.
//   /usr/share/hull/images/<hex>.tar    one OCI archive per image, named by
//                                       its sha256, naming the image for
//                                       containerd by io.containerd.image.name
//   /usr/share/hull/images/images.json  {"images": [{"name", "file", "digest",
//                                       "run"}]}: digest = what containerd lists
//                                       as the image's target, run = its
//                                       entrypoint and cmd ([] = none known)
#pragma once

#include <cstddef>

namespace hull::node {

inline constexpr const char* kPreloadDir = "/usr/share/hull/images";
inline constexpr const char* kPreloadList = "/usr/share/hull/images/images.json";
// The containerd namespace the kubelet's CRI uses: pods find the images there.
inline constexpr const char* kPreloadNamespace = "k8s.io";
inline constexpr size_t kMaxPreloadListBytes = 1 << 20;

}  // namespace hull::node

// Reading an image layout that `hull container build` or another tool wrote
// (a directory, or its tar archive) to pass it on, e.g. into a node's
// preloaded images: index.json's entries parsed, every blob checked against
// the digest it is named by, and one image chosen by its ref name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "oci/layout.h"

namespace hull::oci {

// Caps on what a layout may make Hull hold in memory (it is read whole).
// index.json and every manifest or index document:
inline constexpr size_t kMaxIndexBytes = 4 << 20;
// One blob, and all blobs of a layout together: the largest images
// preloaded in practice (CUDA, ML runtimes) are a few GiB compressed.
inline constexpr uint64_t kMaxBlobBytes = 4ull << 30;
inline constexpr uint64_t kMaxLayoutBytes = 4ull << 30;
// Blobs in a layout, and blobs an image names: a real image has tens of
// layers; a layout of a few multi-platform images with attestations and
// SBOMs has hundreds.
inline constexpr size_t kMaxBlobs = 4096;
// Image indexes nested in image indexes below the chosen image.
inline constexpr int kMaxIndexDepth = 4;

// index.json's `manifests` (image-spec 1.1 image-index.md): each with a
// media type, a sha256 digest of 64 lowercase hex digits and a size, and
// optionally a platform, an artifact type and string annotations.
// kCorrupt naming what is wrong.
Result<std::vector<Descriptor>> ParseIndex(ByteSpan index_json);

// What a manifest (its config, then its layers) or an image index (its
// manifests) names, as `d` (the descriptor naming the document, with its
// media type) says it is: kCorrupt when the document is malformed, says
// another mediaType, or `d`'s media type is neither manifest nor index.
Result<std::vector<Descriptor>> ParseReferences(ByteSpan document, const Descriptor& d);

// Every blob `image` reaches (itself, a nested index's manifests, each
// manifest's config and layers), each once, in the order named: every one
// present in `layout` with the size its descriptor says (a blob's digest is
// its content's, checked when the layout was read), every document parsed
// as its media type says. kCorrupt naming the blob otherwise.
Result<std::vector<Descriptor>> ImageBlobs(const Layout& layout, const Descriptor& image);

// A layout directory (oci-layout, index.json, blobs/sha256/*) or a tar
// archive of one: the index as listed and every blob, each checked against
// its name (kCorrupt otherwise; also beyond kMaxBlobs or kMaxLayoutBytes). kNotFound for a missing
// path, kCorrupt for an archive member that is not part of a layout.
Result<Layout> ReadLayoutDir(const std::string& dir);
Result<Layout> ReadLayoutArchive(const std::string& path);

// The image (a manifest or an index, not an artifact such as an SBOM
// referrer) whose org.opencontainers.image.ref.name is `ref`; with `ref`
// "" the only image listed. kNotFound naming the refs there are.
Result<Descriptor> FindImage(const Layout& layout, std::string_view ref);

}  // namespace hull::oci

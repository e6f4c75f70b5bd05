// The OCI image layout (image-spec 1.1 image-layout.md): `oci-layout`,
// `index.json` and content-addressed `blobs/sha256/<hex>`, with the JSON
// documents a layout holds: image configs (config.md), manifests
// (manifest.md) and image indexes (image-index.md). Every document is
// serialised with sorted keys and no whitespace, so the same content gives
// the same digests.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::oci {

inline constexpr char kMediaTypeManifest[] = "application/vnd.oci.image.manifest.v1+json";
inline constexpr char kMediaTypeIndex[] = "application/vnd.oci.image.index.v1+json";
inline constexpr char kMediaTypeConfig[] = "application/vnd.oci.image.config.v1+json";
// The empty config of an artifact manifest (image-spec 1.1 manifest.md).
inline constexpr char kMediaTypeEmpty[] = "application/vnd.oci.empty.v1+json";
// The annotation naming an image in index.json (what `oci:DIR:NAME` finds).
inline constexpr char kAnnotationRefName[] = "org.opencontainers.image.ref.name";
inline constexpr char kAnnotationCreated[] = "org.opencontainers.image.created";

struct Platform {
  std::string architecture;  // GOARCH: amd64, arm64, ...
  std::string os = "linux";
  std::string variant;  // e.g. "v8" for arm64 ("" = none)
};

struct Descriptor {
  std::string media_type;
  std::string artifact_type;  // "" = none
  std::string digest;         // "sha256:<hex>"
  uint64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
};

struct ImageConfig {
  Platform platform;
  int64_t created = 0;  // seconds since the epoch (SOURCE_DATE_EPOCH)
  std::string user;     // "65532:65532", "0:0"
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids, bottom layer first
};

// "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC).
std::string Rfc3339(int64_t seconds);

Bytes ConfigJson(const ImageConfig& c);
Bytes ManifestJson(const Descriptor& config, const std::vector<Descriptor>& layers,
                   const std::map<std::string, std::string>& annotations);
// An artifact manifest referring to `subject` (image-spec 1.1: artifactType,
// the empty config, subject), e.g. an SBOM beside an image.
Bytes ReferrerManifestJson(const std::string& artifact_type, const Descriptor& empty_config,
                           const std::vector<Descriptor>& layers, const Descriptor& subject);
Bytes IndexJson(const std::vector<Descriptor>& manifests,
                const std::map<std::string, std::string>& annotations);
// "sha256:<hex>" of `data`.
std::string Sha256Digest(ByteSpan data);

// An image layout being assembled in memory, then written whole.
class Layout {
 public:
  // Stores `data` under its digest (once) and returns its descriptor.
  Descriptor AddBlob(Bytes data, std::string media_type);
  // Lists `d` in index.json (in the order added).
  void AddToIndex(Descriptor d) { index_.push_back(std::move(d)); }
  void SetIndex(std::vector<Descriptor> index) { index_ = std::move(index); }
  const std::vector<Descriptor>& index() const { return index_; }
  const std::map<std::string, Bytes>& blobs() const { return blobs_; }
  // Moves the blob named `digest` out of the layout (empty when absent),
  // so a large blob passes to another layout without a copy.
  Bytes TakeBlob(const std::string& digest);

  // Writes the layout to `dir`, which must not exist or be empty
  // (kAlreadyExists otherwise): everything goes to a sibling temporary
  // directory first, renamed into place last, so `dir` is whole or absent.
  Status Write(const std::string& dir) const;
  // Updates the layout `dir` this one was read from (oci/read.h) and then
  // added to: the blobs `dir` lacks are written first, index.json last by
  // an atomic rename, so a reader sees the old index or the new one and
  // never an index naming a missing blob. index.json's own annotations are
  // not kept (Hull's layouts have none).
  Status Update(const std::string& dir) const;
  // The layout as one ustar archive (oci-layout, index.json, blobs), fixed
  // mtimes and owners, as `ctr images import` reads.
  // The && form moves the blobs into the archive rather than copying them.
  Result<Bytes> Archive() const&;
  Result<Bytes> Archive() &&;

 private:
  std::map<std::string, Bytes> blobs_;  // digest -> bytes
  std::vector<Descriptor> index_;
};

}  // namespace hull::oci

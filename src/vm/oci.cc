#include "vm/oci.h"

#include "base/file.h"
#include "oci/layer.h"
#include "oci/layout.h"

namespace hull::vm {

Status MakeOciProbeArchive(const OciProbe& p) {
  HULL_ASSIGN_OR_RETURN(Bytes binary,
                        ReadFileBytes(p.binary, 256 << 20).Context("OCI probe binary"));
  HULL_ASSIGN_OR_RETURN(
      Bytes tar, oci::Tar({{.path = p.entry_name, .mode = 0755, .data = std::move(binary)}}, 0));
  HULL_ASSIGN_OR_RETURN(oci::Layer layer, oci::MakeLayer(tar, oci::Compression::kNone));
  oci::Layout layout;
  const oci::Platform platform{.architecture = p.architecture};
  oci::Descriptor config = layout.AddBlob(
      oci::ConfigJson(
          {.platform = platform, .entrypoint = p.entrypoint, .diff_ids = {layer.diff_id}}),
      oci::kMediaTypeConfig);
  oci::Descriptor layer_desc = layout.AddBlob(std::move(layer.blob), layer.media_type);
  oci::Descriptor manifest =
      layout.AddBlob(oci::ManifestJson(config, {layer_desc}, {}), oci::kMediaTypeManifest);
  manifest.platform = platform;
  manifest.annotations = {{"io.containerd.image.name", kProbeImageRef},
                          {oci::kAnnotationRefName, "latest"}};
  layout.AddToIndex(manifest);
  HULL_ASSIGN_OR_RETURN(Bytes archive, layout.Archive());
  archive.resize((archive.size() + (1 << 20) - 1) / (1 << 20) * (1 << 20), 0);
  return WriteFileAtomic(p.out, archive);
}

}  // namespace hull::vm

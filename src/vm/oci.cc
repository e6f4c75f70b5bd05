#include "vm/oci.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"

namespace hull::vm {
namespace {

using nlohmann::json;

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

struct Member {
  std::string name;
  Bytes data;
  int mode = 0644;
};

// A ustar archive of `members` in memory.
Result<Bytes> Tar(const std::vector<Member>& members) {
  Bytes out;
  std::unique_ptr<archive, WriteFree> a(archive_write_new());
  archive_write_set_format_ustar(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  auto write = [](archive*, void* ctx, const void* buf, size_t n) -> la_ssize_t {
    auto* o = static_cast<Bytes*>(ctx);
    o->insert(o->end(), static_cast<const uint8_t*>(buf), static_cast<const uint8_t*>(buf) + n);
    return la_ssize_t(n);
  };
  if (archive_write_open(a.get(), &out, nullptr, write, nullptr) != ARCHIVE_OK) {
    return Error(ErrorCode::kInternal, "libarchive: cannot open the OCI archive");
  }
  for (const auto& m : members) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), m.name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), mode_t(m.mode));
    archive_entry_set_size(e.get(), la_int64_t(m.data.size()));
    archive_entry_set_mtime(e.get(), 0, 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), m.data.data(), m.data.size()) != la_ssize_t(m.data.size())) {
      return Errorf(ErrorCode::kInternal, "libarchive: writing '{}': {}", m.name,
                    archive_error_string(a.get()) ? archive_error_string(a.get()) : "?");
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return Error(ErrorCode::kInternal, "libarchive: closing the OCI archive");
  }
  return out;
}

std::string Sha256Hex(ByteSpan b) { return HexEncode(crypto::Sha256(b)); }

Bytes JsonBytes(const json& j) {
  std::string s = j.dump();
  return Bytes(s.begin(), s.end());
}

}  // namespace

Status MakeOciProbeArchive(const OciProbe& p) {
  HULL_ASSIGN_OR_RETURN(Bytes binary,
                        ReadFileBytes(p.binary, 256 << 20).Context("OCI probe binary"));
  HULL_ASSIGN_OR_RETURN(Bytes layer, Tar({{p.entry_name, std::move(binary), 0755}}));
  const std::string layer_digest = "sha256:" + Sha256Hex(layer);
  Bytes config = JsonBytes({{"architecture", "amd64"},
                            {"os", "linux"},
                            {"config", {{"Entrypoint", p.entrypoint}}},
                            {"rootfs", {{"type", "layers"}, {"diff_ids", {layer_digest}}}}});
  const std::string config_digest = "sha256:" + Sha256Hex(config);
  Bytes manifest = JsonBytes({{"schemaVersion", 2},
                              {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                              {"config",
                               {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                {"digest", config_digest},
                                {"size", config.size()}}},
                              {"layers",
                               {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                 {"digest", layer_digest},
                                 {"size", layer.size()}}}}});
  const std::string manifest_digest = "sha256:" + Sha256Hex(manifest);
  Bytes index = JsonBytes({{"schemaVersion", 2},
                           {"manifests",
                            {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                              {"digest", manifest_digest},
                              {"size", manifest.size()},
                              {"platform", {{"architecture", "amd64"}, {"os", "linux"}}},
                              {"annotations",
                               {{"io.containerd.image.name", kProbeImageRef},
                                {"org.opencontainers.image.ref.name", "latest"}}}}}}});
  auto blob = [](const std::string& digest) { return "blobs/sha256/" + digest.substr(7); };
  std::string layout = R"({"imageLayoutVersion":"1.0.0"})";
  HULL_ASSIGN_OR_RETURN(Bytes archive, Tar({{"oci-layout", Bytes(layout.begin(), layout.end())},
                                            {"index.json", std::move(index)},
                                            {blob(manifest_digest), std::move(manifest)},
                                            {blob(config_digest), std::move(config)},
                                            {blob(layer_digest), std::move(layer)}}));
  archive.resize((archive.size() + (1 << 20) - 1) / (1 << 20) * (1 << 20), 0);
  return WriteFileAtomic(p.out, archive);
}

}  // namespace hull::vm

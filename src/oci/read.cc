#include "oci/read.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file.h"
#include "oci/sigstore.h"

namespace hull::oci {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

bool IsSha256Digest(const std::string& d) {
  if (d.size() != 71 || !d.starts_with("sha256:")) return false;
  for (size_t i = 7; i < d.size(); ++i) {
    char c = d[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// `where` names the document in errors: "index.json", "manifest sha256:...".
Result<std::string> StringField(const json& j, const char* key, bool required,
                                std::string_view where) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return Errorf(ErrorCode::kCorrupt, "{}: a descriptor has no '{}'", where, key);
    return std::string();
  }
  if (!it->is_string())
    return Errorf(ErrorCode::kCorrupt, "{}: a descriptor's '{}' is not a string", where, key);
  return it->get<std::string>();
}

Result<Descriptor> ParseDescriptor(const json& m, std::string_view where) {
  if (!m.is_object())
    return Errorf(ErrorCode::kCorrupt, "{}: a descriptor is not an object", where);
  Descriptor d;
  HULL_ASSIGN_OR_RETURN(d.media_type, StringField(m, "mediaType", true, where));
  HULL_ASSIGN_OR_RETURN(d.digest, StringField(m, "digest", true, where));
  HULL_ASSIGN_OR_RETURN(d.artifact_type, StringField(m, "artifactType", false, where));
  if (!IsSha256Digest(d.digest))
    return Errorf(ErrorCode::kCorrupt, "{}: digest '{}' is not sha256:<64 hex digits>", where,
                  d.digest.substr(0, 80));
  auto size = m.find("size");
  if (size == m.end() || !size->is_number_unsigned())
    return Errorf(ErrorCode::kCorrupt, "{}: {} has no size", where, d.digest);
  d.size = size->get<uint64_t>();
  if (auto p = m.find("platform"); p != m.end()) {
    if (!p->is_object())
      return Errorf(ErrorCode::kCorrupt, "{}: {}'s platform is not an object", where, d.digest);
    Platform plat;
    HULL_ASSIGN_OR_RETURN(plat.architecture, StringField(*p, "architecture", true, where));
    HULL_ASSIGN_OR_RETURN(plat.os, StringField(*p, "os", true, where));
    HULL_ASSIGN_OR_RETURN(plat.variant, StringField(*p, "variant", false, where));
    d.platform = plat;
  }
  if (auto a = m.find("annotations"); a != m.end()) {
    if (!a->is_object())
      return Errorf(ErrorCode::kCorrupt, "{}: {}'s annotations are not a map", where, d.digest);
    for (const auto& [k, v] : a->items()) {
      if (!v.is_string())
        return Errorf(ErrorCode::kCorrupt, "{}: {}'s annotation '{}' is not a string", where,
                      d.digest, k);
      d.annotations[k] = v.get<std::string>();
    }
  }
  return d;
}

// "manifest sha256:..." or "index sha256:...", for errors.
std::string DocumentName(const Descriptor& d) {
  return fmt::format("{} {}", d.media_type == kMediaTypeIndex ? "index" : "manifest", d.digest);
}

// An index or manifest document: at most kMaxIndexBytes, a JSON object with
// schemaVersion 2 and, when it names one, the media type `media_type`.
Result<json> ParseDocument(ByteSpan bytes, std::string_view where, std::string_view media_type) {
  if (bytes.size() > kMaxIndexBytes)
    return Errorf(ErrorCode::kCorrupt, "{} is larger than {} bytes", where, kMaxIndexBytes);
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Errorf(ErrorCode::kCorrupt, "{} is not a JSON object", where);
  auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_unsigned() || version->get<uint64_t>() != 2)
    return Errorf(ErrorCode::kCorrupt, "{}: schemaVersion is not 2", where);
  if (auto t = j.find("mediaType"); t != j.end() && *t != media_type)
    return Errorf(ErrorCode::kCorrupt, "{}: mediaType is not {}", where, media_type);
  return j;
}

// An image index's `manifests` (index.json has the same shape).
Result<std::vector<Descriptor>> ParseIndexDocument(ByteSpan bytes, std::string_view where) {
  HULL_ASSIGN_OR_RETURN(json j, ParseDocument(bytes, where, kMediaTypeIndex));
  auto manifests = j.find("manifests");
  if (manifests == j.end() || !manifests->is_array())
    return Errorf(ErrorCode::kCorrupt, "{} has no 'manifests' list", where);
  if (manifests->size() > kMaxBlobs)
    return Errorf(ErrorCode::kCorrupt, "{} lists more than {} manifests", where, kMaxBlobs);
  std::vector<Descriptor> out;
  for (const auto& m : *manifests) {
    HULL_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(m, where));
    out.push_back(std::move(d));
  }
  return out;
}

// A manifest's config, then its layers.
Result<std::vector<Descriptor>> ParseManifestDocument(ByteSpan bytes, std::string_view where) {
  HULL_ASSIGN_OR_RETURN(json j, ParseDocument(bytes, where, kMediaTypeManifest));
  auto config = j.find("config");
  if (config == j.end()) return Errorf(ErrorCode::kCorrupt, "{} has no 'config'", where);
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array())
    return Errorf(ErrorCode::kCorrupt, "{} has no 'layers' list", where);
  if (layers->size() > kMaxBlobs)
    return Errorf(ErrorCode::kCorrupt, "{} lists more than {} layers", where, kMaxBlobs);
  std::vector<Descriptor> out;
  HULL_ASSIGN_OR_RETURN(Descriptor c, ParseDescriptor(*config, where));
  out.push_back(std::move(c));
  for (const auto& l : *layers) {
    HULL_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(l, where));
    out.push_back(std::move(d));
  }
  return out;
}

// One more file of `size` bytes read from `where`, the `count`th: within
// kMaxBlobs (plus oci-layout and index.json) and kMaxLayoutBytes in all.
Status CountBlob(const std::string& where, size_t count, uint64_t size, uint64_t& total) {
  if (count > kMaxBlobs + 2)
    return Errorf(ErrorCode::kCorrupt, "'{}' holds more than {} blobs", where, kMaxBlobs);
  if (size > kMaxLayoutBytes - total)
    return Errorf(ErrorCode::kCorrupt, "'{}' holds more than {} bytes of blobs", where,
                  kMaxLayoutBytes);
  total += size;
  return Ok();
}

// A layout from its files: "oci-layout", "index.json" and "blobs/sha256/<hex>".
Result<Layout> FromFiles(const std::string& where, std::map<std::string, Bytes> files) {
  auto layout = files.find("oci-layout");
  if (layout == files.end())
    return Errorf(ErrorCode::kCorrupt, "'{}' is not an OCI image layout: no oci-layout file",
                  where);
  json v = json::parse(layout->second.begin(), layout->second.end(), nullptr, false);
  if (!v.is_object() || v.value("imageLayoutVersion", json()) != "1.0.0")
    return Errorf(ErrorCode::kCorrupt,
                  "'{}': oci-layout is not {{\"imageLayoutVersion\":\"1.0.0\"}}", where);
  auto index = files.find("index.json");
  if (index == files.end())
    return Errorf(ErrorCode::kCorrupt, "'{}' is not an OCI image layout: no index.json", where);
  HULL_ASSIGN_OR_RETURN(auto entries, ParseIndex(index->second).Context(where));
  Layout out;
  for (auto& [name, bytes] : files) {
    if (name == "oci-layout" || name == "index.json") continue;
    const std::string prefix = "blobs/sha256/";
    const std::string digest =
        name.starts_with(prefix) ? "sha256:" + name.substr(prefix.size()) : std::string();
    if (!IsSha256Digest(digest))
      return Errorf(ErrorCode::kCorrupt, "'{}': '{}' is not part of an OCI image layout", where,
                    name);
    const Descriptor d = out.AddBlob(std::move(bytes), "");
    if (d.digest != digest)
      return Errorf(ErrorCode::kCorrupt, "'{}': blob {} holds content of digest {}", where, name,
                    d.digest);
  }
  for (auto& e : entries) {
    if (!out.blobs().contains(e.digest))
      return Errorf(ErrorCode::kCorrupt, "'{}': index.json lists {}, which has no blob", where,
                    e.digest);
    if (out.blobs().at(e.digest).size() != e.size)
      return Errorf(ErrorCode::kCorrupt, "'{}': {} is {} bytes, index.json says {}", where,
                    e.digest, out.blobs().at(e.digest).size(), e.size);
    out.AddToIndex(std::move(e));
  }
  return out;
}

}  // namespace

Result<std::vector<Descriptor>> ParseIndex(ByteSpan index_json) {
  return ParseIndexDocument(index_json, "index.json");
}

Result<std::vector<Descriptor>> ParseReferences(ByteSpan document, const Descriptor& d) {
  const std::string where = DocumentName(d);
  if (d.media_type == kMediaTypeIndex) return ParseIndexDocument(document, where);
  if (d.media_type == kMediaTypeManifest) return ParseManifestDocument(document, where);
  return Errorf(ErrorCode::kCorrupt, "{} has media type '{}', neither {} nor {}", d.digest,
                d.media_type.substr(0, 80), kMediaTypeManifest, kMediaTypeIndex);
}

Result<std::vector<Descriptor>> ImageBlobs(const Layout& layout, const Descriptor& image) {
  std::vector<Descriptor> out;
  std::set<std::string> seen;
  // (descriptor, what names it, depth in nested indexes); manifests and
  // indexes are parsed for what they name, other blobs only checked.
  struct Pending {
    Descriptor d;
    std::string named_by;
    int depth;
    bool document;
  };
  std::vector<Pending> todo = {{image, "index.json", 0, true}};
  while (!todo.empty()) {
    Pending p = std::move(todo.back());
    todo.pop_back();
    auto blob = layout.blobs().find(p.d.digest);
    if (blob == layout.blobs().end())
      return Errorf(ErrorCode::kCorrupt, "{} names {} ({}), which has no blob", p.named_by,
                    p.d.digest, p.d.media_type);
    if (blob->second.size() != p.d.size)
      return Errorf(ErrorCode::kCorrupt, "{} ({}) is {} bytes, {} says {}", p.d.digest,
                    p.d.media_type, blob->second.size(), p.named_by, p.d.size);
    if (!seen.insert(p.d.digest).second) continue;
    if (seen.size() > kMaxBlobs)
      return Errorf(ErrorCode::kCorrupt, "image {} names more than {} blobs", image.digest,
                    kMaxBlobs);
    if (p.document) {
      HULL_ASSIGN_OR_RETURN(auto refs, ParseReferences(blob->second, p.d));
      const std::string by = DocumentName(p.d);
      const bool index = p.d.media_type == kMediaTypeIndex;
      if (index && p.depth >= kMaxIndexDepth)
        return Errorf(ErrorCode::kCorrupt, "{} nests indexes deeper than {}", by, kMaxIndexDepth);
      // Reverse, so the walk (a stack) reaches them in the order listed.
      for (auto it = refs.rbegin(); it != refs.rend(); ++it)
        todo.push_back({std::move(*it), by, p.depth + (index ? 1 : 0), index});
    }
    out.push_back(std::move(p.d));
  }
  return out;
}

Result<Layout> ReadLayoutDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Errorf(ErrorCode::kNotFound, "OCI image layout '{}' not found", dir);
  std::map<std::string, Bytes> files;
  for (const char* name : {"oci-layout", "index.json"}) {
    if (!fs::is_regular_file(dir + "/" + name, ec)) continue;
    HULL_ASSIGN_OR_RETURN(files[name], ReadFileBytes(dir + "/" + name, kMaxIndexBytes));
  }
  const std::string blobs = dir + "/blobs/sha256";
  uint64_t total = 0;
  if (fs::is_directory(blobs, ec)) {
    for (const auto& e : fs::directory_iterator(blobs, ec)) {
      if (!e.is_regular_file(ec))
        return Errorf(ErrorCode::kCorrupt, "'{}' is not a regular file", e.path().string());
      HULL_TRY(CountBlob(dir, files.size() + 1, e.file_size(ec), total));
      HULL_ASSIGN_OR_RETURN(files["blobs/sha256/" + e.path().filename().string()],
                            ReadFileBytes(e.path().string(), kMaxBlobBytes));
    }
    if (ec) return Errorf(ErrorCode::kIo, "listing '{}': {}", blobs, ec.message());
  }
  return FromFiles(dir, std::move(files));
}

Result<Layout> ReadLayoutArchive(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return Errorf(ErrorCode::kNotFound, "OCI archive '{}' not found", path);
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    return Errorf(ErrorCode::kCorrupt, "'{}': {}", path, archive_error_string(a.get()));
  std::map<std::string, Bytes> files;
  uint64_t total = 0;
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    while (name.starts_with("./")) name.erase(0, 2);
    if (archive_entry_filetype(e) == AE_IFDIR) continue;
    if (archive_entry_filetype(e) != AE_IFREG)
      return Errorf(ErrorCode::kCorrupt, "'{}': member '{}' is not a regular file", path, name);
    const int64_t size = archive_entry_size(e);
    if (size < 0 || uint64_t(size) > kMaxBlobBytes)
      return Errorf(ErrorCode::kCorrupt, "'{}': member '{}' is too large", path, name);
    if (files.contains(name))
      return Errorf(ErrorCode::kCorrupt, "'{}': member '{}' is there twice", path, name);
    HULL_TRY(CountBlob(path, files.size() + 1, uint64_t(size), total));
    Bytes data(static_cast<size_t>(size));
    if (size > 0 && archive_read_data(a.get(), data.data(), data.size()) != size)
      return Errorf(ErrorCode::kCorrupt, "'{}': member '{}' is cut short", path, name);
    files.emplace(std::move(name), std::move(data));
  }
  if (rc != ARCHIVE_EOF)
    return Errorf(ErrorCode::kCorrupt, "'{}': {}", path, archive_error_string(a.get()));
  return FromFiles(path, std::move(files));
}

Result<Descriptor> FindImage(const Layout& layout, std::string_view ref) {
  std::vector<const Descriptor*> images;
  std::vector<std::string> refs;
  for (const auto& d : layout.index()) {
    if (!d.artifact_type.empty() ||
        (d.media_type != kMediaTypeManifest && d.media_type != kMediaTypeIndex))
      continue;
    auto it = d.annotations.find(kAnnotationRefName);
    const std::string name = it == d.annotations.end() ? "" : it->second;
    if (IsSigstoreTag(name)) continue;  // a signature, not an image
    refs.push_back(name.empty() ? d.digest : name);
    if (ref.empty() || name == ref) images.push_back(&d);
  }
  if (images.size() == 1) return *images[0];
  if (ref.empty() && images.size() > 1)
    return Errorf(ErrorCode::kInvalidArgument, "the layout holds {} images ({}): name one as 'ref'",
                  images.size(), fmt::join(refs, ", "));
  return Errorf(ErrorCode::kNotFound, "no image {}in the layout (it holds: {})",
                ref.empty() ? "" : fmt::format("named '{}' ", ref),
                refs.empty() ? "nothing" : fmt::format("{}", fmt::join(refs, ", ")));
}

}  // namespace hull::oci

#include "oci/read.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/file.h"

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

Result<std::string> StringField(const json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return Errorf(ErrorCode::kCorrupt, "index.json: a descriptor has no '{}'", key);
    return std::string();
  }
  if (!it->is_string())
    return Errorf(ErrorCode::kCorrupt, "index.json: a descriptor's '{}' is not a string", key);
  return it->get<std::string>();
}

Result<Descriptor> ParseDescriptor(const json& m) {
  if (!m.is_object()) return Error(ErrorCode::kCorrupt, "index.json: a manifest is not an object");
  Descriptor d;
  HULL_ASSIGN_OR_RETURN(d.media_type, StringField(m, "mediaType", true));
  HULL_ASSIGN_OR_RETURN(d.digest, StringField(m, "digest", true));
  HULL_ASSIGN_OR_RETURN(d.artifact_type, StringField(m, "artifactType", false));
  if (!IsSha256Digest(d.digest))
    return Errorf(ErrorCode::kCorrupt, "index.json: digest '{}' is not sha256:<64 hex digits>",
                  d.digest.substr(0, 80));
  auto size = m.find("size");
  if (size == m.end() || !size->is_number_unsigned())
    return Errorf(ErrorCode::kCorrupt, "index.json: {} has no size", d.digest);
  d.size = size->get<uint64_t>();
  if (auto p = m.find("platform"); p != m.end()) {
    if (!p->is_object())
      return Errorf(ErrorCode::kCorrupt, "index.json: {}'s platform is not an object", d.digest);
    Platform plat;
    HULL_ASSIGN_OR_RETURN(plat.architecture, StringField(*p, "architecture", true));
    HULL_ASSIGN_OR_RETURN(plat.os, StringField(*p, "os", true));
    HULL_ASSIGN_OR_RETURN(plat.variant, StringField(*p, "variant", false));
    d.platform = plat;
  }
  if (auto a = m.find("annotations"); a != m.end()) {
    if (!a->is_object())
      return Errorf(ErrorCode::kCorrupt, "index.json: {}'s annotations are not a map", d.digest);
    for (const auto& [k, v] : a->items()) {
      if (!v.is_string())
        return Errorf(ErrorCode::kCorrupt, "index.json: {}'s annotation '{}' is not a string",
                      d.digest, k);
      d.annotations[k] = v.get<std::string>();
    }
  }
  return d;
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
  if (index_json.size() > kMaxIndexBytes)
    return Errorf(ErrorCode::kCorrupt, "index.json is larger than {} bytes", kMaxIndexBytes);
  json j = json::parse(index_json.begin(), index_json.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error(ErrorCode::kCorrupt, "index.json is not a JSON object");
  auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_unsigned() || version->get<uint64_t>() != 2)
    return Error(ErrorCode::kCorrupt, "index.json: schemaVersion is not 2");
  auto manifests = j.find("manifests");
  if (manifests == j.end() || !manifests->is_array())
    return Error(ErrorCode::kCorrupt, "index.json has no 'manifests' list");
  std::vector<Descriptor> out;
  for (const auto& m : *manifests) {
    HULL_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(m));
    out.push_back(std::move(d));
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
  if (fs::is_directory(blobs, ec)) {
    for (const auto& e : fs::directory_iterator(blobs, ec)) {
      if (!e.is_regular_file(ec))
        return Errorf(ErrorCode::kCorrupt, "'{}' is not a regular file", e.path().string());
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

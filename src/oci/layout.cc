#include "oci/layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "oci/layer.h"

namespace hull::oci {
namespace fs = std::filesystem;

namespace {

using nlohmann::json;

Bytes Dump(const json& j) {
  std::string s = j.dump();
  return Bytes(s.begin(), s.end());
}

json PlatformJson(const Platform& p) {
  json j = {{"architecture", p.architecture}, {"os", p.os}};
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

json DescriptorJson(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  if (d.platform) j["platform"] = PlatformJson(*d.platform);
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

std::string BlobPath(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }

constexpr char kLayoutFile[] = R"({"imageLayoutVersion":"1.0.0"})";

Bytes IndexFile(const std::vector<Descriptor>& index) { return IndexJson(index, {}); }

}  // namespace

std::string Sha256Digest(ByteSpan data) { return "sha256:" + HexEncode(crypto::Sha256(data)); }

std::string Rfc3339(int64_t seconds) {
  std::time_t t = std::time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

Bytes ConfigJson(const ImageConfig& c) {
  json config = json::object();
  if (!c.user.empty()) config["User"] = c.user;
  if (!c.env.empty()) config["Env"] = c.env;
  if (!c.entrypoint.empty()) config["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) config["Cmd"] = c.cmd;
  if (!c.working_dir.empty()) config["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) config["Labels"] = c.labels;
  json j = PlatformJson(c.platform);
  j["created"] = Rfc3339(c.created);
  j["config"] = config;
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", c.diff_ids}};
  return Dump(j);
}

Bytes ManifestJson(const Descriptor& config, const std::vector<Descriptor>& layers,
                   const std::map<std::string, std::string>& annotations) {
  json j = {{"schemaVersion", 2},
            {"mediaType", kMediaTypeManifest},
            {"config", DescriptorJson(config)},
            {"layers", json::array()}};
  for (const auto& l : layers) j["layers"].push_back(DescriptorJson(l));
  if (!annotations.empty()) j["annotations"] = annotations;
  return Dump(j);
}

Bytes ReferrerManifestJson(const std::string& artifact_type, const Descriptor& empty_config,
                           const std::vector<Descriptor>& layers, const Descriptor& subject) {
  Descriptor plain_subject = subject;
  plain_subject.platform.reset();
  plain_subject.annotations.clear();
  json j = {{"schemaVersion", 2},
            {"mediaType", kMediaTypeManifest},
            {"artifactType", artifact_type},
            {"config", DescriptorJson(empty_config)},
            {"layers", json::array()},
            {"subject", DescriptorJson(plain_subject)}};
  for (const auto& l : layers) j["layers"].push_back(DescriptorJson(l));
  return Dump(j);
}

Bytes IndexJson(const std::vector<Descriptor>& manifests,
                const std::map<std::string, std::string>& annotations) {
  json j = {{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", json::array()}};
  for (const auto& m : manifests) j["manifests"].push_back(DescriptorJson(m));
  if (!annotations.empty()) j["annotations"] = annotations;
  return Dump(j);
}

Descriptor Layout::AddBlob(Bytes data, std::string media_type) {
  Descriptor d{
      .media_type = std::move(media_type), .digest = Sha256Digest(data), .size = data.size()};
  blobs_.emplace(d.digest, std::move(data));
  return d;
}

Status Layout::Write(const std::string& dir) const {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    return Errorf(ErrorCode::kAlreadyExists, "'{}' exists and is not an empty directory", dir);
  }
  fs::path parent = fs::absolute(dir).parent_path();
  fs::create_directories(parent, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", parent.string(), ec.message());
  std::string tmpl = (parent / ".oci-layout-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return ErrnoError(errno, "mkdtemp", tmpl);
  const std::string tmp = tmpl;
  auto write_all = [&]() -> Status {
    fs::create_directories(tmp + "/blobs/sha256", ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", tmp, ec.message());
    for (const auto& [digest, bytes] : blobs_) {
      HULL_TRY(WriteFileAtomic(tmp + "/" + BlobPath(digest), bytes));
    }
    HULL_TRY(WriteFileAtomic(tmp + "/oci-layout", std::string_view(kLayoutFile)));
    HULL_TRY(WriteFileAtomic(tmp + "/index.json", IndexFile(index_)));
    ::chmod(tmp.c_str(), 0755);
    fs::remove(dir, ec);  // the empty directory, if any
    fs::rename(tmp, dir, ec);
    if (ec) return Errorf(ErrorCode::kIo, "renaming '{}' to '{}': {}", tmp, dir, ec.message());
    return Ok();
  };
  Status s = write_all();
  if (!s.ok()) fs::remove_all(tmp, ec);
  return s;
}

Status Layout::Update(const std::string& dir) const {
  std::error_code ec;
  if (!fs::is_regular_file(dir + "/oci-layout", ec))
    return Errorf(ErrorCode::kNotFound, "'{}' is not an OCI image layout (no oci-layout file)",
                  dir);
  for (const auto& [digest, bytes] : blobs_) {
    const std::string path = dir + "/" + BlobPath(digest);
    if (!fs::exists(path, ec)) HULL_TRY(WriteFileAtomic(path, bytes));
  }
  return WriteFileAtomic(dir + "/index.json", IndexFile(index_));
}

Bytes Layout::TakeBlob(const std::string& digest) {
  auto it = blobs_.find(digest);
  if (it == blobs_.end()) return {};
  Bytes out = std::move(it->second);
  blobs_.erase(it);
  return out;
}

Result<Bytes> Layout::Archive() const& {
  Layout copy = *this;
  return std::move(copy).Archive();
}

Result<Bytes> Layout::Archive() && {
  std::vector<LayerEntry> members;
  members.push_back(
      {.path = "oci-layout", .data = Bytes(kLayoutFile, kLayoutFile + sizeof(kLayoutFile) - 1)});
  members.push_back({.path = "index.json", .data = IndexFile(index_)});
  for (auto& [digest, bytes] : blobs_)
    members.push_back({.path = BlobPath(digest), .data = std::move(bytes)});
  blobs_.clear();
  return Tar(std::move(members), 0);
}

}  // namespace hull::oci

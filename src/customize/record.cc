#include "customize/record.h"

#include <fmt/format.h>

#include <ctime>
#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"
#include "rootfs/packages.h"
#include "rootfs/sbom.h"

#ifndef HULL_VERSION
#define HULL_VERSION "0.0.0"
#endif

namespace hull::customize {
namespace fs = std::filesystem;

namespace {

std::string Iso8601(int64_t t) {
  std::time_t tt = std::time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string ChangeText(const Change& c) {
  return c.detail.empty() ? fmt::format("{} {}", c.kind, c.target)
                          : fmt::format("{} {} ({})", c.kind, c.target, c.detail);
}

std::string BaseSbomPath(const RecordInputs& in) {
  if (!in.base_sbom.empty() || in.image.empty()) return in.base_sbom;
  fs::path p(in.image);
  return (p.parent_path() / (p.stem().string() + ".spdx.json")).string();
}

}  // namespace

nlohmann::json CustomizedSbom(const RecordInputs& in, const nlohmann::json& base) {
  const std::string name = in.image_id.empty() ? "hull" : in.image_id;
  nlohmann::json doc = base.is_object() ? base
                                        : rootfs::BuildSpdx({.image_name = name,
                                                             .image_version = in.base_version,
                                                             .created = in.epoch,
                                                             .tool_version = HULL_VERSION},
                                                            {});
  doc.erase("documentNamespace");
  doc["name"] = fmt::format("{}-{}-customized", name, in.base_version);
  doc["creationInfo"] = {{"created", Iso8601(in.epoch)},
                         {"creators", {std::string("Tool: hull-") + HULL_VERSION}}};
  nlohmann::json notes = nlohmann::json::array();
  const std::string annotator = std::string("Tool: hull-") + HULL_VERSION;
  auto note = [&](const std::string& text) {
    notes.push_back({{"annotationDate", Iso8601(in.epoch)},
                     {"annotationType", "OTHER"},
                     {"annotator", annotator},
                     {"comment", text}});
  };
  const std::string from = in.release.empty() ? fs::path(in.image).filename().string()
                                              : "payload.json of the release of " + in.release;
  note(fmt::format("customized from {} version {} (sha256:{}, usr root hash {})", from,
                   in.base_version, in.image_sha256, in.base_root_hash));
  if (!base.is_object()) note("the base image's SBOM was not found: packages are not listed");
  for (const auto& c : in.changes) note("change: " + ChangeText(c));
  for (auto& p : doc["packages"]) {
    if (p.value("SPDXID", "") != "SPDXRef-OperatingSystem") continue;
    p["annotations"] = notes;
    p["checksums"] = {{{"algorithm", "SHA256"}, {"checksumValue", in.disk_sha256}}};
  }
  const std::string digest = HexEncode(crypto::Sha256(AsBytes(doc.dump())));
  doc["documentNamespace"] =
      fmt::format("https://spdx.hull.invalid/{}-{}-customized-{}", rootfs::SpdxIdSafe(name),
                  in.base_version, digest.substr(0, 32));
  return doc;
}

Result<nlohmann::json> WriteRecord(const RecordInputs& in) {
  nlohmann::json base_sbom;
  const std::string sbom_path = BaseSbomPath(in);
  std::error_code ec;
  if (fs::is_regular_file(sbom_path, ec)) {
    HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(sbom_path, 256 << 20));
    base_sbom = nlohmann::json::parse(text, nullptr, false);
    if (!base_sbom.is_object() || !base_sbom.contains("packages") ||
        base_sbom.value("spdxVersion", "") != "SPDX-2.3")
      return Errorf(ErrorCode::kCorrupt, "base SBOM '{}' is not an SPDX 2.3 JSON document",
                    sbom_path);
  } else if (!in.base_sbom.empty()) {
    return Errorf(ErrorCode::kNotFound, "base SBOM '{}' does not exist", in.base_sbom);
  }
  const std::string sbom_name = in.stem + ".spdx.json";
  HULL_TRY(
      WriteFileAtomic(in.out_dir + "/" + sbom_name, CustomizedSbom(in, base_sbom).dump(2) + "\n"));
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : in.changes)
    changes.push_back({{"kind", c.kind}, {"target", c.target}, {"detail", c.detail}});
  nlohmann::json pcr = nlohmann::json::object();
  for (const auto& [phase, hex] : in.pcr11) pcr[phase] = hex;
  nlohmann::json outputs = nlohmann::json::object();
  outputs[in.disk_name] = {{"sha256", in.disk_sha256}};
  std::vector<std::string> hashed{in.uki_name, sbom_name};
  if (!in.release.empty())  // the payload's pieces beside payload.json
    hashed.insert(hashed.end(), {"usr.erofs", "usr.verity", "usr.verity-sig"});
  for (const std::string& f : hashed) {
    HULL_ASSIGN_OR_RETURN(std::string sha, crypto::FileSha256Hex(in.out_dir + "/" + f));
    outputs[f] = {{"sha256", sha}};
  }
  nlohmann::json m{
      {"hull_version", HULL_VERSION},
      {"source_date_epoch", in.epoch},
      {"base",
       {{"image", fs::path(in.image).filename().string()},
        {"sha256", in.image_sha256},
        {"format", in.image_format},
        {"version", in.base_version},
        {"root_hash", in.base_root_hash},
        {"sbom", base_sbom.is_object() ? fs::path(sbom_path).filename().string() : ""}}},
      {"name", in.image_id},
      {"version", in.base_version},
      {"usr", {{"root_hash", in.root_hash}}},
      {"uki", {{"file", in.uki_name}, {"cmdline", in.cmdline}, {"pcr11", pcr}}},
      {"changes", changes},
      {"outputs", outputs},
  };
  if (!in.release.empty()) m["base"]["repository"] = in.release;
  HULL_TRY(WriteFileAtomic(in.out_dir + "/manifest.json", m.dump(2) + "\n"));
  return m;
}

}  // namespace hull::customize

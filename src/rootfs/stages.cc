#include "rootfs/stages.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "base/file.h"
#include "node/os_release.h"
#include "rootfs/sbom.h"
#include "rootfs/selinux.h"

namespace hull::rootfs {
namespace fs = std::filesystem;

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

ComposeOptions ComposeOptionsFor(const spec::ImageSpec& s, const ComposeStageOptions& o) {
  ComposeOptions c;
  c.suite = s.distribution.suite;
  c.mirror = s.distribution.mirror;
  c.components = s.distribution.components;
  c.arch = s.arch;
  c.variant = s.distribution.variant;
  c.packages = s.packages;
  c.source_date_epoch = o.source_date_epoch;
  c.cache_dir = o.cache_dir;
  if (o.cache_dir.empty()) c.deb_dir = o.out_dir + "/debs";
  return c;
}

namespace {

ShapeOptions ShapeOptionsFor(const spec::ImageSpec& s, const ComposeStageOptions& o) {
  ShapeOptions sh;
  sh.image_id = s.name;
  sh.image_version = s.version;
  sh.arch = s.arch;
  sh.sysext_level = node::SysextLevelForSuite(s.distribution.suite);
  sh.insecure_dev_keys = s.signing_key_dir.empty();
  sh.module_patterns = s.kernel.modules;
  sh.selinux_mode = spec::SelinuxName(s.selinux);
  for (const auto& f : s.files) {
    fs::path src =
        fs::path(f.source).is_absolute() ? fs::path(f.source) : fs::path(o.spec_dir) / f.source;
    sh.files.push_back({src.string(), f.dest});
  }
  sh.enable_units = s.services.enable;
  sh.disable_units = s.services.disable;
  for (const auto& u : s.users) sh.users.push_back({u.name, u.ssh_authorized_keys});
  sh.deb_cache = DebDir(ComposeOptionsFor(s, o));
  return sh;
}

}  // namespace

nlohmann::json PackagesJson(const std::vector<PackageInfo>& packages) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& p : packages) {
    a.push_back({{"name", p.name},
                 {"version", p.version},
                 {"arch", p.arch},
                 {"source", p.source},
                 {"source_version", p.source_version},
                 {"installed_kib", p.installed_kib},
                 {"licenses", p.licenses},
                 {"license_spdx", p.license_spdx},
                 {"deb", p.deb_file},
                 {"deb_sha256", p.deb_sha256}});
  }
  return a;
}

nlohmann::json ShapeReportJson(const ShapeReport& r) {
  nlohmann::json kernels = nlohmann::json::array();
  for (const auto& k : r.kernels) {
    kernels.push_back({{"version", k.kernel_version},
                       {"modules_before", k.modules_before},
                       {"modules_kept", k.modules_kept},
                       {"bytes_removed", k.bytes_removed}});
  }
  nlohmann::json largest = nlohmann::json::array();
  for (const auto& e : r.largest)
    largest.push_back({{"path", "/usr/" + e.path}, {"bytes", e.bytes}});
  return {{"packages", r.packages.size()},
          {"removed_packages", r.removed_packages},
          {"kernels", kernels},
          {"usr_bytes_before_module_pruning", r.usr_bytes_before_prune},
          {"usr_bytes", r.usr_bytes_after},
          {"largest", largest}};
}

Result<ComposeStageResult> ComposeStage(const spec::ImageSpec& s, const ComposeStageOptions& o) {
  ComposeStageResult res;
  const std::string tree = o.out_dir + "/tree";
  if (o.source) {
    HULL_ASSIGN_OR_RETURN(res.compose, Compose(ComposeOptionsFor(s, o), tree, *o.source));
  } else {
    HULL_ASSIGN_OR_RETURN(res.compose, Compose(ComposeOptionsFor(s, o), tree));
  }
  auto t = std::chrono::steady_clock::now();
  HULL_ASSIGN_OR_RETURN(TreeStamps stamps, StampLinkedTree(tree, res.compose.cached_tree));
  HULL_ASSIGN_OR_RETURN(res.shape, Shape(tree, ShapeOptionsFor(s, o)).Context("shape"));
  HULL_TRY(CheckCacheUntouched(tree, stamps));
  res.shape_seconds = Since(t);
  nlohmann::json image{{"name", s.name},
                       {"version", s.version},
                       {"suite", s.distribution.suite},
                       {"selinux", spec::SelinuxName(s.selinux)},
                       {"erofs_compression", spec::CompressionName(s.erofs_compression)},
                       {"source_date_epoch", o.source_date_epoch},
                       {"insecure_dev_keys", s.signing_key_dir.empty()},
                       {"cache_key", res.compose.key},
                       {"release_sha256", res.compose.release_sha256}};
  HULL_TRY(WriteFileAtomic(o.out_dir + "/image.json", image.dump(2) + "\n"));
  HULL_TRY(WriteFileAtomic(o.out_dir + "/packages.json",
                           PackagesJson(res.shape.packages).dump(2) + "\n"));
  HULL_TRY(
      WriteFileAtomic(o.out_dir + "/shape-report.json", ShapeReportJson(res.shape).dump(2) + "\n"));
  return res;
}

namespace {

Result<std::vector<PackageInfo>> LoadPackagesJson(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(path, 64 << 20));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    return Errorf(ErrorCode::kCorrupt, "'{}': not a JSON array", path);
  std::vector<PackageInfo> out;
  try {
    for (const auto& e : j) {
      PackageInfo p;
      p.name = e.at("name");
      p.version = e.at("version");
      p.arch = e.at("arch");
      p.source = e.at("source");
      p.source_version = e.at("source_version");
      p.license_spdx = e.at("license_spdx");
      p.licenses = e.at("licenses").get<std::vector<std::string>>();
      p.deb_file = e.at("deb");
      p.deb_sha256 = e.at("deb_sha256");
      out.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    return Errorf(ErrorCode::kCorrupt, "'{}': {}", path, e.what());
  }
  return out;
}

}  // namespace

Result<PackStageResult> PackStage(const PackStageOptions& o) {
  auto start = std::chrono::steady_clock::now();
  HULL_ASSIGN_OR_RETURN(std::string image_text, ReadFileText(o.dir + "/image.json", 1 << 20));
  auto image = nlohmann::json::parse(image_text, nullptr, false);
  if (image.is_discarded() || !image.is_object()) {
    return Errorf(ErrorCode::kCorrupt, "'{}/image.json' is not a JSON object", o.dir);
  }
  PackStageResult res;
  ErofsOptions e;
  std::string name, version, suite;
  try {
    name = image.at("name");
    version = image.at("version");
    suite = image.at("suite");
    e.timestamp = image.at("source_date_epoch");
    e.lz4hc = o.lz4hc.value_or(image.at("erofs_compression") == "lz4hc");
    if (image.at("selinux") != "disabled") res.file_contexts = o.dir + "/file_contexts";
  } catch (const nlohmann::json::exception& ex) {
    return Errorf(ErrorCode::kCorrupt, "'{}/image.json': {}", o.dir, ex.what());
  }
  const std::string tree = o.dir + "/tree";
  if (!res.file_contexts.empty()) res.policy_file_contexts = o.dir + "/policy.file_contexts";
  if (!res.file_contexts.empty() && o.reuse_image && !fs::exists(res.policy_file_contexts)) {
    return Errorf(ErrorCode::kCorrupt,
                  "'{}' lacks policy.file_contexts: remove that cache entry and build again",
                  o.dir);
  }
  if (!res.file_contexts.empty() && !o.reuse_image) {
    HULL_ASSIGN_OR_RETURN(std::string fc, ReadPolicyFileContexts(tree));
    HULL_TRY(WriteFileAtomic(res.file_contexts, UsrImageFileContexts(fc)));
    HULL_TRY(WriteFileAtomic(res.policy_file_contexts, fc));
    // libselinux reads the path equivalences (/lib = /usr/lib) next to it.
    auto subs = ReadPolicyFileContexts(tree, ".subs_dist");
    if (subs.ok()) HULL_TRY(WriteFileAtomic(res.policy_file_contexts + ".subs_dist", *subs));
  }
  e.source_dir = tree + "/usr";
  e.output = o.output;
  e.uuid = UsrFilesystemUuid(name, version);
  e.file_contexts = res.file_contexts;
  if (!o.reuse_image) HULL_TRY(PackErofs(e));
  res.image = o.output;
  res.uuid = e.uuid;
  std::error_code ec;
  res.image_bytes = fs::file_size(o.output, ec);
  HULL_ASSIGN_OR_RETURN(auto pkgs, LoadPackagesJson(o.dir + "/packages.json"));
  res.sbom = o.sbom.empty() ? o.output + ".spdx.json" : o.sbom;
  auto sbom = BuildSpdx(
      {.image_name = name, .image_version = version, .suite = suite, .created = e.timestamp}, pkgs);
  HULL_TRY(WriteFileAtomic(res.sbom, sbom.dump(2) + "\n"));
  res.seconds = Since(start);
  return res;
}

Result<ComposeStageResult> LoadComposeStage(const std::string& dir) {
  ComposeStageResult res;
  HULL_ASSIGN_OR_RETURN(res.shape.packages, LoadPackagesJson(dir + "/packages.json"));
  HULL_ASSIGN_OR_RETURN(std::string image_text, ReadFileText(dir + "/image.json", 1 << 20));
  HULL_ASSIGN_OR_RETURN(std::string report_text,
                        ReadFileText(dir + "/shape-report.json", 16 << 20));
  auto image = nlohmann::json::parse(image_text, nullptr, false);
  auto rep = nlohmann::json::parse(report_text, nullptr, false);
  if (image.is_discarded() || rep.is_discarded()) {
    return Errorf(ErrorCode::kCorrupt, "'{}': image.json or shape-report.json is not JSON", dir);
  }
  try {
    res.compose.cache_hit = true;
    res.compose.key = image.at("cache_key");
    res.compose.release_sha256 = image.at("release_sha256");
    res.shape.removed_packages = rep.at("removed_packages").get<std::vector<std::string>>();
    for (const auto& k : rep.at("kernels")) {
      res.shape.kernels.push_back({.kernel_version = k.at("version"),
                                   .modules_before = k.at("modules_before"),
                                   .modules_kept = k.at("modules_kept"),
                                   .bytes_removed = k.at("bytes_removed")});
    }
    res.shape.usr_bytes_before_prune = rep.at("usr_bytes_before_module_pruning");
    res.shape.usr_bytes_after = rep.at("usr_bytes");
    for (const auto& e : rep.at("largest")) {
      std::string p = e.at("path");
      res.shape.largest.push_back({p.substr(p.rfind("/usr/", 0) == 0 ? 5 : 0), e.at("bytes")});
    }
  } catch (const nlohmann::json::exception& ex) {
    return Errorf(ErrorCode::kCorrupt, "'{}': {}", dir, ex.what());
  }
  return res;
}

}  // namespace hull::rootfs

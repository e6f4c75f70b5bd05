#include "sysext/build.h"

#include <fmt/format.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "base/hex.h"
#include "build/artifacts.h"
#include "build/plan.h"
#include "disk/image.h"
#include "gpt/attributes.h"
#include "gpt/dps.h"
#include "gpt/types.h"
#include "node/os_release.h"
#include "rootfs/compose.h"
#include "rootfs/erofs.h"
#include "rootfs/packages.h"
#include "rootfs/sbom.h"
#include "rootfs/shape.h"
#include "rootfs/stages.h"
#include "slot/extension.h"
#include "sysext/tree.h"
#include "verity/tree.h"

namespace hull::sysext {
namespace fs = std::filesystem;

namespace {

// Derivations (salts, UUIDs) are keyed apart from an OS image of the same name.
std::string DerivationName(const SysextSpec& s) { return "sysext\n" + s.name; }

// The extension against the os-release its base image is built with
// (rootfs::OsReleaseText, with the node's ARCHITECTURE added as the node
// does), by the rule the node applies (slot::CheckExtensionCompatibility):
// one copy of what "compatible with this OS" means. A version_id is written
// as given (docs/sysext.md, Limits): the base spec's version is not the
// release the extension names, so that one key is the node's to judge.
Status CheckBase(const SysextSpec& s, const spec::ImageSpec& base) {
  rootfs::ShapeOptions shape;
  shape.image_id = base.name;
  shape.image_version = base.version;
  shape.sysext_level = node::SysextLevelForSuite(base.distribution.suite);
  node::OsRelease os = node::ParseOsRelease(rootfs::OsReleaseText(shape));
  os["ARCHITECTURE"] = SystemdArch(base.arch);
  const node::OsRelease ext = node::ParseOsRelease(ExtensionReleaseText(s));
  if (auto v = ext.find("VERSION_ID"); v != ext.end()) os["VERSION_ID"] = v->second;
  Status st = slot::CheckExtensionCompatibility(s.name, ext, os);
  if (st.ok()) return Ok();
  // The spec is the caller's input: a usage error here, not a refusal.
  return Errorf(ErrorCode::kInvalidArgument,
                "against its base image '{}' (Debian {}, {}, SYSEXT_LEVEL={}): {}; set the "
                "spec's arch and compatibility to match the base",
                base.name, base.distribution.suite, base.arch,
                shape.sysext_level.empty() ? "(none)" : shape.sysext_level, st.error().ToString());
}

struct Trees {
  std::string base, ext, deb_dir;
  bool cache_hit = false;
};

Result<Trees> ComposeTrees(const BuildOptions& o, const std::string& work) {
  rootfs::ComposeStageOptions so{
      .out_dir = work, .cache_dir = o.cache_dir, .source_date_epoch = o.source_date_epoch};
  rootfs::ComposeOptions base = rootfs::ComposeOptionsFor(o.base, so);
  if (o.cache_dir.empty()) base.deb_dir = work + "/debs";
  rootfs::ComposeOptions ext = base;
  ext.packages.insert(ext.packages.end(), o.spec.packages.begin(), o.spec.packages.end());
  Trees t{work + "/base", work + "/ext", rootfs::DebDir(ext)};
  HULL_ASSIGN_OR_RETURN(auto rb, rootfs::Compose(base, t.base).Context("composing the base"));
  if (o.spec.packages.empty()) {
    t.ext = t.base;
    t.cache_hit = rb.cache_hit;
    return t;
  }
  HULL_ASSIGN_OR_RETURN(
      auto re,
      rootfs::Compose(ext, t.ext).Context("composing the base with the extension's packages"));
  t.cache_hit = rb.cache_hit && re.cache_hit;
  return t;
}

// The base policy's file_contexts, or "" when the base has SELinux disabled.
// The image's file system is laid out as the node's root (usr/...), so the
// policy's specs apply to its paths as written: no rewrite.
Result<std::string> FileContexts(const spec::ImageSpec& base, const std::string& base_tree) {
  if (base.selinux == spec::SelinuxMode::kDisabled) return std::string();
  std::string type = "default";
  if (auto cfg = ReadFileText(base_tree + "/etc/selinux/config", 1 << 16); cfg.ok()) {
    if (auto t = node::OsReleaseValue(*cfg, "SELINUXTYPE"); t && !t->empty()) type = *t;
  }
  if (type.find('/') != std::string::npos || type.find("..") != std::string::npos)
    return Errorf(ErrorCode::kCorrupt, "the base image's SELINUXTYPE '{}' is not a policy name",
                  type);
  const std::string path =
      fmt::format("{}/etc/selinux/{}/contexts/files/file_contexts", base_tree, type);
  HULL_TRY(ReadFileText(path, 64 << 20)
               .Context("the base image's SELinux policy (selinux-policy-default)"));
  return path;
}

struct Sealed {
  std::string erofs, verity, signature;
  Bytes root_hash;
};

Result<Sealed> PackAndSeal(const BuildOptions& o, const std::string& stage,
                           const std::string& file_contexts, const std::string& work) {
  Sealed s{work + "/root.erofs", work + "/root.verity", work + "/root.verity-sig", {}};
  const std::string dname = DerivationName(o.spec);
  // The file system carries usr/ itself: mounted at /run/extensions/NAME it
  // is the directory extension systemd-sysext merges.
  HULL_TRY(rootfs::PackErofs({.source_dir = stage,
                              .output = s.erofs,
                              .timestamp = o.source_date_epoch,
                              .uuid = rootfs::UsrFilesystemUuid(dname, o.spec.version),
                              .file_contexts = file_contexts}));
  HULL_ASSIGN_OR_RETURN(auto keys, build::LoadCertificates(o.key_dir, /*need_keys=*/true));
  HULL_ASSIGN_OR_RETURN(crypto::KeySigner signer, build::LoadKeySigner(o.key_dir));
  keys.signer = &signer;
  verity::VerityParams p;
  p.salt = build::VeritySalt(dname, o.spec.version);
  p.uuid = build::VeritySuperblockUuid(dname, o.spec.version);
  HULL_ASSIGN_OR_RETURN(build::SealResult sealed, build::SealWith(p, s.erofs, keys, work));
  s.verity = sealed.verity_image;
  s.signature = sealed.signature_image;
  s.root_hash = sealed.root_hash;
  return s;
}

Result<disk::PartitionSpec> Part(std::string_view type, gpt::Arch arch, std::string label,
                                 std::string content) {
  disk::PartitionSpec p;
  HULL_ASSIGN_OR_RETURN(p.type, gpt::ParseType(type, arch));
  p.label = std::move(label);
  p.content = std::move(content);
  p.attributes = gpt::kAttrReadOnly;
  return p;
}

Result<disk::CreateResult> WriteDisk(const SysextSpec& spec, const Sealed& s,
                                     const std::string& out, int64_t epoch) {
  disk::Layout l;
  l.seed = fmt::format("hull-sysext-{}-{}", spec.name, spec.version);
  l.sector_size = 512;
  HULL_ASSIGN_OR_RETURN(l.arch, build::GptArchOf(spec.arch));
  // GPT names hold 36 UTF-16 units: the name is cut to fit with its suffix.
  const std::string label = spec.name.substr(0, 24);
  HULL_ASSIGN_OR_RETURN(auto root, Part("root", l.arch, label, s.erofs));
  HULL_ASSIGN_OR_RETURN(auto ver, Part("root-verity", l.arch, label + "-verity", s.verity));
  HULL_ASSIGN_OR_RETURN(auto sig,
                        Part("root-verity-sig", l.arch, label + "-verity-sig", s.signature));
  HULL_ASSIGN_OR_RETURN(auto uuids, gpt::DpsVerityUuids(s.root_hash));
  root.uuid = uuids.data;
  ver.uuid = uuids.verity;
  l.partitions = {root, ver, sig};
  return disk::CreateDisk(l, {.out = out, .source_date_epoch = epoch, .sha256 = true});
}

Result<std::vector<Entry>> FilesEntries(
    const BuildOptions& o, const Facts& facts, const std::string& work,
    std::vector<std::pair<std::string, std::vector<Entry>>>* out) {
  std::vector<Entry> all;
  for (const auto& src : o.spec.files) {
    HULL_ASSIGN_OR_RETURN(std::string dir, UnpackSource(src, work));
    HULL_ASSIGN_OR_RETURN(auto entries, SourceEntries(src, dir, facts));
    all.insert(all.end(), entries.begin(), entries.end());
    if (out) out->emplace_back(dir, std::move(entries));
  }
  return all;
}

Status WriteOutputs(const BuildOptions& o, const Trees& t, const Facts& facts,
                    const std::string& image_tmp, const disk::CreateResult& cr,
                    const Bytes& root_hash, BuildResult& r) {
  const std::string base = o.out_dir + "/" + ImageBaseName(o.spec);
  HULL_ASSIGN_OR_RETURN(auto all, rootfs::ReadPackages(t.ext, t.deb_dir));
  std::vector<rootfs::PackageInfo> added;
  const std::set<std::string> names(facts.added_packages.begin(), facts.added_packages.end());
  for (auto& p : all) {
    if (names.count(p.name)) added.push_back(std::move(p));
  }
  auto sbom = rootfs::BuildSpdx({.image_name = "sysext-" + o.spec.name,
                                 .image_version = o.spec.version,
                                 .suite = o.base.distribution.suite,
                                 .created = o.source_date_epoch},
                                added);
  r.image = base + ".raw";
  r.sbom = base + ".spdx.json";
  r.manifest_path = base + ".json";
  r.image_bytes = cr.file_size;
  r.packages = facts.added_packages;
  r.manifest = Manifest(o.spec, HexEncode(root_hash), cr.sha256, cr.file_size, r.packages);
  HULL_TRY(WriteFileAtomic(r.sbom, sbom.dump(2) + "\n"));
  HULL_TRY(WriteFileAtomic(r.manifest_path, r.manifest.dump(2) + "\n"));
  std::error_code ec;
  fs::rename(image_tmp, r.image, ec);
  if (ec)
    return Errorf(ErrorCode::kIo, "renaming '{}' to '{}': {}", image_tmp, r.image, ec.message());
  return Ok();
}

}  // namespace

nlohmann::json Manifest(const SysextSpec& spec, const std::string& root_hash,
                        const std::string& sha256, uint64_t size,
                        const std::vector<std::string>& packages) {
  nlohmann::json compat = {{"id", spec.compatibility.id}};
  compat[spec.compatibility.kind == Compatibility::Kind::kSysextLevel ? "sysext_level"
                                                                      : "version_id"] =
      spec.compatibility.value;
  nlohmann::json m = {{"name", spec.name},      {"version", spec.version},
                      {"arch", spec.arch},      {"compatibility", compat},
                      {"root_hash", root_hash}, {"sha256", sha256},
                      {"size", size},           {"file", ImageBaseName(spec) + ".raw"},
                      {"packages", packages}};
  // Only when declared: the manifests of extensions without it are unchanged.
  if (!spec.restarts.empty()) m["restarts"] = spec.restarts;
  return m;
}

Result<SealedImage> SealStagedTree(const BuildOptions& o, const std::string& stage,
                                   const std::string& file_contexts, const std::string& work) {
  const std::string rel_dir = stage + "/usr/lib/extension-release.d";
  std::error_code ec;
  fs::create_directories(rel_dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", rel_dir, ec.message());
  HULL_TRY(
      WriteFileAtomic(rel_dir + "/extension-release." + o.spec.name, ExtensionReleaseText(o.spec)));
  // The file system's root and its usr/ (the top of the merged /usr) are
  // 0755 whatever the builder's umask.
  for (const std::string& d : {stage, stage + "/usr"})
    if (chmod(d.c_str(), 0755) != 0) return ErrnoError(errno, "chmod", d);
  HULL_ASSIGN_OR_RETURN(Sealed s, PackAndSeal(o, stage, file_contexts, work));
  SealedImage out{work + "/image.raw", s.root_hash, {}};
  HULL_ASSIGN_OR_RETURN(out.disk, WriteDisk(o.spec, s, out.image, o.source_date_epoch));
  return out;
}

Result<BuildResult> Build(const BuildOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  HULL_TRY(CheckBase(o.spec, o.base));
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", o.out_dir, ec.message());
  HULL_ASSIGN_OR_RETURN(TempDir work, TempDir::Create(".sysext-work", o.out_dir));
  const std::string& w = work.path();
  // The /usr rule for `files` first, before anything costly.
  HULL_TRY(FilesEntries(o, Facts{}, w, nullptr));
  HULL_ASSIGN_OR_RETURN(Trees t, ComposeTrees(o, w));
  HULL_ASSIGN_OR_RETURN(Facts facts, GatherFacts(t.base, t.ext, o.spec.arch));
  HULL_TRY(CheckOverlap(facts));
  std::vector<Entry> entries;
  if (!o.spec.packages.empty()) {
    HULL_ASSIGN_OR_RETURN(auto changes, DiffTrees(t.base, t.ext));
    HULL_ASSIGN_OR_RETURN(entries, SelectEntries(changes, facts));
  }
  const std::string stage = w + "/stage";
  HULL_TRY(Stage(t.ext, entries, stage));
  std::vector<std::pair<std::string, std::vector<Entry>>> sources;
  HULL_TRY(FilesEntries(o, facts, w, &sources));
  for (const auto& [dir, src_entries] : sources) {
    HULL_TRY(Stage(dir, src_entries, stage));
    entries.insert(entries.end(), src_entries.begin(), src_entries.end());
  }
  HULL_ASSIGN_OR_RETURN(std::string fc, FileContexts(o.base, t.base));
  HULL_ASSIGN_OR_RETURN(SealedImage sealed, SealStagedTree(o, stage, fc, w));
  BuildResult r;
  r.entries = entries.size();
  r.compose_cache_hit = t.cache_hit;
  HULL_TRY(WriteOutputs(o, t, facts, sealed.image, sealed.disk, sealed.root_hash, r));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace hull::sysext

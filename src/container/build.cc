#include "container/build.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "container/sbom.h"
#include "container/unpack.h"
#include "oci/layer.h"
#include "oci/layout.h"
#include "rootfs/extract.h"
#include "rootfs/mmdebstrap_hooks.h"

namespace hull::container {
namespace fs = std::filesystem;

namespace {

constexpr char kCaBundle[] = "etc/ssl/certs/ca-certificates.crt";
constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Status AddFile(const std::string& tree, const FileSpec& f, const std::string& spec_dir) {
  const fs::path dst = fs::path(tree) / f.path.substr(1);
  std::error_code ec;
  const auto existing = fs::symlink_status(dst, ec);
  if (f.directory && fs::is_directory(existing)) {
    ::chmod(dst.c_str(), f.mode);
    if (::lchown(dst.c_str(), f.uid, f.gid) != 0) return ErrnoError(errno, "chown", dst.string());
    return Ok();
  }
  if (fs::exists(existing)) {
    return Errorf(ErrorCode::kConflict,
                  "file conflict: {} is in a package and in the spec's files; remove one", f.path);
  }
  fs::create_directories(dst.parent_path(), ec);
  if (ec)
    return Errorf(ErrorCode::kIo, "creating '{}': {}", dst.parent_path().string(), ec.message());
  if (f.directory) {
    fs::create_directory(dst, ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", dst.string(), ec.message());
    ::chmod(dst.c_str(), f.mode);
  } else if (!f.symlink.empty()) {
    fs::create_symlink(f.symlink, dst, ec);
    if (ec) return Errorf(ErrorCode::kIo, "linking '{}': {}", dst.string(), ec.message());
  } else if (!f.source.empty()) {
    const std::string src = f.source.starts_with("/") ? f.source : spec_dir + "/" + f.source;
    HULL_ASSIGN_OR_RETURN(Bytes data,
                          ReadFileBytes(src, kMaxFileBytes).Context("files entry " + f.path));
    HULL_TRY(WriteFileAtomic(dst.string(), data, f.mode));
  } else {
    HULL_TRY(WriteFileAtomic(dst.string(), f.content, f.mode));
  }
  if (::lchown(dst.c_str(), f.uid, f.gid) != 0) return ErrnoError(errno, "chown", dst.string());
  return Ok();
}

// The CA bundle update-ca-certificates would make: every certificate of
// ca-certificates, in sorted order, concatenated.
Status MakeCaBundle(const std::string& tree) {
  const std::string dir = tree + "/usr/share/ca-certificates";
  if (!fs::is_directory(dir)) return Ok();
  std::vector<std::string> certs;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".crt") certs.push_back(e.path().string());
  }
  std::sort(certs.begin(), certs.end());
  std::string bundle;
  for (const auto& c : certs) {
    HULL_ASSIGN_OR_RETURN(std::string pem, ReadFileText(c, 1 << 20));
    bundle += pem;
    if (!bundle.ends_with("\n")) bundle += "\n";
  }
  std::error_code ec;
  fs::create_directories(tree + "/etc/ssl/certs", ec);
  return WriteFileAtomic(tree + "/" + kCaBundle, bundle);
}

// The entrypoint's program must be a regular executable file of the tree,
// its symlinks resolved inside the tree.
Status CheckEntrypoint(const std::string& tree, const ContainerSpec& s, const std::string& arch) {
  if (s.entrypoint.empty()) return Ok();
  const std::string& prog = s.entrypoint[0];
  int dir = ::open(tree.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return ErrnoError(errno, "opening tree", tree);
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, dir, prog.c_str(), &how, sizeof(how));
  ::close(dir);
  struct stat st {};
  bool ok = fd >= 0 && ::fstat(int(fd), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
  if (fd >= 0) ::close(int(fd));
  if (!ok) {
    return Errorf(ErrorCode::kNotFound,
                  "entrypoint '{}' is not an executable file in image '{}' ({}); add the package "
                  "that ships it or fix the entrypoint",
                  prog, s.name, arch);
  }
  return Ok();
}

Status ApplyPathFilters(const std::string& tree) {
  HULL_TRY(Run(Command{.argv = {"sh", "-c", rootfs::PathFilterPruneHook(), "sh", tree}})
               .Context("applying the path filters"));
  return Ok();
}

struct ArchBuild {
  ArchImage image;
  oci::Descriptor manifest;
  oci::Descriptor sbom;  // the referrer manifest
};

Result<ArchBuild> BuildArch(const ContainerSpec& s, const BuildOptions& o, const std::string& arch,
                            const std::string& scratch, oci::Layout& layout) {
  ArchBuild b;
  b.image.arch = arch;
  rootfs::ComposeOptions co{.suite = s.suite,
                            .mirror = s.mirror,
                            .arch = arch,
                            .packages = s.packages,
                            .cache_dir = o.cache_dir};
  HULL_ASSIGN_OR_RETURN(rootfs::DebSet debs, rootfs::DownloadPackages(co, scratch));
  b.image.cache_hit = debs.cache_hit;
  const std::string tree = scratch + "/tree-" + arch;
  std::error_code ec;
  fs::create_directories(tree, ec);
  HULL_ASSIGN_OR_RETURN(auto unpacked, UnpackPackages(s.packages, debs.dir, tree, scratch));
  for (const auto& p : unpacked) b.image.packages.push_back(p.name);
  HULL_TRY(ApplyPathFilters(tree));
  HULL_ASSIGN_OR_RETURN(Bytes sbom, ImageSbom(tree, debs.dir, s, arch, o.source_date_epoch));
  HULL_TRY(MakeMergedUsrLinks(tree));
  for (const auto& f : ImageFiles()) HULL_TRY(AddFile(tree, f, o.spec_dir));
  HULL_TRY(MakeCaBundle(tree));
  for (const auto& f : s.files) HULL_TRY(AddFile(tree, f, o.spec_dir));
  HULL_TRY(CheckEntrypoint(tree, s, arch));

  HULL_ASSIGN_OR_RETURN(auto entries, oci::TreeEntries(tree));
  HULL_ASSIGN_OR_RETURN(Bytes tar, oci::Tar(std::move(entries), o.source_date_epoch));
  HULL_ASSIGN_OR_RETURN(oci::Layer layer, oci::MakeLayer(tar, s.compression));
  tar.clear();
  tar.shrink_to_fit();
  HULL_ASSIGN_OR_RETURN(auto platform, OciPlatform(arch));
  oci::ImageConfig config{.platform = {.architecture = platform.first, .variant = platform.second},
                          .created = o.source_date_epoch,
                          .user = s.user == User::kNonroot ? "65532:65532" : "0:0",
                          .env = s.env,
                          .entrypoint = s.entrypoint,
                          .cmd = s.cmd,
                          .working_dir = s.workdir.empty()
                                             ? (s.user == User::kNonroot ? "/home/nonroot" : "/")
                                             : s.workdir,
                          .labels = s.labels,
                          .diff_ids = {layer.diff_id}};
  if (std::none_of(config.env.begin(), config.env.end(),
                   [](const std::string& e) { return e.starts_with("PATH="); })) {
    config.env.insert(config.env.begin(), kDefaultPath);
  }
  if (fs::exists(tree + "/" + kCaBundle)) {
    config.env.push_back(std::string("SSL_CERT_FILE=/") + kCaBundle);
  }
  b.image.uncompressed_bytes = layer.uncompressed_size;
  b.image.compressed_bytes = layer.blob.size();
  oci::Descriptor cfg = layout.AddBlob(oci::ConfigJson(config), oci::kMediaTypeConfig);
  oci::Descriptor ld = layout.AddBlob(std::move(layer.blob), layer.media_type);
  auto annotations = s.annotations;
  annotations.emplace(oci::kAnnotationCreated, oci::Rfc3339(o.source_date_epoch));
  b.manifest = layout.AddBlob(oci::ManifestJson(cfg, {ld}, annotations), oci::kMediaTypeManifest);
  b.manifest.platform = config.platform;
  // The SBOM as a referrer of the image manifest, listed in index.json.
  oci::Descriptor empty = layout.AddBlob(Bytes{'{', '}'}, oci::kMediaTypeEmpty);
  oci::Descriptor sbom_blob = layout.AddBlob(std::move(sbom), kSbomArtifactType);
  b.sbom =
      layout.AddBlob(oci::ReferrerManifestJson(kSbomArtifactType, empty, {sbom_blob}, b.manifest),
                     oci::kMediaTypeManifest);
  b.sbom.artifact_type = kSbomArtifactType;
  b.image.manifest_digest = b.manifest.digest;
  fs::remove_all(tree, ec);
  return b;
}

}  // namespace

std::vector<FileSpec> ImageFiles() {
  return {
      {.path = "/etc/passwd",
       .content = "root:x:0:0:root:/root:/sbin/nologin\n"
                  "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
                  "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
      {.path = "/etc/group", .content = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"},
      {.path = "/etc/nsswitch.conf",
       .content = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
                  "networks: files\nprotocols: files\nservices: files\nethers: files\n"
                  "rpc: files\n"},
      {.path = "/tmp", .mode = 01777, .directory = true},
      {.path = "/root", .mode = 0700, .directory = true},
      {.path = "/home/nonroot",
       .mode = 0700,
       .directory = true,
       .uid = kNonrootId,
       .gid = kNonrootId},
  };
}

Result<BuildResult> BuildContainer(const ContainerSpec& s, const BuildOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (fs::exists(o.out, ec) && !(fs::is_directory(o.out, ec) && fs::is_empty(o.out, ec))) {
    return Errorf(ErrorCode::kAlreadyExists, "'{}' exists and is not empty; choose another --out",
                  o.out);
  }
  HULL_ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create("hull-container"));
  oci::Layout layout;
  BuildResult r{.name = s.name};
  std::vector<oci::Descriptor> manifests;
  std::vector<oci::Descriptor> sboms;
  for (const auto& arch : s.architectures) {
    HULL_ASSIGN_OR_RETURN(ArchBuild b,
                          BuildArch(s, o, arch, scratch.path(), layout).Context("image " + s.name));
    r.images.push_back(std::move(b.image));
    manifests.push_back(std::move(b.manifest));
    sboms.push_back(std::move(b.sbom));
  }
  oci::Descriptor named;
  if (manifests.size() == 1) {
    named = manifests[0];
  } else {
    named = layout.AddBlob(oci::IndexJson(manifests, s.annotations), oci::kMediaTypeIndex);
  }
  named.annotations[oci::kAnnotationRefName] = s.name;
  r.digest = named.digest;
  r.media_type = named.media_type;
  layout.AddToIndex(named);
  for (auto& sbom : sboms) layout.AddToIndex(std::move(sbom));
  HULL_TRY(layout.Write(o.out));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace hull::container

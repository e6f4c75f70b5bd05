#include "build/pipeline.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>

#include "base/file.h"
#include "base/hex.h"
#include "build/artifacts.h"
#include "build/initrd.h"
#include "build/node_files.h"
#include "build/plan.h"
#include "build/preload.h"
#include "build/products.h"
#include "build/work.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"
#include "disk/image.h"
#include "disk/iso.h"
#include "keys/keys.h"
#include "rootfs/stages.h"
#include "signing/offline.h"

namespace hull::build {
namespace fs = std::filesystem;

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Runs one stage, timing it and adding its name as error context.
template <typename F>
auto Stage(const BuildOptions& o, BuildResult& res, const char* name, F&& f) -> decltype(f()) {
  if (o.on_stage) o.on_stage(name, -1);
  auto t = std::chrono::steady_clock::now();
  auto r = f();
  if (!r.ok()) return std::move(r).Context(name);
  double s = Since(t);
  res.stage_seconds.emplace_back(name, s);
  if (o.on_stage) o.on_stage(name, s);
  return r;
}

Status CheckOutDir(const std::string& out) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return {};
  if (!fs::is_directory(out, ec) || !fs::is_empty(out, ec)) {
    return Errorf(ErrorCode::kAlreadyExists,
                  "output directory '{}' exists and is not empty: give a new or empty --out", out);
  }
  return {};
}

// --keys, else the spec's signing.key_dir (relative to the spec's directory).
std::string KeyDirFor(const BuildOptions& o) {
  if (!o.key_dir.empty() || o.spec.signing_key_dir.empty()) return o.key_dir;
  fs::path p(o.spec.signing_key_dir);
  return p.is_absolute() ? p.string() : (fs::path(o.spec_dir) / p).string();
}

// The key directory the build signs with: --keys (or the spec's), else
// throwaway keys made in the work dir with --insecure-dev-keys.
Result<std::string> KeysFor(const BuildOptions& o, const std::string& key_dir,
                            const std::string& work) {
  if (!key_dir.empty()) return key_dir;
  if (o.offline.offline()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--sign-offline and --inject-signatures need --keys DIR holding db.crt and "
                 "verity.crt (the private keys may be elsewhere)");
  }
  if (!o.insecure_dev_keys) {
    return Error(ErrorCode::kRefused,
                 "no signing keys: pass --keys DIR (made by 'hull keys init DIR') or "
                 "--insecure-dev-keys for a throwaway development image");
  }
  HULL_TRY(keys::InitKeys(work + "/dev-keys", {.common_name_prefix = "Hull insecure dev"}));
  return work + "/dev-keys";
}

// The root file system and the SHA-256 of its bytes (the root partition's
// bytes, the image being exactly the partition's size), which the UKI's
// command line names (hull.roottemplate=, docs/iso.md).
Result<std::string> RunRoot(const spec::ImageSpec& s, Work& w) {
  const std::string image = w.dir + "/root.ext4";
  HULL_TRY(
      MakeRoot(s, RootBytes(s.partitions), w.dir, image, w.epoch, w.pack.policy_file_contexts));
  return crypto::FileSha256Hex(image);
}

// outputs: [iso]: the install medium (docs/iso.md), made from the raw
// output, or from a raw image in the work directory when raw is not wanted.
Status RunIso(const spec::ImageSpec& s, const disk::Layout& layout, Work& w) {
  if (std::find(s.outputs.begin(), s.outputs.end(), spec::OutputFormat::kIso) == s.outputs.end())
    return {};
  std::string raw = w.out + "/" + OutputStem(s) + ".raw";
  if (std::find(s.outputs.begin(), s.outputs.end(), spec::OutputFormat::kRaw) == s.outputs.end()) {
    raw = w.dir + "/iso-source.raw";
    auto made =
        disk::CreateDisk(layout, {.out = raw, .sector_size = 512, .source_date_epoch = w.epoch});
    if (!made.ok()) return std::move(made).error();
  }
  std::string name = OutputStem(s) + ".iso";
  HULL_ASSIGN_OR_RETURN(disk::IsoResult ir, disk::MakeIso(raw, {.out = w.out + "/" + name,
                                                                .source_date_epoch = w.epoch}));
  disk::CreateResult cr{.table = ir.table,
                        .virtual_size = ir.file_size,
                        .file_size = ir.file_size,
                        .allocated = ir.allocated};
  HULL_ASSIGN_OR_RETURN(Bytes digest,
                        crypto::DigestFile(crypto::DigestAlgorithm::kSha256, w.out + "/" + name));
  cr.sha256 = HexEncode(digest);
  w.disks.emplace_back(name, std::move(cr));
  return {};
}

Status RunDisk(const spec::ImageSpec& s, Work& w) {
  HULL_ASSIGN_OR_RETURN(gpt::Arch arch, GptArchOf(s.arch));
  HULL_ASSIGN_OR_RETURN(auto layout, BuildLayout({.name = s.name,
                                                  .version = s.version,
                                                  .sizes = w.sizes,
                                                  .esp_dir = w.dir + "/esp",
                                                  .usr_image = w.pack.image,
                                                  .verity_image = w.seal.verity_image,
                                                  .signature_image = w.seal.signature_image,
                                                  .root_image = w.dir + "/root.ext4",
                                                  .root_hash = w.seal.root_hash,
                                                  .arch = arch}));
  for (auto f : s.outputs) {
    if (f == spec::OutputFormat::kIso) continue;  // made from the raw image below
    std::string name = OutputStem(s) + "." + spec::OutputName(f);
    HULL_ASSIGN_OR_RETURN(auto cr, disk::CreateDisk(layout, {.out = w.out + "/" + name,
                                                             .format = f,
                                                             .sector_size = 512,
                                                             .source_date_epoch = w.epoch,
                                                             .sha256 = true}));
    w.disks.emplace_back(name, std::move(cr));
  }
  return RunIso(s, layout, w);
}

// The option, else a valid SOURCE_DATE_EPOCH, else the version's date.
Result<int64_t> ResolveEpoch(int64_t option, const std::string& version) {
  if (option >= 0) return option;
  const char* e = std::getenv("SOURCE_DATE_EPOCH");
  if (!e || !*e) return SourceDateEpochForVersion(version);
  char* end = nullptr;
  long long v = std::strtoll(e, &end, 10);
  if (*end != '\0' || v < 0) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "SOURCE_DATE_EPOCH='{}' is not a non-negative number of seconds", e);
  }
  return int64_t(v);
}

Status CheckNodeBinary(const std::string& path, const char* name, const char* option,
                       std::string_view arch) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return {};
  const std::string target =
      arch == "amd64" ? std::string(name) : fmt::format("hull_node_{}", arch);
  return Errorf(ErrorCode::kNotFound,
                "{} binary for {} '{}' not found (build it with 'cmake --build build --target "
                "{}', or pass {} PATH)",
                name, arch, path, target, option);
}

// Offline signing's state (docs/keys.md, "Offline signing"): everything
// after compose is made again, deterministically, from the usr product cache
// entry, so the recording run names the entry in the signing manifest and
// the injecting run refuses, before composing anything, another entry (a
// directory made for another image) or a missing one (evicted: signing
// again is the only way to the same bytes).
Status BindOffline(signing::SigningSession& session, const spec::ImageSpec& s, const Work& w,
                   const std::string& products_key) {
  HULL_TRY(
      session.Bind(fmt::format("image {} {}, usr products/{}", s.name, s.version, products_key)));
  if (session.injecting() && !w.products_hit) {
    return Errorf(ErrorCode::kNotFound,
                  "the usr image the signatures were made for (cache entry '{}') is no longer in "
                  "the cache (evicted, or another --cache): run --sign-offline again",
                  w.products_dir);
  }
  return Ok();
}

// Compose, or (warm) the usr product cache entry for the same inputs.
Result<rootfs::ComposeStageResult> RunCompose(const BuildOptions& o, const spec::ImageSpec& s,
                                              signing::SigningSession& session, Work& w) {
  rootfs::ComposeStageOptions co{.spec_dir = o.spec_dir,
                                 .out_dir = w.dir + "/compose",
                                 .cache_dir = o.cache_dir,
                                 .source_date_epoch = w.epoch};
  if (!o.cache_dir.empty()) {
    HULL_ASSIGN_OR_RETURN(co.source, rootfs::ResolveCompose(rootfs::ComposeOptionsFor(s, co)));
    std::error_code ec;
    HULL_ASSIGN_OR_RETURN(std::string material,
                          ProductMaterial({.spec = &s,
                                           .spec_dir = o.spec_dir,
                                           .compose_key = co.source->key,
                                           .source_date_epoch = w.epoch,
                                           .init_binary = o.init_binary,
                                           .self_binary = fs::read_symlink("/proc/self/exe", ec)}));
    const std::string key = ProductKey(co.source->key, material);
    w.products_dir = ProductDir(o.cache_dir, key);
    w.products_hit = ProductExists(w.products_dir);
    HULL_TRY(BindOffline(session, s, w, key));
    if (w.products_hit) return rootfs::LoadComposeStage(w.products_dir);
  }
  return rootfs::ComposeStage(s, co);
}

}  // namespace

namespace {

std::string NodeProgramPath(std::string_view name, std::string_view arch) {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  fs::path dir = ec ? fs::path() : self.parent_path();
  if (arch != "amd64") dir /= std::string(arch);
  return (dir / std::string(name)).string();
}

}  // namespace

std::string DefaultInitPath(std::string_view arch) { return NodeProgramPath("hull-init", arch); }

std::string DefaultAgentPath(std::string_view arch) { return NodeProgramPath("hull-agent", arch); }

std::string DefaultCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/hull";
  return "/var/cache/hull";
}

Result<BuildResult> Build(const BuildOptions& o) {
  spec::ImageSpec s = o.spec;
  HULL_TRY(CheckOutDir(o.out_dir));
  if (o.offline.offline() && o.cache_dir.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--sign-offline and --inject-signatures need the cache (drop --no-cache): the "
                 "injecting run finishes from the cached usr image the signatures were made for");
  }
  HULL_ASSIGN_OR_RETURN(EfiFiles efi, EfiFilesOf(s.arch));
  if (!o.systemd_boot.empty()) efi.systemd_boot = o.systemd_boot;
  if (!o.systemd_stub.empty()) efi.systemd_stub = o.systemd_stub;
  Work w;
  HULL_ASSIGN_OR_RETURN(w.epoch, ResolveEpoch(o.source_date_epoch, s.version));
  // before the long stages start
  HULL_TRY(CheckNodeBinary(o.init_binary, "hull-init", "--init", s.arch));
  HULL_TRY(CheckNodeBinary(o.agent_binary, "hull-agent", "--agent", s.arch));
  std::error_code ec;
  fs::path out = fs::absolute(o.out_dir, ec);
  fs::create_directories(out.parent_path(), ec);
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("." + out.filename().string() + ".hull-build",
                                                     out.parent_path().string()));
  w.dir = tmp.path();
  w.out = w.dir + "/out";
  fs::create_directories(w.out, ec);
  const std::string key_dir = KeyDirFor(o);
  HULL_ASSIGN_OR_RETURN(const std::string keys_from, KeysFor(o, key_dir, w.dir));
  HULL_ASSIGN_OR_RETURN(w.keys, LoadCertificates(keys_from, !o.offline.offline()).Context("keys"));
  HULL_ASSIGN_OR_RETURN(signing::SigningSession session,
                        signing::SigningSession::Open(o.offline, [&] {
                          return LoadKeySigner(keys_from);
                        }).Context("keys"));
  w.keys.signer = &session.signer();
  s.signing_key_dir = key_dir;  // empty marks os-release as insecure
  HULL_TRY(AddNodeFiles({.agent = o.agent_binary, .init = o.init_binary}, o.spec_dir, w.dir,
                        w.epoch, s));
  HULL_TRY(AddTrustSet(w.keys, key_dir, w.dir, s));
  HULL_TRY(AddSpecRecord(o.spec_text, w.dir, s));
  w.spec_text = o.spec_text;
  BuildResult res;
  if (!s.preload.empty())
    HULL_TRY(Stage(o, res, "preload", [&]() -> Result<bool> {
      HULL_TRY(AddPreloadedImages({.spec_dir = o.spec_dir,
                                   .cache_dir = o.cache_dir,
                                   .work = w.dir,
                                   .source_date_epoch = w.epoch},
                                  s));
      return true;
    }));
  HULL_ASSIGN_OR_RETURN(w.compose,
                        Stage(o, res, "compose", [&] { return RunCompose(o, s, session, w); }));
  const std::string compose_dir = w.products_hit ? w.products_dir : w.dir + "/compose";
  const std::string tree = compose_dir + "/tree";
  const std::string stem = OutputStem(s);
  HULL_ASSIGN_OR_RETURN(w.kernel, FindKernel(tree));
  // The initrd needs only the tree's kernel modules and hull-init: it is
  // written on a second thread while pack and seal run (zstd -19 and
  // mkfs.erofs each keep one core busy); its stage time is the wait for it.
  auto initrd = std::async(std::launch::async, [&] {
    return WriteInitrd({.init_binary = o.init_binary,
                        .modules_dir = w.kernel.modules_dir,
                        .kernel_version = w.kernel.version,
                        .output = w.dir + "/initrd.cpio.zst",
                        .mtime = w.epoch,
                        .cache_dir = o.cache_dir});
  });
  HULL_ASSIGN_OR_RETURN(
      w.pack, Stage(o, res, "pack", [&]() -> Result<rootfs::PackStageResult> {
        const bool hit = w.products_hit;
        HULL_ASSIGN_OR_RETURN(
            auto p, rootfs::PackStage({.dir = compose_dir,
                                       .output = (hit ? w.products_dir : w.dir) + "/usr.erofs",
                                       .sbom = w.out + "/" + stem + ".spdx.json",
                                       .reuse_image = hit}));
        if (!hit && !w.products_dir.empty()) {
          HULL_TRY(StoreProducts(w.products_dir, compose_dir, p.image));
        }
        return p;
      }));
  HULL_ASSIGN_OR_RETURN(
      w.seal, Stage(o, res, "seal", [&] { return Seal(s, w.pack.image, w.keys, w.dir); }));
  HULL_ASSIGN_OR_RETURN(w.initrd, Stage(o, res, "initrd", [&] { return initrd.get(); }));
  HULL_ASSIGN_OR_RETURN(const std::string root_template,
                        Stage(o, res, "root", [&] { return RunRoot(s, w); }));
  const std::string uki_name = UkiFileName(s.version, s.update.boot_tries);
  HULL_ASSIGN_OR_RETURN(w.uki, Stage(o, res, "uki", [&] {
                          return MakeUki(s, tree, w.kernel, w.dir + "/initrd.cpio.zst",
                                         HexEncode(w.seal.root_hash), root_template,
                                         efi.systemd_stub, w.keys, w.out + "/" + uki_name);
                        }));
  HULL_ASSIGN_OR_RETURN(w.esp_bytes, Stage(o, res, "esp", [&] {
                          return MakeEspTree(efi.systemd_boot, w.uki.path, uki_name, w.keys,
                                             w.dir + "/esp", w.epoch, efi.boot_path);
                        }));
  // Every signature has been asked for: recording ends the build here.
  HULL_TRY(session.Finish("build"));
  if (session.recording()) {
    res.sign_offline_dir = o.offline.sign_offline_dir;
    return res;
  }
  HULL_TRY(Stage(o, res, "disk", [&]() -> Result<bool> {
    HULL_ASSIGN_OR_RETURN(w.sizes, ComputeSizes(s.partitions, w.pack.image_bytes, w.esp_bytes));
    HULL_TRY(RunDisk(s, w));
    return true;
  }));
  HULL_TRY(Stage(o, res, "record", [&]() -> Result<bool> {
    for (const auto& [name, cr] : w.disks) res.outputs[name] = cr.sha256;  // hashed as written
    for (const auto& e : fs::directory_iterator(w.out, ec)) {
      std::string& sha = res.outputs[e.path().filename().string()];
      if (!sha.empty()) continue;
      HULL_ASSIGN_OR_RETURN(sha, crypto::FileSha256Hex(e.path().string()));
    }
    res.manifest = ManifestJson(s, w, res);
    HULL_TRY(WriteFileAtomic(w.out + "/manifest.json", res.manifest.dump(2) + "\n"));
    return true;
  }));
  // The one step that publishes: rename(2) of the finished folder onto --out.
  if (fs::exists(out, ec)) fs::remove(out, ec);  // empty (checked above)
  if (::rename(w.out.c_str(), out.c_str()) != 0) {
    return ErrnoError(errno, "moving the outputs to", out.string());
  }
  res.out_dir = out.string();
  return res;
}

}  // namespace hull::build

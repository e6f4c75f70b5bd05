#include "build/artifacts.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "build/plan.h"
#include "pe/authenticode.h"
#include "pkcs11/key_ref.h"
#include "rootfs/selinux.h"
#include "uki/measure.h"
#include "uki/uki.h"
#include "verity/signature.h"
#include "verity/tree.h"

namespace hull::build {
namespace fs = std::filesystem;

namespace {
constexpr uint64_t kMaxEfiBytes = uint64_t(512) << 20;

Status SetMtime(const std::string& path, int64_t epoch) {
  struct timespec ts[2] = {{time_t(epoch), 0}, {time_t(epoch), 0}};
  if (utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "setting the mtime of", path);
  }
  return {};
}

Status ClampTree(const std::string& dir, int64_t epoch) {
  std::error_code ec;
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    paths.push_back(it->path().string());
  }
  if (ec) return Errorf(ErrorCode::kIo, "walking '{}': {}", dir, ec.message());
  // Deepest first, so setting a file's time does not disturb its directory's.
  std::sort(paths.rbegin(), paths.rend());
  for (const auto& p : paths) HULL_TRY(SetMtime(p, epoch));
  return SetMtime(dir, epoch);
}
}  // namespace

namespace {
Status CheckKeyFiles(const std::string& dir, std::initializer_list<const char*> files) {
  for (const char* f : files) {
    std::error_code ec;
    if (!fs::exists(dir + "/" + f, ec)) {
      return Errorf(ErrorCode::kNotFound,
                    "signing key '{}/{}' is missing (make a key directory with 'hull keys init "
                    "DIR')",
                    dir, f);
    }
  }
  return {};
}
}  // namespace

Result<SigningKeys> LoadCertificates(const std::string& dir, bool need_keys) {
  if (need_keys) {
    HULL_TRY(CheckKeyFiles(dir, {"db.key", "db.crt", "verity.key", "verity.crt"}));
  } else {
    HULL_TRY(CheckKeyFiles(dir, {"db.crt", "verity.crt"}));
  }
  HULL_ASSIGN_OR_RETURN(auto db_cert, crypto::Certificate::Load(dir + "/db.crt"));
  HULL_ASSIGN_OR_RETURN(auto v_cert, crypto::Certificate::Load(dir + "/verity.crt"));
  return SigningKeys{std::move(db_cert), std::move(v_cert)};
}

Result<crypto::KeySigner> LoadKeySigner(const std::string& dir) {
  HULL_TRY(CheckKeyFiles(dir, {"db.key", "verity.key"}));
  crypto::KeySigner signer;
  for (const char* f : {"/db.key", "/verity.key"}) {
    HULL_ASSIGN_OR_RETURN(auto key, pkcs11::LoadPrivateKey(dir + f));
    signer.Add(std::move(key));
  }
  return signer;
}

Result<SealResult> Seal(const spec::ImageSpec& spec, const std::string& usr_image,
                        const SigningKeys& keys, const std::string& work) {
  verity::VerityParams p;
  p.salt = VeritySalt(spec.name, spec.version);
  p.uuid = VeritySuperblockUuid(spec.name, spec.version);
  return SealWith(p, usr_image, keys, work);
}

Result<SealResult> SealWith(const verity::VerityParams& p, const std::string& usr_image,
                            const SigningKeys& keys, const std::string& work) {
  SealResult r;
  r.verity_image = work + "/usr.verity";
  r.signature_image = work + "/usr.verity-sig";
  HULL_ASSIGN_OR_RETURN(File data, File::OpenRead(usr_image));
  HULL_ASSIGN_OR_RETURN(File hash, File::CreateNew(r.verity_image));
  HULL_ASSIGN_OR_RETURN(auto fr, verity::FormatTree(data, hash, p));
  HULL_TRY(hash.Sync());
  r.root_hash = fr.root_hash;
  HULL_ASSIGN_OR_RETURN(r.verity_bytes, hash.Size());
  HULL_ASSIGN_OR_RETURN(Bytes sig, verity::SignRootHash(r.root_hash, keys.verity_cert, *keys.signer,
                                                        {.name = "usr-verity", .role = "verity"}));
  HULL_ASSIGN_OR_RETURN(Bytes part,
                        verity::EncodeSignaturePartition(r.root_hash, sig, keys.verity_cert));
  HULL_TRY(WriteFileAtomic(r.signature_image, part));
  return r;
}

Result<KernelFiles> FindKernel(const std::string& tree) {
  std::error_code ec;
  std::vector<std::string> versions;
  for (const auto& e : fs::directory_iterator(tree + "/usr/lib/modules", ec)) {
    if (e.is_directory(ec)) versions.push_back(e.path().filename().string());
  }
  std::sort(versions.begin(), versions.end());
  for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
    const std::string mods = tree + "/usr/lib/modules/" + *v;
    for (const std::string& k : {mods + "/vmlinuz", tree + "/boot/vmlinuz-" + *v}) {
      if (fs::is_regular_file(k, ec)) return KernelFiles{*v, k, mods};
    }
  }
  return Errorf(ErrorCode::kNotFound,
                "the composed tree has no kernel (/usr/lib/modules/<ver>/vmlinuz or "
                "/boot/vmlinuz-<ver>): add a linux-image-* package to the spec's packages");
}

Result<UkiResult> MakeUki(const spec::ImageSpec& spec, const std::string& tree,
                          const KernelFiles& kernel, const std::string& initrd,
                          const std::string& root_hash_hex, const std::string& root_template_hex,
                          const std::string& stub, const SigningKeys& keys,
                          const std::string& out) {
  UkiResult r;
  r.cmdline = KernelCmdline(spec, root_hash_hex, root_template_hex);
  uki::UkiInputs in;
  HULL_ASSIGN_OR_RETURN(in.machine, pe::MachineOfArch(spec.arch));
  HULL_ASSIGN_OR_RETURN(
      in.stub,
      ReadFileBytes(stub, kMaxEfiBytes).Context("systemd-stub (apt-get install systemd-boot-efi)"));
  HULL_ASSIGN_OR_RETURN(in.linux_image, ReadFileBytes(kernel.vmlinuz, kMaxEfiBytes));
  HULL_ASSIGN_OR_RETURN(Bytes rd, ReadFileBytes(initrd, kMaxEfiBytes));
  in.initrds.push_back(std::move(rd));
  in.cmdline.assign(r.cmdline.begin(), r.cmdline.end());
  HULL_ASSIGN_OR_RETURN(in.os_release, ReadFileBytes(tree + "/usr/lib/os-release", 1 << 20));
  in.uname.assign(kernel.version.begin(), kernel.version.end());
  HULL_ASSIGN_OR_RETURN(Bytes unsigned_uki, uki::BuildUki(in));
  return SignUki(unsigned_uki, r.cmdline, keys, out);
}

Result<UkiResult> SignUki(ByteSpan unsigned_uki, const std::string& cmdline,
                          const SigningKeys& keys, const std::string& out) {
  HULL_ASSIGN_OR_RETURN(Bytes signed_uki, pe::SignImage(unsigned_uki, keys.db_cert, *keys.signer,
                                                        {.name = "uki", .role = "db"})
                                              .Context("signing"));
  HULL_ASSIGN_OR_RETURN(auto pred, uki::PredictPcr11(signed_uki, crypto::DigestAlgorithm::kSha256,
                                                     uki::kDefaultPhasePaths));
  UkiResult r{.path = out, .cmdline = cmdline, .pcr11 = {}, .bytes = signed_uki.size()};
  for (const auto& [phase, value] : pred.phases) r.pcr11.emplace_back(phase, HexEncode(value));
  HULL_TRY(WriteFileAtomic(out, signed_uki));
  return r;
}

Result<uint64_t> MakeEspTree(const std::string& systemd_boot, const std::string& uki,
                             const std::string& uki_name, const SigningKeys& keys,
                             const std::string& dir, int64_t epoch, std::string_view boot_path) {
  std::error_code ec;
  for (const char* d : {"/EFI/BOOT", "/EFI/Linux", "/loader"}) {
    if (!fs::create_directories(dir + d, ec) && ec) {
      return Errorf(ErrorCode::kIo, "creating '{}{}': {}", dir, d, ec.message());
    }
  }
  HULL_ASSIGN_OR_RETURN(Bytes boot,
                        ReadFileBytes(systemd_boot, kMaxEfiBytes)
                            .Context("systemd-boot (apt-get install systemd-boot-efi)"));
  HULL_ASSIGN_OR_RETURN(Bytes signed_boot, pe::SignImage(boot, keys.db_cert, *keys.signer,
                                                         {.name = "systemd-boot", .role = "db"})
                                               .Context("systemd-boot"));
  HULL_TRY(WriteFileAtomic(dir + std::string(boot_path), signed_boot));
  fs::copy_file(uki, dir + "/EFI/Linux/" + uki_name, ec);
  if (ec) return Errorf(ErrorCode::kIo, "copying the UKI: {}", ec.message());
  const std::string conf = "timeout 0\n";
  HULL_TRY(WriteFileAtomic(dir + "/loader/loader.conf", conf));
  HULL_TRY(ClampTree(dir, epoch));
  return uint64_t(signed_boot.size() + fs::file_size(uki, ec) + conf.size());
}

std::vector<std::string> MkfsExt4Argv(const std::string& image, const std::string& dir,
                                      const std::string& uuid) {
  // 4 KiB blocks and the default inode ratio, whatever the size: mke2fs.conf
  // makes a file system under 512 MiB "small" (1 KiB blocks), and the root
  // is grown online to the node's disk at first boot (docs/init.md).
  std::vector<std::string> argv = {"mkfs.ext4", "-q", "-F", "-b", "4096", "-T", "default"};
  for (const std::string& a :
       {std::string("-L"), std::string("root"), std::string("-U"), uuid, std::string("-E"),
        "hash_seed=" + uuid + ",root_owner=0:0", std::string("-d"), dir, image})
    argv.push_back(a);
  return argv;
}

namespace {

// "/" and every path under `dir`, as the node sees them, sorted.
Result<std::vector<std::string>> TreePaths(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> paths = {"/"};
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    paths.push_back("/" + fs::relative(it->path(), dir, ec).string());
  }
  if (ec) return Errorf(ErrorCode::kIo, "walking '{}': {}", dir, ec.message());
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace

Result<std::string> CtimeScript(const std::string& dir, int64_t epoch) {
  HULL_ASSIGN_OR_RETURN(auto paths, TreePaths(dir));
  std::string script;
  for (const auto& p : paths) script += fmt::format("set_inode_field {} ctime @{}\n", p, epoch);
  return script;
}

Result<std::string> LabelScript(const std::string& dir, const std::string& policy_file_contexts) {
  HULL_ASSIGN_OR_RETURN(auto paths, TreePaths(dir));
  std::vector<rootfs::LabelRequest> requests;
  for (const auto& p : paths) {
    struct stat st {};
    if (lstat((dir + p).c_str(), &st) != 0) {
      return Errorf(ErrorCode::kIo, "lstat '{}{}': {}", dir, p, std::strerror(errno));
    }
    // The /etc overlay's upper and work directories stand for /etc.
    bool etc = p.starts_with(std::string("/") + kEtcOverlayDir + "/");
    requests.push_back({.path = p, .mode = st.st_mode & S_IFMT, .lookup = etc ? "/etc" : ""});
  }
  HULL_ASSIGN_OR_RETURN(auto labels, rootfs::LookupLabels(policy_file_contexts, requests));
  std::string script;
  for (const auto& [path, con] : labels) {
    script += fmt::format("ea_set {} security.selinux {}\n", path, con);
  }
  return script;
}

Status MakeRoot(const spec::ImageSpec& spec, uint64_t size, const std::string& work,
                const std::string& image, int64_t epoch, const std::string& policy_file_contexts) {
  const std::string dir = work + "/root-tree";
  std::error_code ec;
  for (const auto& d : RootDirectories()) {
    fs::create_directories(dir + "/" + d, ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating '{}/{}': {}", dir, d, ec.message());
  }
  fs::permissions(dir + "/tmp", fs::perms(01777), ec);
  fs::permissions(dir + "/var/tmp", fs::perms(01777), ec);
  fs::permissions(dir + "/root", fs::perms(0700), ec);
  for (const char* d : {"upper", "work"}) {
    fs::create_directories(fmt::format("{}/{}/{}", dir, kEtcOverlayDir, d), ec);
    if (ec)
      return Errorf(ErrorCode::kIo, "creating the /etc overlay in '{}': {}", dir, ec.message());
  }
  for (const char* l : {"bin", "sbin", "lib", "lib64"}) {
    fs::create_symlink(std::string("usr/") + l, dir + "/" + l, ec);
    if (ec) return Errorf(ErrorCode::kIo, "linking '{}/{}': {}", dir, l, ec.message());
  }
  HULL_TRY(ClampTree(dir, epoch));
  {
    HULL_ASSIGN_OR_RETURN(File f, File::CreateNew(image));
    HULL_TRY(f.Truncate(size));
  }
  const std::string uuid = RootFilesystemUuid(spec.name, spec.version).ToString();
  const std::vector<std::string> env = {fmt::format("E2FSPROGS_FAKE_TIME={}", epoch),
                                        fmt::format("SOURCE_DATE_EPOCH={}", epoch)};
  HULL_TRY(Run(Command{.argv = MkfsExt4Argv(image, dir, uuid),
                       .env = env,
                       .install_hint = "apt-get install e2fsprogs"})
               .Context("mkfs.ext4"));
  // mkfs.ext4 -d copies each source inode's ctime, which no one can set on
  // the host: set it to the epoch in the image (debugfs, same e2fsprogs).
  HULL_ASSIGN_OR_RETURN(std::string script, CtimeScript(dir, epoch));
  if (!policy_file_contexts.empty()) {
    HULL_ASSIGN_OR_RETURN(std::string labels, LabelScript(dir, policy_file_contexts));
    script += labels;
  }
  HULL_TRY(WriteFileAtomic(work + "/root.debugfs", script));
  HULL_TRY(Run(Command{.argv = {"debugfs", "-w", "-f", work + "/root.debugfs", image},
                       .env = env,
                       .install_hint = "apt-get install e2fsprogs"})
               .Context("debugfs"));
  return {};
}

}  // namespace hull::build

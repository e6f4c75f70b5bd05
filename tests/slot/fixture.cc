#include "slot/fixture.h"

#include <filesystem>
#include <random>

#include "base/hex.h"
#include "build/plan.h"
#include "crypto/digest.h"
#include "disk/image.h"
#include "release/publish.h"
#include "rootfs/erofs.h"
#include "slot/payload.h"
#include "tuf/fetcher.h"
#include "tuf/repository.h"
#include "uki/uki.h"
#include "verity/signature.h"
#include "verity/tree.h"

namespace hull::slot::testing {
namespace fs = std::filesystem;

std::string KernelPath() {
  std::error_code ec;
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator("/boot", ec))
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) found.push_back(e.path());
  std::sort(found.begin(), found.end());
  return found.empty() ? "" : found.back();
}

Status CopyImage(const std::string& from, const std::string& to) {
  HULL_ASSIGN_OR_RETURN(File src, File::OpenRead(from));
  HULL_ASSIGN_OR_RETURN(uint64_t size, src.Size());
  std::remove(to.c_str());
  HULL_ASSIGN_OR_RETURN(File dst, File::CreateNew(to));
  HULL_TRY(dst.Truncate(size));
  return disk::CopySparse(src, size, dst, 0);
}

Result<std::unique_ptr<Inputs>> Inputs::Create() {
  std::error_code ec;
  std::string parent = fs::is_directory("/dev/shm", ec) ? "/dev/shm" : "";
  HULL_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("hull-slot-test", parent));
  HULL_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048));
  crypto::CertificateOptions co;
  co.common_name = "Hull test verity";
  HULL_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::CreateSelfSigned(key, co));
  HULL_TRY(WriteFileAtomic(dir.path() + "/verity.crt", cert.ToPem()));
  return std::unique_ptr<Inputs>(new Inputs(std::move(dir), std::move(key), std::move(cert)));
}

Result<Release> Inputs::MakeRelease(const std::string& version, uint64_t kib, bool real_kernel,
                                    const std::string& content, const std::string& arch) {
  const bool arm64 = arch == "arm64";
  if (arm64) real_kernel = false;
  Release r;
  r.version = version;
  r.dir = dir() + "/release-" + version + (arm64 ? "-arm64" : "");
  const std::string tree = dir() + "/tree-" + version + (arm64 ? "-arm64" : "");
  std::error_code ec;
  fs::create_directories(tree + "/lib", ec);
  fs::create_directories(r.dir, ec);
  const std::string level = sysext_level.empty() ? "" : "SYSEXT_LEVEL=" + sysext_level + "\n";
  HULL_TRY(WriteFileAtomic(tree + "/lib/os-release",
                           "ID=hull\nNAME=Hull\nIMAGE_VERSION=" + version + "\n" + level));
  std::mt19937 rng(uint32_t(std::hash<std::string>{}(content.empty() ? version : content)));
  std::mt19937 own(uint32_t(std::hash<std::string>{}(version)));
  for (uint64_t i = 0; i * 64 < kib; ++i) {
    Bytes data(64 * 1024);
    for (auto& b : data) b = uint8_t(rng());
    if (i == 0 && !content.empty())
      for (auto& b : data) b = uint8_t(own());
    HULL_TRY(WriteFileAtomic(fmt::format("{}/lib/blob{:03}", tree, i), data));
  }
  rootfs::ErofsOptions eo;
  eo.source_dir = tree;
  eo.output = r.dir + "/" + kUsrFile;
  eo.timestamp = 1764028800;
  eo.uuid = rootfs::UsrFilesystemUuid("HullSlotTest", version);
  HULL_TRY(rootfs::PackErofs(eo));

  verity::VerityParams vp;
  vp.salt = build::VeritySalt("HullSlotTest", version);
  vp.uuid = build::VeritySuperblockUuid("HullSlotTest", version);
  HULL_ASSIGN_OR_RETURN(File data, File::OpenRead(r.dir + "/" + kUsrFile));
  HULL_ASSIGN_OR_RETURN(File hash, File::CreateNew(r.dir + "/" + kVerityFile));
  HULL_ASSIGN_OR_RETURN(auto fr, verity::FormatTree(data, hash, vp));
  HULL_TRY(hash.Sync());
  r.root_hash = HexEncode(fr.root_hash);
  HULL_ASSIGN_OR_RETURN(Bytes sig, verity::SignRootHash(fr.root_hash, key_, cert_));
  HULL_ASSIGN_OR_RETURN(Bytes part, verity::EncodeSignaturePartition(fr.root_hash, sig, cert_));
  HULL_TRY(WriteFileAtomic(r.dir + "/" + kSignatureFile, part));

  uki::UkiInputs in;
  HULL_ASSIGN_OR_RETURN(in.stub, ReadFileBytes(arm64 ? kStubArm64 : kStub));
  in.machine = arm64 ? pe::kMachineArm64 : pe::kMachineAmd64;
  if (real_kernel) {
    HULL_ASSIGN_OR_RETURN(in.linux_image, ReadFileBytes(KernelPath()));
  } else {
    in.linux_image.resize(64 * 1024);
    for (auto& b : in.linux_image) b = uint8_t(rng());
  }
  in.initrds.push_back(Bytes(4096, 0x5a));
  std::string cmdline = "usrhash=" + r.root_hash + " mount.usrfstype=erofs mount.usrflags=ro rw";
  in.cmdline.assign(cmdline.begin(), cmdline.end());
  std::string osrel = "ID=hull\nNAME=Hull\nIMAGE_VERSION=" + version + "\n" + level;
  in.os_release.assign(osrel.begin(), osrel.end());
  HULL_ASSIGN_OR_RETURN(Bytes uki, uki::BuildUki(in));
  HULL_TRY(WriteFileAtomic(r.dir + "/" + kUkiFile, uki));
  HULL_TRY(WriteManifest(r.dir, version, r.root_hash));
  return r;
}

Result<std::string> Inputs::MakeDisk(const Release& r, const std::string& name, uint64_t usr_bytes,
                                     const std::string& arch) {
  const bool arm64 = arch == "arm64";
  const std::string esp = dir() + "/esp-" + name;
  std::error_code ec;
  fs::create_directories(esp + "/EFI/BOOT", ec);
  fs::create_directories(esp + "/EFI/Linux", ec);
  fs::create_directories(esp + "/loader", ec);
  const char* boot = arm64 ? kBootEfiArm64 : kBootEfi;
  fs::copy_file(boot, esp + (arm64 ? "/EFI/BOOT/BOOTAA64.EFI" : "/EFI/BOOT/BOOTX64.EFI"), ec);
  if (ec) return ErrnoError(ec.value(), "copying", boot);
  fs::copy_file(r.dir + "/" + kUkiFile, esp + "/EFI/Linux/" + build::UkiFileName(r.version), ec);
  HULL_TRY(WriteFileAtomic(esp + "/loader/loader.conf", "timeout 0\n"));
  build::LayoutInputs li;
  li.name = "HullSlotTest";
  li.version = r.version;
  li.arch = arm64 ? gpt::Arch::kArm64 : gpt::Arch::kX86_64;
  const uint64_t mib = 1 << 20;
  li.sizes = {.esp = 64 << 20,
              .usr = usr_bytes,
              .verity = std::max(mib, (usr_bytes / 64 + mib - 1) / mib * mib),
              .signature = 1 << 20,
              .root = 1 << 20};
  li.esp_dir = esp;
  li.usr_image = r.dir + "/" + kUsrFile;
  li.verity_image = r.dir + "/" + kVerityFile;
  li.signature_image = r.dir + "/" + kSignatureFile;
  HULL_ASSIGN_OR_RETURN(Bytes root, HexDecode(r.root_hash));
  li.root_hash = root;
  HULL_ASSIGN_OR_RETURN(disk::Layout layout, build::BuildLayout(li));
  disk::CreateOptions co;
  co.out = dir() + "/" + name + ".raw";
  co.source_date_epoch = 1764028800;
  HULL_TRY(disk::CreateDisk(layout, co));
  return co.out;
}

Result<PublishedRepository> PublishRepository(const Inputs& inputs,
                                              const std::vector<std::string>& payload_dirs,
                                              unsigned deltas) {
  PublishedRepository r{inputs.dir() + "/repo", inputs.dir() + "/keys"};
  HULL_ASSIGN_OR_RETURN(auto keys, tuf::RoleKeySet::Load(r.keydir, true));
  HULL_TRY(tuf::Repository::Init(r.dir, keys));
  release::PublishOptions o;
  o.deltas = deltas;
  o.delta_level = 3;
  o.chunk_level = 3;
  for (const std::string& dir : payload_dirs)
    HULL_TRY(release::PublishRelease(r.dir, keys, dir, o));
  return r;
}

Result<UpdatingNode> OpenUpdatingNode(const std::string& repo_dir, const std::string& base,
                                      const std::string& image) {
  HULL_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(repo_dir + "/1.root.json"));
  HULL_ASSIGN_OR_RETURN(tuf::Client client, tuf::Client::Create(tuf::MakeFetcher(base), root, ""));
  HULL_ASSIGN_OR_RETURN(OpenedDisk opened, OpenDisk(image, true));
  return UpdatingNode{std::move(client), std::move(opened)};
}

}  // namespace hull::slot::testing

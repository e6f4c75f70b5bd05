#include "build/plan.h"

#include <fmt/format.h>

#include <ctime>
#include <set>

#include "crypto/digest.h"
#include "disk/image.h"
#include "gpt/attributes.h"
#include "gpt/dps.h"
#include "gpt/types.h"
#include "node/arch.h"
#include "node/usrhash.h"
#include "pe/pe.h"
#include "verity/params.h"

namespace hull::build {

namespace {

Bytes Derive(std::string_view purpose, const std::string& name, const std::string& version) {
  std::string material(purpose);
  material += '\0';
  material += name;
  material += '\0';
  material += version;
  return crypto::Sha256(AsBytes(material));
}

Uuid V8Uuid(Bytes d) {
  d.resize(16);
  d[6] = uint8_t((d[6] & 0x0f) | 0x80);  // version 8 (custom, RFC 9562 5.8)
  d[8] = uint8_t((d[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return Uuid::FromBytes(d);
}

uint64_t RoundUpMiB(uint64_t n) { return (n + kMiB - 1) / kMiB * kMiB; }

}  // namespace

Bytes VeritySalt(const std::string& name, const std::string& version) {
  return Derive("hull-verity-salt", name, version);
}

Uuid VeritySuperblockUuid(const std::string& name, const std::string& version) {
  return V8Uuid(Derive("hull-verity-uuid", name, version));
}

Uuid RootFilesystemUuid(const std::string& name, const std::string& version) {
  return V8Uuid(Derive("hull-root-uuid", name, version));
}

std::string LayoutSeed(const std::string& name, const std::string& version) {
  return name + "-" + version;
}

Result<int64_t> SourceDateEpochForVersion(const std::string& version) {
  HULL_TRY(spec::ValidateVersion(version).Context("version"));
  std::tm tm{};
  tm.tm_year = std::stoi(version.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(version.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(version.substr(7, 2));
  return int64_t(timegm(&tm));
}

std::string KernelCmdline(const spec::ImageSpec& spec, const std::string& root_hash_hex,
                          const std::string& root_template_hex) {
  std::vector<std::string> words = {
      "usrhash=" + root_hash_hex,
      std::string(node::kRootTemplateOption) + "=" + root_template_hex,
      "mount.usrfstype=erofs",
      "mount.usrflags=ro",
      "rw",
      "lockdown=integrity",
      std::string("panic=") + std::to_string(kPanicRebootSeconds)};
  bool has_console = false;
  for (const auto& w : spec.kernel.cmdline) has_console |= w.starts_with("console=");
  if (!has_console) words.push_back("console=ttyS0");
  words.insert(words.end(), spec.kernel.cmdline.begin(), spec.kernel.cmdline.end());
  switch (spec.selinux) {
    case spec::SelinuxMode::kEnforcing:
      words.insert(words.end(), {"security=selinux", "selinux=1", "enforcing=1"});
      break;
    case spec::SelinuxMode::kPermissive:
      words.insert(words.end(), {"security=selinux", "selinux=1", "enforcing=0"});
      break;
    case spec::SelinuxMode::kDisabled:
      words.push_back("selinux=0");
      break;
  }
  std::set<std::string> seen;
  std::string out;
  for (const auto& w : words) {
    if (!seen.insert(w).second) continue;
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::string UkiFileName(const std::string& version, uint32_t tries) {
  return "hull_" + version + "+" + std::to_string(tries) + ".efi";
}

std::string OutputStem(const spec::ImageSpec& spec) { return spec.name + "_" + spec.version; }

Result<PartitionSizes> ComputeSizes(const spec::Partitions& s, uint64_t erofs_bytes,
                                    uint64_t esp_content_bytes) {
  PartitionSizes p;
  if (s.usr != 0 && s.usr < erofs_bytes) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "partitions.usr is {} bytes but the /usr image needs {}", s.usr, erofs_bytes);
  }
  p.usr = s.usr != 0 ? RoundUpMiB(s.usr) : RoundUpMiB(erofs_bytes + erofs_bytes / 4);
  verity::VerityParams vp;
  vp.data_blocks = p.usr / vp.data_block_size;
  vp.salt = Bytes(32, 0);
  HULL_ASSIGN_OR_RETURN(auto geo, verity::ComputeGeometry(vp));
  p.verity = RoundUpMiB(geo.hash_end_bytes());
  p.signature = kSignaturePartitionBytes;
  uint64_t esp_need = RoundUpMiB(2 * esp_content_bytes + 16 * kMiB);
  if (s.esp != 0 && s.esp < esp_content_bytes) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "partitions.esp is {} bytes but the ESP content needs {}", s.esp,
                  esp_content_bytes);
  }
  p.esp = s.esp != 0 ? RoundUpMiB(std::max(s.esp, kMinEspBytes)) : std::max(kMinEspBytes, esp_need);
  p.root = RootBytes(s);
  return p;
}

uint64_t RootBytes(const spec::Partitions& s) {
  return s.root != 0 ? RoundUpMiB(s.root) : kDefaultRootBytes;
}

namespace {

Result<disk::PartitionSpec> Part(gpt::Arch arch, std::string_view type, std::string label,
                                 uint64_t size, std::string content) {
  disk::PartitionSpec p;
  HULL_ASSIGN_OR_RETURN(p.type, gpt::ParseType(type, arch));
  p.label = std::move(label);
  p.size = size;
  p.content = std::move(content);
  return p;
}

}  // namespace

Result<gpt::Arch> GptArchOf(std::string_view debian_arch) {
  if (const node::ArchNames* a = node::ArchOfDebian(debian_arch)) return a->gpt;
  return Errorf(ErrorCode::kInvalidArgument, "unknown arch '{}' (allowed: amd64, arm64)",
                debian_arch);
}

Result<EfiFiles> EfiFilesOf(std::string_view debian_arch) {
  constexpr std::string_view kDir = "/usr/lib/systemd/boot/efi/";
  HULL_ASSIGN_OR_RETURN(uint16_t machine, pe::MachineOfArch(debian_arch));
  // systemd's name of the EFI architecture
  const std::string_view efi = machine == pe::kMachineArm64 ? "aa64" : "x64";
  return EfiFiles{.systemd_boot = fmt::format("{}systemd-boot{}.efi", kDir, efi),
                  .systemd_stub = fmt::format("{}linux{}.efi.stub", kDir, efi),
                  .boot_path = fmt::format("/EFI/BOOT/{}", pe::RemovableBootFile(machine))};
}

Result<disk::Layout> BuildLayout(const LayoutInputs& in) {
  disk::Layout l;
  l.seed = LayoutSeed(in.name, in.version);
  l.sector_size = 512;
  const auto& s = in.sizes;
  HULL_ASSIGN_OR_RETURN(auto esp, Part(in.arch, "esp", "ESP", s.esp, ""));
  esp.content_dir = in.esp_dir;
  esp.format = "vfat";
  HULL_ASSIGN_OR_RETURN(auto uuids, gpt::DpsVerityUuids(in.root_hash));
  const std::string usr_label = "usr_" + in.version;
  HULL_ASSIGN_OR_RETURN(auto usr, Part(in.arch, "usr", usr_label, s.usr, in.usr_image));
  HULL_ASSIGN_OR_RETURN(
      auto ver, Part(in.arch, "usr-verity", usr_label + "_verity", s.verity, in.verity_image));
  HULL_ASSIGN_OR_RETURN(auto sig, Part(in.arch, "usr-verity-sig", usr_label + "_verity_sig",
                                       s.signature, in.signature_image));
  usr.uuid = uuids.data;
  ver.uuid = uuids.verity;
  for (auto* p : {&usr, &ver, &sig}) p->attributes = gpt::kAttrReadOnly;
  HULL_ASSIGN_OR_RETURN(auto usr_b, Part(in.arch, "usr", "_empty", s.usr, ""));
  HULL_ASSIGN_OR_RETURN(auto ver_b, Part(in.arch, "usr-verity", "_empty", s.verity, ""));
  HULL_ASSIGN_OR_RETURN(auto sig_b, Part(in.arch, "usr-verity-sig", "_empty", s.signature, ""));
  HULL_ASSIGN_OR_RETURN(auto root, Part(in.arch, "root", "root", s.root, in.root_image));
  root.attributes = gpt::kAttrGrowFs;
  l.partitions = {esp, usr, ver, sig, usr_b, ver_b, sig_b, root};
  return l;
}

const std::vector<std::string>& RootDirectories() {
  static const std::vector<std::string> kDirs = {"dev", "efi",  "etc",  "home", "mnt",
                                                 "opt", "proc", "root", "run",  "srv",
                                                 "sys", "tmp",  "usr",  "var",  "var/tmp"};
  return kDirs;
}

}  // namespace hull::build

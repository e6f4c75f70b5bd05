#include "inspect/esp.h"

#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <set>
#include <sstream>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/key.h"
#include "gpt/types.h"
#include "inspect/checks.h"
#include "node/kernel_cmdline.h"
#include "node/os_release.h"
#include "node/usrhash.h"
#include "pe/authenticode.h"
#include "pe/pe.h"
#include "uki/measure.h"

namespace hull::inspect {
namespace {

constexpr uint64_t kMaxUkiBytes = uint64_t(512) << 20;

std::string SectionText(ByteSpan file, const pe::PeImage& img, std::string_view name) {
  const pe::Section* s = img.FindSection(name);
  if (!s) return "";
  uint64_t len = std::min(s->virtual_size, s->size_of_raw_data);
  uint64_t end = 0;
  if (!CheckedAdd(s->pointer_to_raw_data, len, &end) || end > file.size()) return "";
  std::string text(reinterpret_cast<const char*>(file.data()) + s->pointer_to_raw_data, len);
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n')) text.pop_back();
  return text;
}

// Subject of the first certificate embedded in an Authenticode PKCS#7.
std::string EmbeddedSigner(ByteSpan pkcs7) {
  const unsigned char* p = pkcs7.data();
  PKCS7* p7 = d2i_PKCS7(nullptr, &p, long(pkcs7.size()));
  std::string out;
  if (p7 && PKCS7_type_is_signed(p7) && p7->d.sign->cert && sk_X509_num(p7->d.sign->cert) > 0) {
    char buf[512];
    X509_NAME_oneline(X509_get_subject_name(sk_X509_value(p7->d.sign->cert, 0)), buf, sizeof buf);
    out = buf;
  }
  PKCS7_free(p7);
  crypto::OpenSslErrors();
  return out;
}

Command Mtools(const std::string& tool, const std::string& image, uint64_t offset,
               std::vector<std::string> args) {
  Command c;
  c.argv = {tool, "-i", fmt::format("{}@@{}", image, offset)};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.env = {"MTOOLS_SKIP_CHECK=1"};
  c.timeout = std::chrono::seconds(60);
  c.install_hint = "apt-get install mtools";
  return c;
}

void CheckSecureBoot(Report& report, const std::string& what, ByteSpan file,
                     const Options& options) {
  std::string name = what + ": Secure Boot signature";
  auto cert = CertificateFor(report, name, options.db_cert, "--db-cert");
  if (!cert) return;
  auto v = pe::VerifyImage(file, *cert);
  Add(report, name, v.ok() ? CheckState::kPass : CheckState::kFail,
      v.ok() ? "signed by " + v->signer : v.error().ToString());
}

void CheckUsrhash(Report& report, const UkiInfo& uki) {
  std::string name = uki.path + ": usrhash names a verified slot";
  if (!uki.usrhash_error.empty()) {
    Add(report, name, CheckState::kFail, uki.usrhash_error);
    return;
  }
  if (uki.usrhash.empty()) {
    Add(report, name, CheckState::kFail, "the command line has no usrhash=");
    return;
  }
  for (const auto& s : report.slots) {
    if (!s.empty && s.root_hash == uki.usrhash) {
      Add(report, name, CheckState::kPass, "slot " + s.label);
      return;
    }
  }
  Add(report, name, CheckState::kFail, "no usr slot has root hash " + uki.usrhash);
}

// A removable-media boot loader is a PE of the machine its name is for: a
// firmware of the other machine would never start it.
void CheckLoaderMachine(Report& report, const std::string& path, ByteSpan file) {
  const std::string name = path.substr(path.rfind('/') + 1);
  const uint16_t want = pe::MachineOfRemovableBootFile(name);
  auto img = pe::ParsePe(file);
  std::string name_check = path + ": machine";
  if (!img.ok()) {
    Add(report, name_check, CheckState::kFail, img.error().ToString());
    return;
  }
  if (img->machine == want) {
    Add(report, name_check, CheckState::kPass,
        fmt::format("{}, as {} says", pe::MachineName(img->machine), name));
  } else {
    Add(report, name_check, CheckState::kFail,
        fmt::format("{} in {}, the {} firmware's file name", pe::MachineName(img->machine), name,
                    pe::MachineName(want)));
  }
}

// A UKI's machine has its firmware's boot loader on the ESP: an arm64 image
// needs /EFI/BOOT/BOOTAA64.EFI.
void CheckLoaderFor(Report& report, const UkiInfo& uki, ByteSpan file,
                    const std::set<uint16_t>& loaders) {
  auto img = pe::ParsePe(file);
  if (!img.ok()) return;  // DescribeUki parsed it: cannot happen
  const std::string name = uki.path + ": boot loader";
  const std::string_view loader = pe::RemovableBootFile(img->machine);
  if (loader.empty()) {
    Add(report, name, CheckState::kFail,
        fmt::format("{}: no firmware boot path is known for it", uki.machine));
  } else if (loaders.contains(img->machine)) {
    Add(report, name, CheckState::kPass, fmt::format("/EFI/BOOT/{} for {}", loader, uki.machine));
  } else {
    Add(report, name, CheckState::kFail,
        fmt::format("no /EFI/BOOT/{} on the ESP: {} firmware finds no boot loader", loader,
                    uki.machine));
  }
}

}  // namespace

Result<UkiInfo> DescribeUki(ByteSpan file) {
  HULL_ASSIGN_OR_RETURN(pe::PeImage img, pe::ParsePe(file));
  UkiInfo u;
  u.size = file.size();
  u.machine = pe::MachineName(img.machine);
  u.coff_machine = img.machine;
  node::OsRelease osrel = node::ParseOsRelease(SectionText(file, img, ".osrel"));
  u.version = osrel["IMAGE_VERSION"];
  if (u.version.empty()) u.version = osrel["VERSION_ID"];
  u.pretty_name = osrel["PRETTY_NAME"];
  u.cmdline = SectionText(file, img, ".cmdline");
  if (auto hash = node::UsrHashOfCmdline(u.cmdline); hash.ok())
    u.usrhash = std::move(*hash);
  else if (hash.error().code() != ErrorCode::kNotFound)
    u.usrhash_error = hash.error().ToString();
  u.uname = SectionText(file, img, ".uname");
  if (auto sigs = pe::ExtractSignatures(file, img); sigs.ok()) {
    u.signatures = int(sigs->size());
    if (!sigs->empty()) u.signer = EmbeddedSigner(sigs->front());
  }
  auto pcr = uki::PredictPcr11(file, crypto::DigestAlgorithm::kSha256, uki::kDefaultPhasePaths);
  if (pcr.ok()) {
    u.stub_version = pcr->stub_version;
    u.pcr11 = HexEncode(pcr->after_sections);
    for (const auto& [phase, value] : pcr->phases)
      u.pcr11_phases.emplace_back(phase, HexEncode(value));
  }
  return u;
}

void InspectEsp(const std::string& image, Report& report, const Options& options) {
  const PartitionInfo* esp = nullptr;
  for (const auto& p : report.partitions) {
    auto* t = gpt::LookupTypeGuid(*Uuid::Parse(p.type_guid));
    if (t && t->role == gpt::Role::kEsp) esp = &p;
  }
  if (!esp) {
    Add(report, "esp", CheckState::kSkip, "no EFI system partition");
    return;
  }
  auto tmp = TempDir::Create("hull-inspect");
  if (!tmp.ok()) {
    Add(report, "esp", CheckState::kFail, tmp.error().ToString());
    return;
  }
  std::vector<std::string> files;
  auto listing = RunAllowFailure(Mtools("mdir", image, esp->offset, {"-b", "::/EFI/Linux"}));
  if (listing.ok() && listing->exit_code == 0) {
    std::istringstream in(listing->out);
    for (std::string line; std::getline(in, line);) {
      if (line.size() > 4 && line.compare(line.size() - 4, 4, ".efi") == 0) files.push_back(line);
    }
  }
  // The removable-media boot loaders (UEFI 2.10 §3.5.1.1), of either machine.
  auto boot = RunAllowFailure(Mtools("mdir", image, esp->offset, {"-b", "::/EFI/BOOT"}));
  std::set<uint16_t> loaders;  // the machines whose loader's name is present
  for (uint16_t m : {pe::kMachineAmd64, pe::kMachineArm64}) {
    const std::string path = "::/EFI/BOOT/" + std::string(pe::RemovableBootFile(m));
    if (boot.ok() && boot->exit_code == 0 && boot->out.find(path) != std::string::npos) {
      files.push_back(path);
      loaders.insert(m);
    }
  }
  Add(report, "esp", CheckState::kPass,
      fmt::format("partition {} holds {} EFI binaries", esp->number, files.size()));
  for (const std::string& path : files) {
    std::string local = tmp->path() + "/binary.efi";
    std::remove(local.c_str());
    auto copy = Run(Mtools("mcopy", image, esp->offset, {"-n", path, local}));
    auto bytes =
        copy.ok() ? ReadFileBytes(local, kMaxUkiBytes) : Result<Bytes>(std::move(copy).error());
    std::string shown = path.substr(2);
    if (!bytes.ok()) {
      Add(report, shown, CheckState::kFail, bytes.error().ToString());
      continue;
    }
    CheckSecureBoot(report, shown, *bytes, options);
    if (shown.rfind("/EFI/Linux/", 0) != 0) {
      CheckLoaderMachine(report, shown, *bytes);
      continue;
    }
    auto uki = DescribeUki(*bytes);
    if (!uki.ok()) {
      Add(report, shown, CheckState::kFail, uki.error().ToString());
      continue;
    }
    uki->path = shown;
    CheckUsrhash(report, *uki);
    CheckLoaderFor(report, *uki, *bytes, loaders);
    report.ukis.push_back(std::move(*uki));
  }
}

}  // namespace hull::inspect

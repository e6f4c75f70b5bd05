// hull uki build | hull uki measure
#include <cstdio>

#include "base/file.h"
#include "base/hex.h"
#include "cli.h"
#include "uki/measure.h"
#include "uki/uki.h"

namespace hull::cli {
namespace {

constexpr uint64_t kMaxInput = uint64_t(1) << 31;

struct UkiArgs {
  std::string stub;  // default: Debian's systemd-stub of `arch`
  std::string arch = "amd64";
  std::string linux_image, cmdline, os_release, uname, splash, dtb, out;
  std::vector<std::string> initrds;
  bool cmdline_set = false;
  // measure
  std::string uki;
  std::vector<std::string> phases;
  std::string bank = "sha256";
  bool json = false;
};

Result<Bytes> ReadOptional(const std::string& path) {
  if (path.empty()) return Bytes{};
  return ReadFileBytes(path, kMaxInput);
}

Result<uki::UkiInputs> LoadInputs(const UkiArgs& a) {
  uki::UkiInputs in;
  HULL_ASSIGN_OR_RETURN(in.machine, pe::MachineOfArch(a.arch).Context("--arch"));
  const std::string stub = !a.stub.empty()     ? a.stub
                           : a.arch == "arm64" ? "/usr/lib/systemd/boot/efi/linuxaa64.efi.stub"
                                               : "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
  HULL_ASSIGN_OR_RETURN(in.stub, ReadFileBytes(stub, kMaxInput));
  HULL_ASSIGN_OR_RETURN(in.linux_image, ReadFileBytes(a.linux_image, kMaxInput));
  for (const auto& path : a.initrds) {
    HULL_ASSIGN_OR_RETURN(Bytes b, ReadFileBytes(path, kMaxInput));
    in.initrds.push_back(std::move(b));
  }
  if (!a.cmdline.empty() && a.cmdline[0] == '@') {
    HULL_ASSIGN_OR_RETURN(in.cmdline, ReadFileBytes(a.cmdline.substr(1), 1 << 20));
  } else {
    in.cmdline.assign(a.cmdline.begin(), a.cmdline.end());
  }
  HULL_ASSIGN_OR_RETURN(in.os_release, ReadFileBytes(a.os_release, 1 << 20));
  in.uname.assign(a.uname.begin(), a.uname.end());
  HULL_ASSIGN_OR_RETURN(in.splash, ReadOptional(a.splash));
  HULL_ASSIGN_OR_RETURN(in.dtb, ReadOptional(a.dtb));
  return in;
}

int RunBuild(const UkiArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(uki::UkiInputs in, LoadInputs(a));
    HULL_ASSIGN_OR_RETURN(Bytes out, uki::BuildUki(in));
    HULL_TRY(WriteFileAtomic(a.out, out, 0644));
    std::printf("Wrote %s (%zu bytes, unsigned: sign it with 'hull sign')\n", a.out.c_str(),
                out.size());
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("uki build"));
}

nlohmann::json PredictionJson(const uki::Pcr11Prediction& p) {
  nlohmann::json sections = nlohmann::json::array();
  for (const auto& s : p.sections) {
    sections.push_back({{"name", s.name}, {"size", s.size}, {"digest", HexEncode(s.digest)}});
  }
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& [path, value] : p.phases) {
    phases.push_back({{"phase", path}, {"pcr", 11}, {"hash", HexEncode(value)}});
  }
  return {{"stub_version", p.stub_version},
          {"bank", crypto::DigestName(p.bank)},
          {"sections", sections},
          {"pcr11_after_sections", HexEncode(p.after_sections)},
          {"phases", phases}};
}

int RunMeasure(const UkiArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(auto bank, crypto::ParseDigestAlgorithm(a.bank));
    HULL_ASSIGN_OR_RETURN(Bytes image, ReadFileBytes(a.uki, kMaxInput));
    std::vector<std::string> phases = a.phases;
    if (phases.empty() && a.json) phases = uki::kDefaultPhasePaths;
    HULL_ASSIGN_OR_RETURN(auto p, uki::PredictPcr11(image, bank, phases).Context(a.uki));
    if (a.json) {
      PrintJson(PredictionJson(p));
    } else if (p.phases.empty()) {
      std::printf("%s\n", HexEncode(p.after_sections).c_str());
    } else if (p.phases.size() == 1) {
      std::printf("%s\n", HexEncode(p.phases[0].second).c_str());
    } else {
      for (const auto& [path, value] : p.phases) {
        std::printf("%s\t%s\n", path.c_str(), HexEncode(value).c_str());
      }
    }
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("uki measure"));
}

}  // namespace

void RegisterUki(CLI::App& app, Context& ctx) {
  auto* uki =
      app.add_subcommand("uki", "Unified Kernel Images: build on systemd-stub, predict PCR 11");
  uki->require_subcommand(1);
  auto a = std::make_shared<UkiArgs>();

  auto* b = uki->add_subcommand("build", "Assemble a UKI as systemd's ukify lays it out");
  b->add_option("--arch", a->arch, "amd64 (default) or arm64: the stub must be a PE for it");
  b->add_option("--stub", a->stub,
                "systemd-stub (unsigned; default /usr/lib/systemd/boot/efi/linuxx64.efi.stub, "
                "linuxaa64.efi.stub with --arch arm64)");
  b->add_option("--linux", a->linux_image, "Kernel image (bzImage/PE)")->required();
  b->add_option("--initrd", a->initrds, "Initrd (repeat to concatenate)")->required();
  b->add_option("--cmdline", a->cmdline, "Kernel command line, or @FILE (bytes used as-is)")
      ->required();
  b->add_option("--os-release", a->os_release, "os-release file")->required();
  b->add_option("--uname", a->uname, "uname -r of the kernel (.uname)");
  b->add_option("--splash", a->splash, "BMP splash image (.splash)");
  b->add_option("--dtb", a->dtb, "Devicetree blob (.dtb)");
  b->add_option("--out", a->out, "Output UKI (written atomically)")->required();
  b->footer(
      "Example:\n"
      "  hull uki build --linux /boot/vmlinuz-6.1.0-56-cloud-amd64 --initrd initrd.cpio \\\n"
      "    --cmdline 'console=ttyS0 usrhash=...' --os-release os-release --out hull.efi\n"
      "Sections: .osrel .cmdline .dtb .splash .initrd .uname, then .linux, placed after\n"
      "the stub's last section. Sign the result with 'hull sign'.");
  b->callback([&ctx, a] { ctx.action = [a] { return RunBuild(*a); }; });

  auto* m = uki->add_subcommand("measure", "Predict PCR 11 as systemd-stub measures the UKI");
  m->add_option("UKI", a->uki, "Unified kernel image")->required();
  m->add_option("--phase", a->phases,
                "Boot phase path, e.g. enter-initrd:leave-initrd (repeatable)");
  m->add_option("--bank", a->bank, "PCR bank: sha256 (default), sha1, sha384, sha512");
  m->add_flag("--json", a->json,
              "Print sections, and PCR 11 per phase path (default: the four standard paths)");
  m->footer(
      "Prints PCR 11 in hex: after the UKI sections, or after --phase PATH.\n"
      "Follows the section list of the systemd-stub version inside the UKI.\n"
      "Example: hull uki measure hull.efi --phase enter-initrd");
  m->callback([&ctx, a] { ctx.action = [a] { return RunMeasure(*a); }; });
}

}  // namespace hull::cli

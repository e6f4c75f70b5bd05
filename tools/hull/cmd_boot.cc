// hull boot IMAGE [--validate] [--secure-boot --keys DIR] [--tpm] ...
#include <cstdio>
#include <filesystem>

#include "build/pipeline.h"
#include "cli.h"
#include "vm/boot.h"

namespace hull::cli {
namespace {

struct BootArgs {
  vm::BootOptions o;
  bool once = false;
  bool json = false;
};

int RunBoot(BootArgs& a, const Context& ctx) {
  if (a.o.validate && a.o.agent_binary.empty()) {
    // The container check runs the agent in the guest: the image's own
    // architecture's build (build/arm64/ for an arm64 image).
    auto arch = vm::GuestArchOf(a.o.image);
    if (!arch.ok()) return ReportError(std::move(arch).error().Wrap("boot"));
    a.o.agent_binary =
        build::DefaultAgentPath(*arch == vm::GuestArch::kAarch64 ? "arm64" : "amd64");
  }
  if (!ctx.quiet && !a.json) {
    std::fprintf(stderr, "booting %s%s%s ...\n", a.o.image.c_str(),
                 a.o.secure_boot ? " with Secure Boot" : "", a.o.tpm ? " and a TPM" : "");
  }
  a.o.reboot_check = !a.once;
  auto r = vm::BootImage(a.o);
  if (!r.ok()) return ReportError(r.error());
  if (a.json) {
    PrintJson(vm::ToJson(*r));
  } else {
    std::printf("image    %s (usrhash %.16s...)\n", r->expected.image_version.c_str(),
                r->expected.root_hash.c_str());
    std::printf("boot     %s in %.1f s (%s)\n", vm::OutcomeName(r->outcome), r->seconds,
                r->accel == vm::Accel::kKvm ? "kvm" : "tcg");
    if (a.o.netboot) {
      std::printf("netboot  %.1f MiB served; first GET at %.1f s, last byte at %.1f s\n",
                  double(r->netboot_bytes) / (1 << 20), r->netboot_first_get_s,
                  r->netboot_last_byte_s);
    }
    if (!r->checks.empty()) std::printf("checks\n%s", vm::RenderTable(r->checks).c_str());
    if (!r->ok) {
      std::printf("FAILED: %s\nlast console lines:\n%s\n", r->failure.c_str(),
                  r->console_tail.c_str());
    } else {
      std::printf("result   %s\n", a.o.validate ? "every check passed" : "reached a login prompt");
    }
  }
  return r->ok ? kExitOk : kExitFailed;
}

}  // namespace

void RegisterBoot(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<BootArgs>();
  auto* b = app.add_subcommand(
      "boot",
      "Boot an image under QEMU + OVMF or AAVMF (+ Secure Boot, + vTPM) and validate it inside");
  b->add_option("IMAGE", a->o.image, "Raw disk image from 'hull build' (never modified)")
      ->required();
  b->add_flag("--validate", a->o.validate,
              "Run hull-agent's checks in the guest and print them (exit 1 if any fails)");
  b->add_flag("--once", a->once, "With --validate: skip the reboot that checks persistence");
  b->add_flag("--secure-boot", a->o.secure_boot,
              "Secure Boot firmware with PK/KEK/db from --keys enrolled");
  b->add_option("--keys", a->o.keys_dir,
                "Key directory (PK.crt, KEK.crt, db.crt) for --secure-boot");
  b->add_flag("--tpm", a->o.tpm, "Attach a swtpm TPM 2.0 (PCR 11 is then checked)");
  b->add_flag("--network", a->o.network,
              "A NIC on QEMU's user network (DHCP; the host's loopback is 10.0.2.2, e.g. an "
              "update repository the image names). Default: no network device");
  b->add_flag("--netboot", a->o.netboot,
              "Boot the install medium IMAGE.iso over the network instead of from an optical "
              "drive: UEFI HTTP boot from a server hull runs on the host (x86-64; a medium "
              "without --seed; its size is added to --memory)");
  b->add_option("--timeout", a->o.timeout_seconds, "Seconds before giving up (default 600)");
  b->add_option("--memory", a->o.memory_mib, "Guest memory in MiB (default 2048)");
  b->add_option("--console-log", a->o.console_log, "Keep the serial console log in this file");
  b->add_option("--accel", a->o.accel,
                "kvm, tcg or auto (default: KVM only if a probe guest "
                "runs under it)");
  b->add_option("--agent", a->o.agent_binary,
                "hull-agent for the validation container, of the image's architecture "
                "(default: next to hull, or its arm64/ build for an arm64 image)");
  b->add_flag("--json", a->json, "Print the result and the guest's facts as JSON");
  b->footer(
      "The VM runs on a qcow2 overlay; the image is never written. Without --validate the\n"
      "boot ends at the first login prompt. With --validate the guest checks dm-verity /usr\n"
      "against the UKI's usrhash, read-only /usr, Secure Boot, lockdown, PCR 11 against the\n"
      "build's prediction, SELinux, containerd running a container, /etc and /var across a\n"
      "reboot, and reads all of /usr once (docs/boot.md).\n"
      "An install medium (.iso from 'hull disk iso') boots live from an optical drive, or\n"
      "with --netboot by UEFI HTTP boot: hull serves it on 127.0.0.1 with the media type\n"
      "application/vnd.efi-iso, QEMU's DHCP names http://10.0.2.2:PORT/live.iso, OVMF\n"
      "downloads it into a RAM disk and boots its signed ESP; Linux sees /dev/pmem0\n"
      "(docs/iso.md \"Netboot\").\n"
      "An arm64 image (its UKI is an AArch64 PE) boots in qemu-system-aarch64 -M virt with\n"
      "AAVMF and a tpm-tis-device, under TCG on an x86-64 host: minutes, not seconds.\n"
      "Example: hull boot out/HullImmutable_202611.25.0.raw --validate --secure-boot "
      "--keys keys --tpm\n"
      "         hull boot live.iso --netboot --validate --secure-boot --keys keys --tpm");
  b->callback([a, &ctx] { ctx.action = [a, &ctx] { return RunBoot(*a, ctx); }; });
}

}  // namespace hull::cli

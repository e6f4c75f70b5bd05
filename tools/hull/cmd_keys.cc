// hull keys init | hull keys ovmf-vars
#include <cstdio>

#include "cli.h"
#include "keys/keys.h"

namespace hull::cli {
namespace {

struct KeysArgs {
  std::string dir, out, pkcs11;
  std::string vars_template;
  std::string arch = "x86-64";
};

int RunInit(const KeysArgs& a) {
  Status st = keys::InitKeys(a.dir, {.pkcs11_uri = a.pkcs11});
  if (!st.ok()) return ReportError(std::move(st).error().Wrap("keys init"));
  if (a.pkcs11.empty()) {
    std::printf("Wrote PK, KEK, db and verity keys and certificates to %s\n", a.dir.c_str());
  } else {
    std::printf(
        "Made PK, KEK, db and verity keys in the token; wrote their URIs (NAME.key) and "
        "certificates to %s\n",
        a.dir.c_str());
  }
  return kExitOk;
}

int RunOvmfVars(const KeysArgs& a) {
  Status st = keys::MakeFirmwareVars(
      {.key_dir = a.dir,
       .out = a.out,
       .firmware = a.arch == "arm64" ? keys::Firmware::kArmVirt : keys::Firmware::kOvmf,
       .template_path = a.vars_template});
  if (!st.ok()) return ReportError(std::move(st).error().Wrap("keys ovmf-vars"));
  std::printf("Wrote %s: PK, KEK, db enrolled, Secure Boot on\n", a.out.c_str());
  return kExitOk;
}

int RunAuth(const KeysArgs& a) {
  Status st = keys::MakeAuthFiles({.key_dir = a.dir, .out_dir = a.out});
  if (!st.ok()) return ReportError(std::move(st).error().Wrap("keys auth"));
  std::printf("Wrote PK.auth KEK.auth db.auth to %s\n", a.out.c_str());
  return kExitOk;
}

}  // namespace

void RegisterKeys(CLI::App& app, Context& ctx) {
  auto* keys = app.add_subcommand("keys", "Secure Boot and verity signing keys");
  keys->require_subcommand(1);
  auto a = std::make_shared<KeysArgs>();

  auto* init =
      keys->add_subcommand("init", "Generate PK, KEK, db and verity keys (RSA-2048 + X.509)");
  init->add_option("DIR", a->dir, "Directory (created if missing)")->required();
  init->add_option("--pkcs11", a->pkcs11,
                   "Generate the keys in this PKCS#11 token (pkcs11:token=LABEL, PIN from "
                   "pin-source=FILE in the URI or $HULL_PKCS11_PIN); NAME.key then holds the "
                   "key's URI");
  init->footer(
      "Writes PK.key PK.crt KEK.key KEK.crt db.key db.crt verity.key verity.crt\n"
      "(keys 0600). Refuses to overwrite: exit 2 naming the existing file.\n"
      "Example: hull keys init keys/ && hull sign uki.efi --key keys/db.key --cert keys/db.crt "
      "--out s.efi\n"
      "         hull keys init --pkcs11 'pkcs11:token=Hull' keys/   (see docs/keys.md)");
  init->callback([&ctx, a] { ctx.action = [a] { return RunInit(*a); }; });

  auto* vars =
      keys->add_subcommand("ovmf-vars", "Make an OVMF variable store with the keys enrolled");
  vars->add_option("DIR", a->dir, "Key directory from 'hull keys init'")->required();
  vars->add_option("--out", a->out, "Output VARS.fd (written atomically)")->required();
  vars->add_option("--arch", a->arch, "x86-64 (OVMF, q35) or arm64 (AAVMF, QEMU's virt machine)")
      ->check(CLI::IsMember({"x86-64", "arm64"}))
      ->capture_default_str();
  vars->add_option("--template", a->vars_template,
                   "Variable store template (default: " + std::string(keys::kDefaultVarsTemplate) +
                       ", with --arch arm64 " + keys::kArmVirtVarsTemplate + ")");
  vars->footer(
      "Each certificate becomes an EFI_SIGNATURE_LIST (efitools' cert-to-efi-sig-list),\n"
      "written as a time-authenticated variable (the bytes efitools' flash-var writes).\n"
      "Boot with OVMF_CODE_4M.secboot.fd:\n"
      "  qemu-system-x86_64 -machine q35,smm=on -global "
      "driver=cfi.pflash01,property=secure,value=on \\\n"
      "    -drive "
      "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd,readonly=on \\\n"
      "    -drive if=pflash,format=raw,unit=1,file=VARS.fd ...\n"
      "With --arch arm64 (AAVMF_CODE.fd has Secure Boot built in; no SMM):\n"
      "  qemu-system-aarch64 -machine virt -cpu max \\\n"
      "    -drive if=pflash,format=raw,unit=0,file=/usr/share/AAVMF/AAVMF_CODE.fd,readonly=on \\\n"
      "    -drive if=pflash,format=raw,unit=1,file=VARS.fd ...\n"
      "Example: hull keys ovmf-vars keys/ --out vars.fd\n"
      "         hull keys ovmf-vars keys/ --arch arm64 --out aavmf-vars.fd");
  vars->callback([&ctx, a] { ctx.action = [a] { return RunOvmfVars(*a); }; });

  auto* auth = keys->add_subcommand(
      "auth", "Make signed PK/KEK/db updates (.auth) for systemd-boot's secure-boot-enroll");
  auth->add_option("DIR", a->dir, "Key directory from 'hull keys init'")->required();
  auth->add_option("--out", a->out, "Directory for PK.auth KEK.auth db.auth")->required();
  auth->footer(
      "PK and KEK are signed by PK, db by KEK (efitools sign-efi-sig-list); the\n"
      "timestamp is SOURCE_DATE_EPOCH when set. Copy them to the ESP as\n"
      "/loader/keys/auto/{PK,KEK,db}.auth with 'secure-boot-enroll force' in\n"
      "/loader/loader.conf: systemd-boot enrols them on a machine in setup mode.\n"
      "Example: hull keys auth keys/ --out esp-keys/");
  auth->callback([&ctx, a] { ctx.action = [a] { return RunAuth(*a); }; });
}

}  // namespace hull::cli

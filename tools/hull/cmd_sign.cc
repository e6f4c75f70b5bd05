// hull sign IN --key KEY --cert CERT --out OUT | hull sign --verify IN --cert CERT
#include <cstdio>

#include "base/file.h"
#include "base/hex.h"
#include "cli.h"
#include "crypto/key.h"
#include "pe/authenticode.h"
#include "pkcs11/key_ref.h"

namespace hull::cli {
namespace {

struct SignArgs {
  std::string in, key, cert, out;
  bool verify = false;
  bool json = false;
};

constexpr uint64_t kMaxImage = uint64_t(1) << 31;

int RunSign(const SignArgs& a) {
  auto run = [&]() -> Status {
    if (a.key.empty() || a.out.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--key and --out are required to sign");
    }
    HULL_ASSIGN_OR_RETURN(auto key, pkcs11::LoadPrivateKey(a.key));
    HULL_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::Load(a.cert));
    HULL_ASSIGN_OR_RETURN(Bytes in, ReadFileBytes(a.in, kMaxImage));
    HULL_ASSIGN_OR_RETURN(Bytes out, pe::SignImage(in, key, cert).Context(a.in));
    HULL_TRY(WriteFileAtomic(a.out, out, 0644));
    if (!a.json)
      std::printf("Signed %s -> %s (%s)\n", a.in.c_str(), a.out.c_str(), cert.Subject().c_str());
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("sign"));
}

int RunVerify(const SignArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::Load(a.cert));
    HULL_ASSIGN_OR_RETURN(Bytes in, ReadFileBytes(a.in, kMaxImage));
    HULL_ASSIGN_OR_RETURN(auto r, pe::VerifyImage(in, cert).Context(a.in));
    if (a.json) {
      PrintJson({{"ok", true}, {"signer", r.signer}, {"image_hash", HexEncode(r.image_hash)}});
    } else {
      std::printf("Signature verification OK: %s signed by %s (image sha256 %s)\n", a.in.c_str(),
                  r.signer.c_str(), HexEncode(r.image_hash).c_str());
    }
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("sign --verify"));
}

}  // namespace

void RegisterSign(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SignArgs>();
  auto* c = app.add_subcommand(
      "sign", "Sign a PE/EFI binary for UEFI Secure Boot (Authenticode), or verify its signature");
  c->add_option("IN", a->in, "PE32+ image (EFI application, UKI, kernel)")->required();
  c->add_option(
      "--key", a->key,
      "Private key: PEM file (RSA or ECDSA), pkcs11: URI, or a file holding one (docs/keys.md)");
  c->add_option("--cert", a->cert,
                "Signer certificate (PEM or DER); with --verify, the trusted one")
      ->required();
  c->add_option("--out", a->out, "Signed image (written atomically)");
  c->add_flag("--verify", a->verify, "Verify IN against --cert instead of signing");
  c->add_flag("--json", a->json, "With --verify: print the result as JSON");
  c->footer(
      "Examples:\n"
      "  hull sign uki.efi --key db.key --cert db.crt --out uki.signed.efi\n"
      "  hull sign --verify uki.signed.efi --cert db.crt\n"
      "An existing signature is replaced. Signatures carry no signing time, so the\n"
      "same input, key and certificate give the same bytes (RSA).\n"
      "Exit status: 0 ok, 1 signature refused, 2 error.");
  c->callback([&ctx, a] { ctx.action = [a] { return a->verify ? RunVerify(*a) : RunSign(*a); }; });
}

}  // namespace hull::cli

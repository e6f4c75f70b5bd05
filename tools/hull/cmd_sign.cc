// hull sign IN --key KEY --cert CERT --out OUT | hull sign --verify IN --cert CERT
#include <cstdio>

#include "base/file.h"
#include "base/hex.h"
#include "cli.h"
#include "crypto/key.h"
#include "pe/authenticode.h"
#include "pkcs11/key_ref.h"
#include "signing/offline.h"

namespace hull::cli {
namespace {

struct SignArgs {
  std::string in, key, cert, out;
  signing::OfflineOptions offline;
  bool verify = false;
  bool json = false;
};

constexpr uint64_t kMaxImage = uint64_t(1) << 31;

int RunSign(const SignArgs& a) {
  auto run = [&]() -> Status {
    if ((a.key.empty() && !a.offline.offline()) || (a.out.empty() && !a.offline.recording())) {
      return Error(ErrorCode::kInvalidArgument,
                   "--key (or --sign-offline/--inject-signatures) and --out are required to sign");
    }
    HULL_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::Load(a.cert));
    HULL_ASSIGN_OR_RETURN(
        auto session, signing::SigningSession::Open(a.offline, [&]() -> Result<crypto::KeySigner> {
          HULL_ASSIGN_OR_RETURN(auto key, pkcs11::LoadPrivateKey(a.key));
          return crypto::KeySigner(std::move(key));
        }));
    HULL_ASSIGN_OR_RETURN(Bytes in, ReadFileBytes(a.in, kMaxImage));
    HULL_ASSIGN_OR_RETURN(
        Bytes out,
        pe::SignImage(in, cert, session.signer(), {.name = "image", .role = "db"}).Context(a.in));
    HULL_TRY(session.Finish("sign"));
    if (session.recording()) {
      if (!a.json) std::printf("%s", OfflineHint(a.offline.sign_offline_dir).c_str());
      return Ok();
    }
    HULL_TRY(WriteFileAtomic(a.out, out, 0644));
    if (!a.json)
      std::printf("Signed %s -> %s (%s)\n", a.in.c_str(), a.out.c_str(), cert.Subject().c_str());
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("sign"));
}

struct SignOfflineArgs {
  std::string dir;
  std::vector<std::string> keys;  // KEYREF or ROLE=KEYREF
};

int RunSignOffline(const SignOfflineArgs& a) {
  auto run = [&]() -> Status {
    std::vector<signing::DirectoryKey> keys;
    for (const std::string& k : a.keys) {
      HULL_ASSIGN_OR_RETURN(auto split, signing::SplitKeyArgument(k));
      HULL_ASSIGN_OR_RETURN(auto key, pkcs11::LoadPrivateKey(split.second));
      keys.push_back({.role = split.first, .key = std::move(key), .ref = split.second});
    }
    HULL_ASSIGN_OR_RETURN(auto r, signing::SignDirectory(a.dir, keys));
    for (const auto& n : r.signed_items) std::printf("signed %s\n", n.c_str());
    for (const auto& n : r.pending)
      std::printf("not signed yet (no --key for it): %s\n", n.c_str());
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("sign-offline"));
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

void AddOfflineOptions(CLI::App& command, signing::OfflineOptions& options) {
  command.add_option("--sign-offline", options.sign_offline_dir,
                     "Write what must be signed to this directory (absent or empty) and stop");
  command.add_option("--inject-signatures", options.inject_dir,
                     "Sign with the signatures in this directory (signed by hull sign-offline)");
}

std::string OfflineHint(const std::string& dir) {
  return fmt::format(
      "Wrote what must be signed to {0} ({0}/manifest.json).\n"
      "Sign it (or see docs/keys.md for the openssl commands):  hull sign-offline {0} --key "
      "KEY ...\n"
      "then run the same command again with --inject-signatures {0}\n",
      dir);
}

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
  AddOfflineOptions(*c, a->offline);
  c->callback([&ctx, a] { ctx.action = [a] { return a->verify ? RunVerify(*a) : RunSign(*a); }; });

  auto o = std::make_shared<SignOfflineArgs>();
  auto* so = app.add_subcommand(
      "sign-offline", "Sign a directory written by --sign-offline (key files or PKCS#11 URIs)");
  so->add_option("DIR", o->dir, "The directory --sign-offline wrote")->required();
  so->add_option("--key", o->keys,
                 "A key (file or pkcs11: URI): it signs every item that is to be signed with it; "
                 "ROLE=KEY: every item of that role that is to be signed with it (db=…, "
                 "verity=…; refused when none is)")
      ->required();
  so->footer(
      "Writes NAME.sig beside each NAME.bin of the manifest that a --key is for.\n"
      "Any tool making the same raw signature will do (docs/keys.md, \"Offline signing\"):\n"
      "  openssl dgst -sha256 -sign db.key -out uki.sig uki.bin   # rsa-pkcs1v15-sha256\n"
      "  openssl pkeyutl -sign -rawin -inkey root.key -in root.bin -out root.sig   # ed25519\n"
      "Then rerun the command with --inject-signatures DIR.");
  so->callback([&ctx, o] { ctx.action = [o] { return RunSignOffline(*o); }; });
}

}  // namespace hull::cli

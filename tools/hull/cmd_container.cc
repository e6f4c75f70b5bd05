// hull container build: a container spec or preset -> an OCI image layout.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/file.h"
#include "cli.h"
#include "container/build.h"
#include "container/sign.h"
#include "container/spec.h"
#include "crypto/signature.h"
#include "pkcs11/key_ref.h"
#include "signing/offline.h"
#include "spec/spec.h"

namespace hull::cli {
namespace {

struct BuildArgs {
  std::string spec, preset, out, cache;
  bool json = false;
};

int RunContainerBuild(const BuildArgs& a) {
  Result<container::ContainerSpec> s = Error(ErrorCode::kInternal, "no spec");
  std::string spec_dir;
  if (!a.preset.empty()) {
    s = container::Preset(a.preset);
  } else {
    auto text = ReadFileText(a.spec, 1 << 20);
    if (!text.ok()) return ReportError(text.error());
    s = container::ParseContainerSpec(*text, a.spec);
    spec_dir = std::filesystem::path(a.spec).parent_path().string();
  }
  if (!s.ok()) return ReportError(s.error());
  auto r = container::BuildContainer(*s, {.out = a.out,
                                          .spec_dir = spec_dir.empty() ? "." : spec_dir,
                                          .cache_dir = a.cache,
                                          .source_date_epoch = spec::BuildTime()});
  if (!r.ok()) return ReportError(r.error());
  if (a.json) {
    nlohmann::json images = nlohmann::json::array();
    for (const auto& i : r->images) {
      images.push_back({{"arch", i.arch},
                        {"manifest", i.manifest_digest},
                        {"compressed_bytes", i.compressed_bytes},
                        {"uncompressed_bytes", i.uncompressed_bytes},
                        {"cache_hit", i.cache_hit},
                        {"packages", i.packages}});
    }
    PrintJson({{"name", r->name},
               {"digest", r->digest},
               {"media_type", r->media_type},
               {"seconds", r->seconds},
               {"images", images}});
    return kExitOk;
  }
  std::printf("%s: %s (oci:%s:%s), built in %.1f s\n", r->name.c_str(), r->digest.c_str(),
              a.out.c_str(), r->name.c_str(), r->seconds);
  for (const auto& i : r->images) {
    std::printf("  %-8s %.2f MiB compressed, %.2f MiB uncompressed, %zu packages\n", i.arch.c_str(),
                double(i.compressed_bytes) / (1 << 20), double(i.uncompressed_bytes) / (1 << 20),
                i.packages.size());
  }
  return kExitOk;
}

struct SignArgs {
  std::string layout, key, public_key, identity, ref, format = "sigstore", lookaside;
  signing::OfflineOptions offline;
  bool json = false;
};

// The key the signature must verify against, and the session that signs:
// --key's here, or --public's with the signature made offline.
Result<container::SignResult> SignContainer(const SignArgs& a) {
  HULL_ASSIGN_OR_RETURN(container::SignFormat format, container::ParseSignFormat(a.format));
  const container::SignOptions options{.layout = a.layout,
                                       .ref = a.ref,
                                       .identity = a.identity,
                                       .format = format,
                                       .lookaside = a.lookaside,
                                       .created = spec::BuildTime()};
  if (format == container::SignFormat::kSigstore && !a.lookaside.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--lookaside is for --format openpgp (a sigstore signature goes into the "
                 "layout)");
  }
  if (a.offline.offline()) {
    if (!a.key.empty() || a.public_key.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "with --sign-offline or --inject-signatures, give the public key the "
                   "signature must verify against with --public PEM (no --key: it signs "
                   "elsewhere)");
    }
    HULL_ASSIGN_OR_RETURN(std::string pem, ReadFileText(a.public_key, 1 << 20));
    HULL_ASSIGN_OR_RETURN(auto pub, crypto::PublicKey::FromPem(pem).Context(a.public_key));
    HULL_ASSIGN_OR_RETURN(auto session, signing::SigningSession::Open(a.offline, nullptr));
    return container::SignImage(options, pub, session);
  }
  if (a.key.empty() || !a.public_key.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--key KEY signs (a PEM file or a PKCS#11 URI); --public PEM is for "
                 "--sign-offline DIR and --inject-signatures DIR");
  }
  HULL_ASSIGN_OR_RETURN(auto key, pkcs11::LoadPrivateKey(a.key));
  const crypto::PublicKey pub = crypto::PublicKey::Of(key);
  HULL_ASSIGN_OR_RETURN(auto session,
                        signing::SigningSession::Open({}, [&]() -> Result<crypto::KeySigner> {
                          return crypto::KeySigner(std::move(key));
                        }));
  return container::SignImage(options, pub, session);
}

int RunContainerSign(const SignArgs& a) {
  auto r = SignContainer(a);
  if (!r.ok()) return ReportError(std::move(r).error().Wrap("container sign"));
  if (a.offline.recording()) {
    if (a.json) {
      PrintJson({{"name", r->name},
                 {"digest", r->digest},
                 {"identity", a.identity},
                 {"sign_offline", a.offline.sign_offline_dir}});
    } else {
      std::printf("%s", OfflineHint(a.offline.sign_offline_dir).c_str());
    }
    return kExitOk;
  }
  if (!r->path.empty()) {
    if (a.json) {
      PrintJson({{"name", r->name},
                 {"digest", r->digest},
                 {"identity", a.identity},
                 {"signature", r->path},
                 {"fingerprint", r->fingerprint},
                 {"algorithm", r->algorithm}});
    } else {
      std::printf("signed %s (%s) as %s with OpenPGP key %s: %s\n", r->name.c_str(),
                  r->digest.c_str(), a.identity.c_str(), r->fingerprint.c_str(), r->path.c_str());
    }
    return kExitOk;
  }
  if (a.json) {
    PrintJson({{"name", r->name},
               {"digest", r->digest},
               {"identity", a.identity},
               {"signature", r->tag},
               {"algorithm", r->algorithm}});
    return kExitOk;
  }
  std::printf("signed %s (%s) as %s with %s: oci:%s:%s\n", r->name.c_str(), r->digest.c_str(),
              a.identity.c_str(), r->algorithm.c_str(), a.layout.c_str(), r->tag.c_str());
  return kExitOk;
}

void RegisterContainerSign(CLI::App& container, Context& ctx) {
  auto a = std::make_shared<SignArgs>();
  auto* sign = container.add_subcommand(
      "sign",
      "Sign an image in an OCI layout: a sigstore signature in the layout, or an OpenPGP "
      "simple-signing signature in a lookaside directory (skopeo, podman, CRI-O)");
  sign->add_option("LAYOUT", a->layout, "The OCI layout ('hull container build --out')")
      ->required();
  sign->add_option("--key", a->key,
                   "The signing key: a PEM file or a PKCS#11 URI (RSA, ECDSA or Ed25519); "
                   "required unless the signature is made offline");
  sign->add_option("--public", a->public_key,
                   "With --sign-offline / --inject-signatures: the public key (PEM) the "
                   "signature must verify against");
  AddOfflineOptions(*sign, a->offline);
  sign->add_option("--identity", a->identity,
                   "The reference the image is published under: REGISTRY/REPOSITORY[:TAG]")
      ->required();
  sign->add_option("--ref", a->ref, "The image's name in index.json (default: the only image)");
  sign->add_option("--format", a->format,
                   "sigstore (default; policy sigstoreSigned) or openpgp (policy signedBy, "
                   "GPGKeys: what skopeo/podman built without sigstore, e.g. Debian's, verify)");
  sign->add_option("--lookaside", a->lookaside,
                   "With --format openpgp: the lookaside directory to write "
                   "REPOSITORY@sha256=HEX/signature-1 into (registries.d lookaside: file:///DIR)");
  sign->add_flag("--json", a->json, "Print the result as JSON");
  sign->footer(
      "The signature goes into the layout as the manifest tagged sha256-<hex>.sig, where\n"
      "containers/image and cosign look for it: copy both tags to the registry, e.g.\n"
      "  hull container sign out --key c.key --identity reg.example/hull/static:latest\n"
      "  skopeo copy oci:out:static docker://reg.example/hull/static:latest\n"
      "  skopeo copy oci:out:sha256-<hex>.sig docker://reg.example/hull/static:sha256-<hex>.sig\n"
      "Nodes then require it in /etc/containers/policy.json:\n"
      "  {\"type\": \"sigstoreSigned\", \"keyPath\": \"/etc/containers/hull.pub\"}\n"
      "with use-sigstore-attachments: true for the registry in registries.d (docs/containers.md).\n"
      "Key kept offline (docs/keys.md): stop, sign elsewhere, inject:\n"
      "  hull container sign out --public c.pub --identity REF --sign-offline tosign\n"
      "  hull sign-offline tosign --key c.key        # or openssl, docs/keys.md\n"
      "  hull container sign out --public c.pub --identity REF --inject-signatures tosign\n"
      "OpenPGP (policy signedBy; RSA or Ed25519 key; signed time = SOURCE_DATE_EPOCH):\n"
      "  hull container sign out --key c.key --identity reg.example/hull/static:latest \\\n"
      "      --format openpgp --lookaside /srv/sigstore\n"
      "  hull container export-key --key c.key --out /etc/containers/hull.gpg\n"
      "  policy.json: {\"type\": \"signedBy\", \"keyType\": \"GPGKeys\",\n"
      "                \"keyPath\": \"/etc/containers/hull.gpg\"}\n"
      "  registries.d: docker: {reg.example: {lookaside: https://web.example/sigstore}}");
  sign->callback([&ctx, a] { ctx.action = [a] { return RunContainerSign(*a); }; });
}

struct ExportKeyArgs {
  std::string key, out, user_id = "Hull container signing key";
  bool armor = false;
};

int RunExportKey(const ExportKeyArgs& a) {
  auto key = pkcs11::LoadPrivateKey(a.key);
  if (!key.ok()) return ReportError(std::move(key).error().Wrap("container export-key"));
  const crypto::PublicKey pub = crypto::PublicKey::Of(*key);
  crypto::KeySigner signer(std::move(*key));
  auto cert = container::ExportOpenPgpKey(pub, a.user_id, a.armor, signer);
  if (!cert.ok()) return ReportError(std::move(cert).error().Wrap("container export-key"));
  if (auto w = WriteFileAtomic(a.out, *cert); !w.ok()) {
    return ReportError(std::move(w).error().Wrap("container export-key"));
  }
  return kExitOk;
}

void RegisterContainerExportKey(CLI::App& container, Context& ctx) {
  auto a = std::make_shared<ExportKeyArgs>();
  auto* ex = container.add_subcommand(
      "export-key", "Write the signing key's public half as an OpenPGP key (policy signedBy)");
  ex->add_option("--key", a->key, "The signing key: a PEM file or a PKCS#11 URI (RSA or Ed25519)")
      ->required();
  ex->add_option("--out", a->out, "The OpenPGP public key file to write")->required();
  ex->add_flag("--armor", a->armor, "ASCII-armored (default: binary, as gpg --export writes)");
  ex->add_option("--user-id", a->user_id, "The key's user ID")->capture_default_str();
  ex->footer(
      "The key is dated 1970-01-01 so its fingerprint depends on the key alone: every export\n"
      "gives the same bytes, and the signatures of 'hull container sign --format openpgp'\n"
      "name it. Check it with: gpg --show-keys --with-colons FILE\n"
      "Nodes name it in policy.json: {\"type\": \"signedBy\", \"keyType\": \"GPGKeys\",\n"
      "  \"keyPath\": \"/etc/containers/hull.gpg\"} (docs/containers.md, \"Signing\").");
  ex->callback([&ctx, a] { ctx.action = [a] { return RunExportKey(*a); }; });
}

}  // namespace

void RegisterContainer(CLI::App& app, Context& ctx) {
  auto* container =
      app.add_subcommand("container", "Container base images from Debian packages (OCI layouts)");
  container->require_subcommand(1);
  auto a = std::make_shared<BuildArgs>();
  auto* build =
      container->add_subcommand("build", "Build an OCI image layout from a spec or preset");
  auto* spec = build->add_option("SPEC", a->spec, "Container spec (YAML, docs/containers.md)");
  auto* preset = build->add_option("--preset", a->preset,
                                   "A built-in spec: static, base, cc, python3, or NAME:debug");
  spec->excludes(preset);
  build->add_option("--out", a->out, "The OCI layout to write (must not exist or be empty)")
      ->required();
  build->add_option("--cache", a->cache, "Cache directory for downloaded packages");
  build->add_flag("--json", a->json, "Print the result as JSON");
  build->footer(
      "Needs root (mmdebstrap --mode=unshare) and the spec's mirror; timestamps come from\n"
      "SOURCE_DATE_EPOCH. The image is named in index.json as the spec's name.\n"
      "Example: hull container build --preset static --out /tmp/static && "
      "skopeo inspect oci:/tmp/static:static");
  build->callback([&ctx, a] {
    ctx.action = [a] {
      if (a->spec.empty() == a->preset.empty()) {
        return ReportError(
            Error(ErrorCode::kInvalidArgument, "give a SPEC file or --preset NAME (one of them)"));
      }
      return RunContainerBuild(*a);
    };
  });
  RegisterContainerSign(*container, ctx);
  RegisterContainerExportKey(*container, ctx);
}

}  // namespace hull::cli

#include "container/sign.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/file.h"
#include "oci/layout.h"
#include "oci/openpgp.h"
#include "oci/read.h"
#include "oci/sigstore.h"
#include "oci/simple_signing.h"

namespace hull::container {

Result<crypto::SignatureAlgorithm> SigstoreAlgorithmFor(const crypto::PublicKey& key) {
  switch (key.type()) {
    case crypto::KeyType::kRsa2048:
    case crypto::KeyType::kRsa4096:
      return crypto::SignatureAlgorithm::kRsaPkcs1Sha256;
    case crypto::KeyType::kEcdsaP256:
    case crypto::KeyType::kEcdsaP384:
      return crypto::SignatureAlgorithm::kEcdsaSha256;
    case crypto::KeyType::kEd25519:
      return crypto::SignatureAlgorithm::kEd25519;
  }
  return Error(ErrorCode::kUnsupported, "the signing key is neither RSA, ECDSA nor Ed25519");
}

Result<SignFormat> ParseSignFormat(std::string_view name) {
  if (name == "sigstore") return SignFormat::kSigstore;
  if (name == "openpgp") return SignFormat::kOpenPgp;
  return Errorf(ErrorCode::kInvalidArgument,
                "unknown signature format '{}': write sigstore (policy sigstoreSigned) or "
                "openpgp (policy signedBy)",
                name);
}

namespace {
constexpr const char* kCommand = "container sign";

// The item a signature is asked under: named for the digest (the tag itself
// is longer than an item name may be).
std::string ItemName(std::string_view prefix, const std::string& digest) {
  return std::string(prefix) + digest.substr(digest.find(':') + 1, 16);
}

// Verifies each signature the inner signer makes against the request's key
// before it is used (a recording signer's placeholders pass through).
class VerifyingSigner : public crypto::Signer {
 public:
  VerifyingSigner(crypto::Signer& inner, bool recording) : inner_(inner), recording_(recording) {}
  Result<Bytes> Sign(const crypto::SignRequest& r) override {
    HULL_ASSIGN_OR_RETURN(Bytes sig, inner_.Sign(r));
    if (!recording_) HULL_TRY(crypto::VerifyRaw(r.key, r.algorithm, r.message, sig));
    return sig;
  }

 private:
  crypto::Signer& inner_;
  bool recording_;
};

Result<SignResult> SignOpenPgp(const SignOptions& o, const crypto::PublicKey& key,
                               const oci::Descriptor& image, signing::SigningSession& session) {
  if (o.created < 0 || o.created > UINT32_MAX) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "signature time {} does not fit OpenPGP's 32-bit time: set SOURCE_DATE_EPOCH "
                  "to seconds between 0 and 4294967295",
                  o.created);
  }
  HULL_ASSIGN_OR_RETURN(oci::OpenPgpKey pgp, oci::MakeOpenPgpKey(key));
  // The signature's time is inside what is signed: the injecting run must
  // sign at the stop's time, and is refused otherwise.
  HULL_TRY(session.Bind(OpenPgpSignSubject(image.digest, o.identity, o.created)));
  const Bytes payload = oci::SimpleSigningPayload(image.digest, o.identity, o.created);
  VerifyingSigner signer(session.signer(), session.recording());
  HULL_ASSIGN_OR_RETURN(
      Bytes message,
      oci::OpenPgpSignedMessage(pgp, payload, static_cast<uint32_t>(o.created), signer,
                                {.name = ItemName("openpgp-", image.digest), .role = "container"}));
  HULL_TRY(session.Finish(kCommand));
  auto it = image.annotations.find(oci::kAnnotationRefName);
  SignResult result{.name = it == image.annotations.end() ? "" : it->second,
                    .digest = image.digest,
                    .tag = "",
                    .algorithm = key.type() == crypto::KeyType::kEd25519 ? "openpgp-eddsa-sha256"
                                                                         : "openpgp-rsa-sha256",
                    .path = oci::LookasideSignaturePath(o.lookaside, o.identity, image.digest, 1),
                    .fingerprint = pgp.FingerprintHex()};
  if (session.recording()) return result;  // nothing written but the signing directory
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(result.path).parent_path(), ec);
  if (ec) {
    return Errorf(ErrorCode::kIo, "creating the directory of {}: {}", result.path, ec.message());
  }
  HULL_TRY(WriteFileAtomic(result.path, message));
  return result;
}

}  // namespace

Result<Bytes> ExportOpenPgpKey(const crypto::PublicKey& key, const std::string& user_id, bool armor,
                               crypto::Signer& signer) {
  HULL_ASSIGN_OR_RETURN(oci::OpenPgpKey pgp, oci::MakeOpenPgpKey(key));
  HULL_ASSIGN_OR_RETURN(
      Bytes cert,
      oci::OpenPgpCertificate(pgp, user_id, signer, {.name = "openpgp-key", .role = "container"}));
  if (!armor) return cert;
  const std::string text = oci::OpenPgpArmor(cert, "PUBLIC KEY BLOCK");
  return Bytes(text.begin(), text.end());
}

std::string SignSubject(const std::string& digest, const std::string& identity) {
  return fmt::format("container image {} as {}", digest, identity);
}

std::string OpenPgpSignSubject(const std::string& digest, const std::string& identity,
                               int64_t created) {
  return fmt::format("{}, OpenPGP signature at {}", SignSubject(digest, identity), created);
}

Result<SignResult> SignImage(const SignOptions& o, const crypto::PublicKey& key,
                             signing::SigningSession& session) {
  HULL_TRY(oci::CheckDockerReference(o.identity));
  if (o.format == SignFormat::kOpenPgp) {
    if (o.lookaside.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "--format openpgp writes into a lookaside directory: give --lookaside DIR");
    }
    HULL_TRY(oci::MakeOpenPgpKey(key));
  }
  HULL_ASSIGN_OR_RETURN(oci::Layout layout, oci::ReadLayoutDir(o.layout));
  HULL_ASSIGN_OR_RETURN(oci::Descriptor image, oci::FindImage(layout, o.ref));
  // Every blob the image names is there and parses as what it is said to be.
  HULL_TRY(oci::ImageBlobs(layout, image));
  if (const signing::Manifest* m = session.injected_manifest(); m && m->command != kCommand) {
    return Errorf(ErrorCode::kRefused, "'{}' was made by hull {}, not by hull {}",
                  session.inject_dir(), m->command, kCommand);
  }
  if (o.format == SignFormat::kOpenPgp) return SignOpenPgp(o, key, image, session);
  HULL_ASSIGN_OR_RETURN(crypto::SignatureAlgorithm algorithm, SigstoreAlgorithmFor(key));
  HULL_TRY(session.Bind(SignSubject(image.digest, o.identity)));
  const Bytes payload = oci::SigstorePayload(image.digest, o.identity);
  const std::string tag = oci::SigstoreTag(image.digest);
  const std::string item = ItemName("sigstore-", image.digest);
  HULL_ASSIGN_OR_RETURN(Bytes signature,
                        session.signer().Sign({.item = {.name = item, .role = "container"},
                                               .kind = "sigstore-payload",
                                               .algorithm = algorithm,
                                               .key = key,
                                               .message = payload}));
  HULL_TRY(session.Finish(kCommand));
  auto it = image.annotations.find(oci::kAnnotationRefName);
  SignResult result{.name = it == image.annotations.end() ? "" : it->second,
                    .digest = image.digest,
                    .tag = tag,
                    .algorithm = crypto::SignatureAlgorithmName(algorithm)};
  if (session.recording()) return result;  // the layout stays as it is
  HULL_TRY(crypto::VerifyRaw(key, algorithm, payload, signature));
  oci::AddSigstoreSignature(layout, image, payload, signature);
  HULL_TRY(layout.Update(o.layout));
  return result;
}

}  // namespace hull::container

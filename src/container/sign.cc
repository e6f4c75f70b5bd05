#include "container/sign.h"

#include <fmt/format.h>

#include "oci/layout.h"
#include "oci/read.h"
#include "oci/sigstore.h"

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

namespace {
constexpr const char* kCommand = "container sign";
}  // namespace

std::string SignSubject(const std::string& digest, const std::string& identity) {
  return fmt::format("container image {} as {}", digest, identity);
}

Result<SignResult> SignImage(const SignOptions& o, const crypto::PublicKey& key,
                             signing::SigningSession& session) {
  HULL_TRY(oci::CheckDockerReference(o.identity));
  HULL_ASSIGN_OR_RETURN(crypto::SignatureAlgorithm algorithm, SigstoreAlgorithmFor(key));
  HULL_ASSIGN_OR_RETURN(oci::Layout layout, oci::ReadLayoutDir(o.layout));
  HULL_ASSIGN_OR_RETURN(oci::Descriptor image, oci::FindImage(layout, o.ref));
  // Every blob the image names is there and parses as what it is said to be.
  HULL_TRY(oci::ImageBlobs(layout, image));
  if (const signing::Manifest* m = session.injected_manifest(); m && m->command != kCommand) {
    return Errorf(ErrorCode::kRefused, "'{}' was made by hull {}, not by hull {}",
                  session.inject_dir(), m->command, kCommand);
  }
  HULL_TRY(session.Bind(SignSubject(image.digest, o.identity)));
  const Bytes payload = oci::SigstorePayload(image.digest, o.identity);
  const std::string tag = oci::SigstoreTag(image.digest);
  // The item is named for the digest (the tag itself is longer than an item
  // name may be).
  const std::string item = "sigstore-" + image.digest.substr(image.digest.find(':') + 1, 16);
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

#include "crypto/digest_algorithm.h"

namespace hull::crypto {

Result<DigestAlgorithm> ParseDigestAlgorithm(std::string_view name) {
  if (name == "sha1") return DigestAlgorithm::kSha1;
  if (name == "sha256") return DigestAlgorithm::kSha256;
  if (name == "sha384") return DigestAlgorithm::kSha384;
  if (name == "sha512") return DigestAlgorithm::kSha512;
  return Errorf(ErrorCode::kUnsupported,
                "unsupported hash algorithm '{}' (supported: sha1, sha256, sha384, sha512)", name);
}

const char* DigestName(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return "sha1";
    case DigestAlgorithm::kSha256:
      return "sha256";
    case DigestAlgorithm::kSha384:
      return "sha384";
    case DigestAlgorithm::kSha512:
      return "sha512";
  }
  return "?";
}

size_t DigestSize(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return 20;
    case DigestAlgorithm::kSha256:
      return 32;
    case DigestAlgorithm::kSha384:
      return 48;
    case DigestAlgorithm::kSha512:
      return 64;
  }
  return 0;
}

}  // namespace hull::crypto

// A signature file of an offline-signing directory (NAME.sig, signing/offline.h):
// raw bytes from another machine, checked by crypto::VerifyRaw under each
// algorithm a manifest may name before the injecting run uses them. No
// input may verify: the keys are made here and their private halves never
// sign the message.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/signer.h"

namespace {
using hull::crypto::KeyType;
using hull::crypto::SignatureAlgorithm;

struct Case {
  hull::crypto::PublicKey key;
  SignatureAlgorithm algorithm;
};

std::vector<Case> MakeCases() {
  std::vector<Case> cases;
  for (auto [type, algorithms] :
       {std::pair{KeyType::kRsa2048, std::vector{SignatureAlgorithm::kRsaPkcs1Sha256,
                                                 SignatureAlgorithm::kRsaPssSha256}},
        {KeyType::kEcdsaP256, {SignatureAlgorithm::kEcdsaSha256}},
        {KeyType::kEcdsaP384, {SignatureAlgorithm::kEcdsaSha384}},
        {KeyType::kEd25519, {SignatureAlgorithm::kEd25519}}}) {
    auto key = hull::crypto::PrivateKey::Generate(type);
    if (!key.ok()) __builtin_trap();
    for (SignatureAlgorithm a : algorithms) {
      cases.push_back({hull::crypto::PublicKey::Of(*key), a});
    }
  }
  return cases;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Case> cases = MakeCases();
  static constexpr std::string_view kMessage = "8e2e0a7a1d4fbd0c9f7b8e5f1d7c6a6b";
  const hull::ByteSpan message(reinterpret_cast<const uint8_t*>(kMessage.data()), kMessage.size());
  for (const Case& c : cases) {
    if (hull::crypto::VerifyRaw(c.key, c.algorithm, message, hull::ByteSpan(data, size)).ok()) {
      __builtin_trap();
    }
  }
  return 0;
}

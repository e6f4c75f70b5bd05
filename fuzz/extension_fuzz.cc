// Fuzzes the node's reading of a system extension image (slot/extension.h):
// the whole input as the image, verified against a trust set of one
// generated certificate, and as an extension-release file held to a fixed
// os-release. Any input must give a value or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/key.h"
#include "gpt/gpt.h"
#include "slot/extension.h"

namespace {

const hull::slot::TrustSet& Trust() {
  static const hull::slot::TrustSet trust = [] {
    hull::slot::TrustSet t;
    t.dir = "/usr/lib/hull/trust";
    auto key = hull::crypto::PrivateKey::Generate(hull::crypto::KeyType::kEcdsaP256);
    if (key.ok()) {
      auto cert = hull::crypto::Certificate::CreateSelfSigned(*key, {.common_name = "fuzz"});
      if (cert.ok()) t.verity.push_back(std::move(*cert));
    }
    return t;
  }();
  return trust;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull;
  ByteSpan bytes(data, size);
  (void)slot::VerifyExtensionImage("fuzz", gpt::MemorySource(bytes), Trust(), gpt::Arch::kX86_64);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)slot::CheckExtensionRelease("fuzz", text, "ID=hull\nVERSION_ID=1\nSYSEXT_LEVEL=12\n",
                                    gpt::Arch::kX86_64);
  return 0;
}

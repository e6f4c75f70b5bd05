// Feeds arbitrary bytes to the PE32+ parser, the Authenticode hash, signature
// verification, the UKI PCR 11 predictor and the OVMF variable store reader.
// Each input is used twice: as a whole file, and as byte patches
// (offset16, value8 triples) applied to the headers of a real signed UKI-like
// image (Debian's systemd-stub signed at start-up), so the fuzzer reaches deep
// into valid-looking images without a corpus. A parsed image must re-encode
// its headers to a file that parses to the same section count.
#include <cstdlib>
#include <cstring>

#include "base/file.h"
#include "crypto/key.h"
#include "keys/varstore.h"
#include "pe/authenticode.h"
#include "pe/pe.h"
#include "uki/measure.h"

namespace {

struct Fixture {
  hull::crypto::Certificate cert;
  hull::Bytes signed_stub;
};

const Fixture& GetFixture() {
  static const Fixture* f = [] {
    auto* fx = new Fixture;
    auto key = hull::crypto::PrivateKey::Generate(hull::crypto::KeyType::kRsa2048);
    fx->cert = *hull::crypto::Certificate::CreateSelfSigned(*key, {.common_name = "fuzz"});
    auto stub = hull::ReadFileBytes("/usr/lib/systemd/boot/efi/linuxx64.efi.stub");
    if (stub.ok()) {
      auto s = hull::pe::SignImage(*stub, *key, fx->cert);
      if (s.ok()) fx->signed_stub = *s;
    }
    return fx;
  }();
  return *f;
}

void Exercise(hull::ByteSpan in) {
  (void)hull::keys::ReadVariableStore(in);
  (void)hull::keys::X509FromSignatureLists(in);
  auto img = hull::pe::ParsePe(in);
  if (!img.ok()) return;
  hull::Bytes copy(in.begin(), in.end());
  if (!hull::pe::EncodeHeaders(*img, copy).ok()) std::abort();
  auto again = hull::pe::ParsePe(copy);
  if (!again.ok() || again->sections.size() != img->sections.size()) std::abort();
  (void)hull::pe::ImageHash(in, *img);
  if (img->security().size) (void)hull::pe::VerifyImage(in, GetFixture().cert);
  (void)hull::uki::PredictPcr11(in, hull::crypto::DigestAlgorithm::kSha256, {"enter-initrd"});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Exercise(hull::ByteSpan(data, size));
  const hull::Bytes& base = GetFixture().signed_stub;
  if (base.empty()) return 0;
  hull::Bytes patched = base;
  for (size_t i = 0; i + 3 <= size; i += 3) {
    size_t off = (size_t(data[i]) | size_t(data[i + 1]) << 8) % 0x400;
    if (data[i + 1] & 0x80) off = base.size() - 1 - (off % 0x600);  // the certificate table
    patched[off] = data[i + 2];
  }
  Exercise(patched);
  return 0;
}

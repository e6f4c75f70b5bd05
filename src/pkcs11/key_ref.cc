#include "pkcs11/key_ref.h"

#include "base/file.h"
#include "pkcs11/token_key.h"

namespace hull::pkcs11 {
namespace {
// A URI file is one line; a PEM key is larger than this, so no PEM is read
// as a URI and no URI file is read past its line.
constexpr uint64_t kMaxKeyFile = 1 << 20;
}  // namespace

std::string ReferencedUri(const std::string& path) {
  auto text = ReadFileText(path, kMaxKeyFile);
  if (!text.ok() || !IsUri(*text)) return {};
  std::string line = text->substr(0, text->find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

Result<crypto::PrivateKey> LoadPrivateKey(const std::string& ref) {
  if (IsUri(ref)) return LoadTokenKey(ref);
  if (std::string uri = ReferencedUri(ref); !uri.empty()) {
    return LoadTokenKey(uri).Context(fmt::format("key file '{}'", ref));
  }
  return crypto::PrivateKey::LoadPem(ref);
}

}  // namespace hull::pkcs11

#include "crypto/base64.h"

#include <openssl/evp.h>

namespace hull::crypto {

std::string Base64Encode(ByteSpan data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), int(data.size()));
  out.resize(size_t(n));
  return out;
}

Result<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Errorf(ErrorCode::kCorrupt, "base64 length {} is not a multiple of 4", text.size());
  }
  if (text.empty()) return Bytes();
  Bytes out(text.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          int(text.size()));
  if (n < 0) return Error(ErrorCode::kCorrupt, "invalid base64");
  size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  out.resize(size_t(n) - pad);
  return out;
}

}  // namespace hull::crypto

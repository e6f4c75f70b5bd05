#include "verity/signature.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "crypto/pkcs7.h"

namespace hull::verity {
namespace {
constexpr size_t kMaxSignaturePartition = 1 << 20;

std::string Base64(ByteSpan in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), in.data(), int(in.size()));
  out.resize(size_t(n));
  return out;
}

Result<Bytes> Unbase64(std::string_view in) {
  if (in.size() % 4 != 0) return Error(ErrorCode::kCorrupt, "signature is not valid base64");
  Bytes out(in.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                          int(in.size()));
  if (n < 0) return Error(ErrorCode::kCorrupt, "signature is not valid base64");
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(size_t(n) - pad);
  return out;
}
}  // namespace

Result<Bytes> SignRootHash(ByteSpan root_hash, const crypto::PrivateKey& key,
                           const crypto::Certificate& cert) {
  std::string hex = HexEncode(root_hash);
  return crypto::Pkcs7SignDetached(AsBytes(hex), key, cert);
}

Result<Bytes> SignRootHash(ByteSpan root_hash, const crypto::Certificate& cert,
                           crypto::Signer& signer, const crypto::SigningItem& item) {
  std::string hex = HexEncode(root_hash);
  return crypto::Pkcs7SignDetached(AsBytes(hex), cert, signer, item, "verity-root-hash");
}

Status VerifyRootHashSignature(ByteSpan root_hash, ByteSpan signature,
                               const crypto::Certificate& cert) {
  std::string hex = HexEncode(root_hash);
  return crypto::Pkcs7VerifyDetached(AsBytes(hex), signature, cert);
}

Result<Bytes> EncodeSignaturePartition(ByteSpan root_hash, ByteSpan signature,
                                       const crypto::Certificate& cert) {
  nlohmann::ordered_json j;
  j["rootHash"] = HexEncode(root_hash);
  j["certificateFingerprint"] = HexEncode(cert.Fingerprint());
  j["signature"] = Base64(signature);
  std::string text = j.dump();
  Bytes out(text.begin(), text.end());
  out.resize((out.size() + 4095) / 4096 * 4096, 0);
  return out;
}

Result<SignaturePartition> DecodeSignaturePartition(ByteSpan content) {
  if (content.size() > kMaxSignaturePartition) content = content.first(kMaxSignaturePartition);
  size_t end = content.size();
  while (end > 0 && content[end - 1] == 0) --end;
  nlohmann::json j = nlohmann::json::parse(content.begin(), content.begin() + long(end), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kCorrupt, "verity signature partition is not a JSON object");
  }
  auto root = j.find("rootHash");
  auto sig = j.find("signature");
  if (root == j.end() || !root->is_string() || sig == j.end() || !sig->is_string()) {
    return Error(ErrorCode::kCorrupt,
                 "verity signature partition lacks the string fields rootHash and signature");
  }
  SignaturePartition out;
  auto rh = HexDecode(root->get<std::string>());
  if (!rh) return Error(ErrorCode::kCorrupt, "rootHash: " + rh.error().message());
  out.root_hash = std::move(*rh);
  HULL_ASSIGN_OR_RETURN(out.signature, Unbase64(sig->get<std::string>()));
  auto fp = j.find("certificateFingerprint");
  if (fp != j.end() && fp->is_string()) out.certificate_fingerprint = fp->get<std::string>();
  return out;
}

}  // namespace hull::verity

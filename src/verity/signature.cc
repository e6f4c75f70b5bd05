#include "verity/signature.h"

#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "crypto/base64.h"
#include "crypto/pkcs7.h"

namespace hull::verity {
namespace {
constexpr size_t kMaxSignaturePartition = 1 << 20;

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
  j["signature"] = crypto::Base64Encode(signature);
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
  HULL_ASSIGN_OR_RETURN(out.signature, crypto::Base64Decode(sig->get<std::string>()));
  auto fp = j.find("certificateFingerprint");
  if (fp != j.end() && fp->is_string()) out.certificate_fingerprint = fp->get<std::string>();
  return out;
}

}  // namespace hull::verity

#include "fleet/node_id.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/file.h"
#include "base/hex.h"

namespace hull::fleet {
namespace {

Result<Bytes> ParseId128(std::string_view text, const char* what) {
  std::string hex;
  for (char c : text) {
    if (c != '-') hex.push_back(c);
  }
  if (hex.size() != 32) {
    return Errorf(ErrorCode::kInvalidArgument, "{} must be 32 hex digits, got {} characters", what,
                  hex.size());
  }
  return HexDecode(hex).Context(what);
}

}  // namespace

Result<std::string> AppSpecificId(std::string_view machine_id, std::string_view app_id) {
  HULL_ASSIGN_OR_RETURN(Bytes key, ParseId128(machine_id, "machine id"));
  HULL_ASSIGN_OR_RETURN(Bytes data, ParseId128(app_id, "application id"));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), key.data(), int(key.size()), data.data(), data.size(), mac, &mac_len) ||
      mac_len < 16) {
    return Error(ErrorCode::kInternal, "HMAC-SHA256 failed");
  }
  Bytes id(mac, mac + 16);
  id[6] = uint8_t((id[6] & 0x0f) | 0x40);  // UUID version 4, as systemd's id128_make_v4_uuid
  id[8] = uint8_t((id[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return HexEncode(id);
}

Result<std::string> NodeIdFromMachineId(const std::string& machine_id_path,
                                        std::string_view app_id) {
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(machine_id_path, 4096));
  auto nl = text.find('\n');
  if (nl != std::string::npos) text.resize(nl);
  return AppSpecificId(text, app_id).Context(machine_id_path);
}

}  // namespace hull::fleet

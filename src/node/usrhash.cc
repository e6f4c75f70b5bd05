#include "node/usrhash.h"

#include "node/kernel_cmdline.h"

namespace hull::node {

Result<std::string> ParseUsrHash(std::string_view text) {
  if (text.size() != kUsrHashHexLength)
    return Errorf(ErrorCode::kInvalidArgument,
                  "usrhash=: {} characters, expected {} hex digits (a SHA-256 root hash)",
                  text.size(), kUsrHashHexLength);
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    // Not <cctype>: its answers depend on the locale.
    char& c = out[i];
    if (c >= 'A' && c <= 'F') c = char(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return Errorf(ErrorCode::kInvalidArgument,
                    "usrhash=: character {} (0x{:02x}) is not a hex digit", i + 1,
                    unsigned(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<std::string> UsrHashOfCmdline(std::string_view cmdline) {
  auto value = CmdlineValue(cmdline, "usrhash");
  if (!value) return Error(ErrorCode::kNotFound, "no usrhash= on the kernel command line");
  return ParseUsrHash(*value);
}

}  // namespace hull::node

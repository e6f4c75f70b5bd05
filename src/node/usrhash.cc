#include "node/usrhash.h"

#include "node/kernel_cmdline.h"

namespace hull::node {
namespace {

// 64 hex digits, lowercased; errors name `option` and what the digest is.
Result<std::string> ParseSha256Hex(std::string_view option, std::string_view what,
                                   std::string_view text) {
  if (text.size() != kUsrHashHexLength)
    return Errorf(ErrorCode::kInvalidArgument, "{}=: {} characters, expected {} hex digits ({})",
                  option, text.size(), kUsrHashHexLength, what);
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    // Not <cctype>: its answers depend on the locale.
    char& c = out[i];
    if (c >= 'A' && c <= 'F') c = char(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return Errorf(ErrorCode::kInvalidArgument, "{}=: character {} (0x{:02x}) is not a hex digit",
                    option, i + 1, unsigned(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

Result<std::string> ParseUsrHash(std::string_view text) {
  return ParseSha256Hex("usrhash", "a SHA-256 root hash", text);
}

Result<std::string> ParseRootTemplateHash(std::string_view text) {
  return ParseSha256Hex(kRootTemplateOption, "the SHA-256 of the root template", text);
}

Result<std::string> UsrHashOfCmdline(std::string_view cmdline) {
  auto value = CmdlineValue(cmdline, "usrhash");
  if (!value) return Error(ErrorCode::kNotFound, "no usrhash= on the kernel command line");
  return ParseUsrHash(*value);
}

Result<std::string> RootTemplateHashOfCmdline(std::string_view cmdline) {
  auto value = CmdlineValue(cmdline, kRootTemplateOption);
  if (!value)
    return Errorf(ErrorCode::kNotFound, "no {}= on the kernel command line", kRootTemplateOption);
  return ParseRootTemplateHash(*value);
}

}  // namespace hull::node

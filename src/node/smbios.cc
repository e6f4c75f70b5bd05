#include "node/smbios.h"

#include <fmt/format.h>

namespace hull::node {
namespace {

constexpr uint8_t kTypeOemStrings = 11;
constexpr uint8_t kTypeEndOfTable = 127;
constexpr size_t kHeaderBytes = 4;          // type, length, handle (§6.1.2)
constexpr size_t kOemStringsMinLength = 5;  // header + Count (§7.12)

Error Corrupt(size_t at, const std::string& what) {
  return Errorf(ErrorCode::kCorrupt, "SMBIOS structure at offset {}: {}", at, what);
}

}  // namespace

Result<std::vector<std::string>> SmbiosOemStrings(ByteSpan t) {
  if (t.size() > kMaxSmbiosTableBytes)
    return Errorf(ErrorCode::kCorrupt, "SMBIOS table: {} bytes, larger than {}", t.size(),
                  kMaxSmbiosTableBytes);
  std::vector<std::string> out;
  size_t at = 0;
  while (at < t.size()) {
    if (t.size() - at < kHeaderBytes) return Corrupt(at, "header runs past the end of the table");
    const uint8_t type = t[at];       // off 0x00
    const size_t length = t[at + 1];  // off 0x01: the formatted area, header included
    if (length < kHeaderBytes)
      return Corrupt(at, fmt::format("length {}, less than the 4-byte header", length));
    if (length > t.size() - at)
      return Corrupt(at, fmt::format("formatted area of {} bytes runs past the end", length));
    // The string-set: strings, each ended by NUL, then one more NUL.
    std::vector<std::string> strings;
    size_t pos = at + length;
    bool ended = false;
    while (pos < t.size()) {
      size_t nul = pos;
      while (nul < t.size() && t[nul] != 0) ++nul;
      if (nul == t.size()) break;
      if (nul == pos) {  // an empty string: the set's end
        // A set without strings is two NULs.
        if (strings.empty()) {
          if (nul + 1 == t.size() || t[nul + 1] != 0) break;
          ++nul;
        }
        pos = nul + 1;
        ended = true;
        break;
      }
      strings.emplace_back(reinterpret_cast<const char*>(t.data() + pos), nul - pos);
      pos = nul + 1;
    }
    if (!ended) return Corrupt(at, "string-set not terminated");
    if (type == kTypeOemStrings) {
      if (length < kOemStringsMinLength)
        return Errorf(ErrorCode::kCorrupt,
                      "SMBIOS OEM strings at offset {}: length {}, less than 5", at, length);
      const size_t count = t[at + 4];  // off 0x04: Count
      if (count > strings.size())
        return Errorf(ErrorCode::kCorrupt,
                      "SMBIOS OEM strings at offset {}: count {} but {} strings", at, count,
                      strings.size());
      out.insert(out.end(), strings.begin(), strings.begin() + ptrdiff_t(count));
    }
    if (type == kTypeEndOfTable) break;
    at = pos;
  }
  return out;
}

ValidationRequest FindValidationRequest(const std::vector<std::string>& oem_strings) {
  for (const std::string& s : oem_strings) {
    if (s == kValidateRebootOemString) return ValidationRequest::kReboot;
    if (s == kValidateOnceOemString) return ValidationRequest::kOnce;
  }
  return ValidationRequest::kNone;
}

}  // namespace hull::node

#include "init/efivar.h"

#include <fmt/format.h>

namespace hull::init {

Result<Uuid> ParseLoaderDevicePartUuid(ByteSpan file) {
  if (file.size() < 4 + 2 || file.size() > kMaxLoaderDevicePartUuidBytes || file.size() % 2 != 0)
    return Errorf(ErrorCode::kCorrupt,
                  "LoaderDevicePartUUID: {} bytes, expected 4 bytes of attributes and a UTF-16 "
                  "value",
                  file.size());
  std::string text;
  for (size_t off = 4; off < file.size(); off += 2) {
    uint16_t unit = uint16_t(file[off] | (file[off + 1] << 8));
    if (unit == 0) break;
    if (unit < 0x20 || unit > 0x7e)
      return Errorf(ErrorCode::kCorrupt,
                    "LoaderDevicePartUUID: character {} is not printable ASCII", (off - 4) / 2);
    text.push_back(char(unit));
  }
  auto uuid = Uuid::Parse(text);
  if (!uuid.ok())
    return Errorf(ErrorCode::kCorrupt, "LoaderDevicePartUUID: '{}' is not a UUID", text);
  return *uuid;
}

}  // namespace hull::init

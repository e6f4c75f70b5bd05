#include "node/dm.h"

#include <linux/dm-ioctl.h>

#include <cstddef>
#include <cstring>

namespace hull::node {

static_assert(sizeof(dm_ioctl) == 312, "dm_ioctl layout (uapi dm-ioctl.h)");
static_assert(offsetof(dm_ioctl, dev) == 40);
static_assert(sizeof(dm_target_spec) == 40, "dm_target_spec layout");

namespace {

Result<dm_ioctl> Header(const std::string& name, const std::string& uuid, uint32_t flags) {
  if (name.empty() || name.size() >= DM_NAME_LEN)
    return Errorf(ErrorCode::kInvalidArgument, "device-mapper name '{}': 1..{} bytes", name,
                  DM_NAME_LEN - 1);
  if (uuid.size() >= DM_UUID_LEN)
    return Errorf(ErrorCode::kInvalidArgument, "device-mapper uuid '{}': at most {} bytes", uuid,
                  DM_UUID_LEN - 1);
  dm_ioctl h{};
  h.version[0] = kDmVersionMajor;
  h.version[1] = 0;
  h.version[2] = 0;
  h.data_size = kDmBufferSize;
  h.data_start = sizeof(dm_ioctl);
  h.flags = flags;
  std::memcpy(h.name, name.data(), name.size());
  std::memcpy(h.uuid, uuid.data(), uuid.size());
  return h;
}

}  // namespace

Result<Bytes> DmHeader(const std::string& name, const std::string& uuid, uint32_t flags) {
  HULL_ASSIGN_OR_RETURN(dm_ioctl h, Header(name, uuid, flags));
  Bytes buf(kDmBufferSize, 0);
  std::memcpy(buf.data(), &h, sizeof(h));
  return buf;
}

Result<Bytes> DmTableLoad(const std::string& name, uint32_t flags, uint64_t sectors,
                          const std::string& target_type, const std::string& params) {
  if (target_type.empty() || target_type.size() >= DM_MAX_TYPE_NAME)
    return Errorf(ErrorCode::kInvalidArgument, "target type '{}': 1..{} bytes", target_type,
                  DM_MAX_TYPE_NAME - 1);
  size_t params_len = (params.size() + 1 + 7) / 8 * 8;  // NUL, then 8-byte aligned
  size_t needed = sizeof(dm_ioctl) + sizeof(dm_target_spec) + params_len;
  if (needed > kDmBufferSize)
    return Errorf(ErrorCode::kInvalidArgument, "table of {} bytes does not fit the {}-byte buffer",
                  params.size(), kDmBufferSize);
  HULL_ASSIGN_OR_RETURN(dm_ioctl h, Header(name, "", flags));
  h.target_count = 1;
  dm_target_spec t{};
  t.sector_start = 0;
  t.length = sectors;
  t.status = 0;
  t.next = uint32_t(sizeof(dm_target_spec) + params_len);
  std::memcpy(t.target_type, target_type.data(), target_type.size());
  Bytes buf(kDmBufferSize, 0);
  std::memcpy(buf.data(), &h, sizeof(h));
  std::memcpy(buf.data() + sizeof(h), &t, sizeof(t));
  std::memcpy(buf.data() + sizeof(h) + sizeof(t), params.data(), params.size());
  return buf;
}

DevNumber DecodeHugeDev(uint64_t dev) {
  uint32_t d = uint32_t(dev);
  return {(d >> 8) & 0xfff, (d & 0xff) | ((d >> 12) & 0xfff00)};
}

Result<DevNumber> DmDevFromAnswer(ByteSpan buffer) {
  if (buffer.size() < sizeof(dm_ioctl))
    return Error(ErrorCode::kCorrupt, "device-mapper answer shorter than struct dm_ioctl");
  return DecodeHugeDev(LoadLe64(buffer.data() + offsetof(dm_ioctl, dev)));
}

}  // namespace hull::node

#include "agent/dm_status.h"

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "node/dm.h"

namespace hull::agent {

Result<DmTarget> ParseDmTargetAnswer(ByteSpan answer) {
  ByteReader r(answer);
  HULL_TRY(r.Seek(12));
  HULL_ASSIGN_OR_RETURN(uint32_t data_size, r.Le32("data_size"));
  HULL_ASSIGN_OR_RETURN(uint32_t data_start, r.Le32("data_start"));
  HULL_ASSIGN_OR_RETURN(uint32_t target_count, r.Le32("target_count"));
  HULL_TRY(r.Skip(4, "open_count"));
  HULL_ASSIGN_OR_RETURN(uint32_t flags, r.Le32("flags"));
  if (flags & DM_BUFFER_FULL_FLAG) {
    return Error(ErrorCode::kUnavailable, "device-mapper answer did not fit the buffer");
  }
  if (target_count == 0) return Error(ErrorCode::kNotFound, "device has no target");
  if (data_size > answer.size() || data_start < sizeof(dm_ioctl) || data_start > data_size) {
    return Errorf(ErrorCode::kCorrupt,
                  "device-mapper answer: data_start {} / data_size {} in {} bytes", data_start,
                  data_size, answer.size());
  }
  ByteReader t(answer.subspan(0, data_size));
  HULL_TRY(t.Seek(data_start));
  HULL_TRY(t.Skip(16 + 4 + 4, "sector_start/length/status/next"));
  HULL_ASSIGN_OR_RETURN(ByteSpan type, t.Take(DM_MAX_TYPE_NAME, "target_type"));
  HULL_ASSIGN_OR_RETURN(ByteSpan rest,
                        t.Take(data_size - data_start - sizeof(dm_target_spec), "params"));
  auto cstr = [](ByteSpan b) {
    size_t n = 0;
    while (n < b.size() && b[n] != 0) ++n;
    return std::string(reinterpret_cast<const char*>(b.data()), n);
  };
  return DmTarget{cstr(type), cstr(rest)};
}

Result<DmTarget> DmTargetOf(const std::string& name, bool table) {
  HULL_ASSIGN_OR_RETURN(Bytes buf, node::DmHeader(name, "", table ? DM_STATUS_TABLE_FLAG : 0));
  int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return Errorf(ErrorCode::kUnavailable, "open /dev/mapper/control: {}", std::strerror(errno));
  }
  int rc = ioctl(fd, DM_TABLE_STATUS, buf.data());
  int err = errno;
  close(fd);
  if (rc != 0) {
    return Errorf(err == ENXIO ? ErrorCode::kNotFound : ErrorCode::kIo, "DM_TABLE_STATUS '{}': {}",
                  name, std::strerror(err));
  }
  return ParseDmTargetAnswer(buf);
}

}  // namespace hull::agent

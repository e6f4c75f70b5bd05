// Device-mapper ioctl buffers (include/uapi/linux/dm-ioctl.h, interface 4):
// a struct dm_ioctl header, for DM_TABLE_LOAD followed by one
// struct dm_target_spec and its NUL-terminated parameter string padded to 8
// bytes. Building is pure so tests check every field without a kernel.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::node {

inline constexpr uint32_t kDmVersionMajor = 4;    // DM_VERSION_MAJOR the kernel requires
inline constexpr uint32_t kDmBufferSize = 16384;  // room for the kernel's answer

// Header only (DM_DEV_CREATE, DM_DEV_SUSPEND, DM_DEV_REMOVE); `flags` are
// DM_*_FLAG bits. kInvalidArgument if the name does not fit DM_NAME_LEN-1 or
// the uuid DM_UUID_LEN-1. The buffer is kDmBufferSize long (data_size says so)
// so the kernel can write its status back.
Result<Bytes> DmHeader(const std::string& name, const std::string& uuid, uint32_t flags);

// DM_TABLE_LOAD with one target of `sectors` 512-byte sectors from sector 0.
// target_type must fit DM_MAX_TYPE_NAME-1.
Result<Bytes> DmTableLoad(const std::string& name, uint32_t flags, uint64_t sectors,
                          const std::string& target_type, const std::string& params);

// dm_ioctl.dev as the kernel fills it (huge_encode_dev(): minor low byte,
// major in bits 8-19, minor's upper bits from bit 20) back to major/minor.
struct DevNumber {
  uint32_t major = 0, minor = 0;
};
DevNumber DecodeHugeDev(uint64_t dev);

// Reads dm_ioctl.dev (offset 40) from an answered buffer.
Result<DevNumber> DmDevFromAnswer(ByteSpan buffer);

}  // namespace hull::node
